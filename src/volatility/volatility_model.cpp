// The serving side of the volatility forecaster: member names, calibration, forecast and storage.
#include "tbml/volatility/volatility_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "tbml/features/feature_pipeline.h"
#include "tbml/util/atomic_file.h"

namespace tbml::volatility {
namespace {

constexpr const char* kFormat = "tbml-volatility/2";
constexpr const char* kFormatTreesOnly = "tbml-volatility/1";  // weights = the trees' bytes alone

nlohmann::json blob_json(const std::string& bytes) {
  return {{"bytes", bytes.size()}, {"checksum", checksum_hex(bytes)}};
}

// Cuts `size` bytes at `offset` out of the stored weights and checks them against the recorded checksum.
std::string take_blob(const std::string& weights, std::size_t& offset, const nlohmann::json& entry,
                      const std::string& what) {
  const auto size = entry.at("bytes").get<std::size_t>();
  if (offset + size > weights.size())
    throw std::runtime_error("volatility model: the " + what + " weights are truncated (" +
                             std::to_string(weights.size() - offset) + " of " + std::to_string(size) + " bytes)");
  std::string part = weights.substr(offset, size);
  offset += size;
  if (checksum_hex(part) != entry.at("checksum").get<std::string>())
    throw std::runtime_error("volatility model: the " + what + " weights fail their checksum (corrupted)");
  return part;
}

std::size_t index(Member m) { return static_cast<std::size_t>(m); }

double number_or_nan(const nlohmann::json& j) {
  return j.is_null() ? std::numeric_limits<double>::quiet_NaN() : j.get<double>();
}

}  // namespace

const std::array<Member, kMemberCount>& all_members() {
  static const std::array<Member, kMemberCount> all{Member::kTrees, Member::kHar,  Member::kNetwork,
                                                    Member::kGarch, Member::kEwma, Member::kHistorical};
  return all;
}

std::string to_string(Member m) {
  switch (m) {
    case Member::kTrees: return "trees";
    case Member::kHar: return "har";
    case Member::kNetwork: return "network";
    case Member::kGarch: return "garch";
    case Member::kEwma: return "ewma";
    case Member::kHistorical: return "historical";
  }
  return "unknown";
}

std::optional<Member> parse_member(std::string_view name) {
  for (Member m : all_members())
    if (to_string(m) == name) return m;
  return std::nullopt;
}

std::string to_string(TreeTarget t) {
  switch (t) {
    case TreeTarget::kLogRv: return "logRv";
    case TreeTarget::kGarchResidual: return "garchResidual";
    case TreeTarget::kAuto: return "auto";
  }
  return "unknown";
}

nlohmann::json MemberCalibration::to_json() const { return {{"scale", scale}, {"z", z.to_json()}}; }

MemberCalibration MemberCalibration::from_json(const nlohmann::json& j) {
  MemberCalibration c;
  c.scale = j.at("scale").get<double>();
  c.z = StandardisedQuantiles::from_json(j.at("z"));
  if (!(c.scale > 0.0) || !std::isfinite(c.scale)) throw std::invalid_argument("calibration scale must be positive");
  return c;
}

nlohmann::json VolatilityForecast::to_json() const {
  return {{"pair", pair},
          {"timestamp", timestamp},
          {"horizon", horizon},
          {"variance", variance},
          {"sigma", sigma},
          {"quantiles", {{"q10", q10}, {"q50", q50}, {"q90", q90}}},
          {"interval80",
           {{"lower", lower}, {"upper", upper}, {"lowerMultiplier", lower_multiplier},
            {"upperMultiplier", upper_multiplier}}},
          {"medianMultiplier", median_multiplier},
          {"member", member},
          {"skillVsEwma", skill_vs_ewma}};
}

double tree_offset(TreeTarget target, const InputRow& row, const InputSpec& spec) {
  return target == TreeTarget::kGarchResidual ? std::log(std::max(row.garch_variance, spec.floor)) : 0.0;
}

CalibratedForecast calibrate(Member m, double raw_variance, const MemberCalibration& c, const Historical& h) {
  CalibratedForecast f;
  if (m == Member::kHistorical) {
    f.variance = h.mean_rv;
    f.q10 = h.q10;
    f.q50 = h.q50;
    f.q90 = h.q90;
    return f;
  }
  f.variance = c.scale * raw_variance;
  const double sigma = std::sqrt(f.variance);
  f.q10 = c.z.z10 * sigma;
  f.q50 = c.z.z50 * sigma;
  f.q90 = c.z.z90 * sigma;
  return f;
}

VolatilityModel::VolatilityModel(VolatilityModelParts parts) : parts_(std::move(parts)) {
  parts_.spec.validate();
  if (!has(parts_.served))
    throw std::invalid_argument("VolatilityModel: the served member '" + to_string(parts_.served) +
                                "' was not fitted");
  if (parts_.tree_target == TreeTarget::kAuto)
    throw std::invalid_argument("VolatilityModel: tree_target must be resolved (logRv or garchResidual)");
  if (parts_.trees && parts_.trees->width() != parts_.spec.base_width() + parts_.feature_width)
    throw std::invalid_argument("VolatilityModel: the trees read " + std::to_string(parts_.trees->width()) +
                                " columns, the inputs have " +
                                std::to_string(parts_.spec.base_width() + parts_.feature_width));
  if (parts_.network && parts_.network->feature_width() != parts_.feature_width)
    throw std::invalid_argument("VolatilityModel: the network reads rows of width " +
                                std::to_string(parts_.network->feature_width()) + ", the model's are " +
                                std::to_string(parts_.feature_width));
  if (parts_.network && parts_.network->sequence_length() > parts_.spec.min_candles())
    throw std::invalid_argument("VolatilityModel: the network reads " +
                                std::to_string(parts_.network->sequence_length()) + " rows, more than the " +
                                std::to_string(parts_.spec.min_candles()) + " candles a forecast gets");
}

bool VolatilityModel::has(Member m) const {
  switch (m) {
    case Member::kTrees: return parts_.trees != nullptr;
    case Member::kHar: return parts_.har.has_value();
    case Member::kNetwork: return parts_.network != nullptr;
    default: return true;
  }
}

VolatilityForecast VolatilityModel::forecast(const Series& recent) const { return forecast(recent, parts_.served); }

VolatilityForecast VolatilityModel::forecast(const Series& recent, Member member) const {
  if (recent.size() < min_candles())
    throw std::invalid_argument("volatility forecast needs the last " + std::to_string(min_candles()) +
                                " candles of " + (recent.pair.empty() ? std::string("the pair") : recent.pair) +
                                ", got " + std::to_string(recent.size()));
  return forecast_at(recent, recent.size() - 1, member);
}

VolatilityForecast VolatilityModel::forecast_at(const Series& series, std::size_t t, Member member) const {
  if (!has(member)) throw std::invalid_argument("volatility member '" + to_string(member) + "' was not fitted");
  if (t >= series.size() || t + 1 < min_candles())
    throw std::invalid_argument("volatility forecast at row " + std::to_string(t) + " needs " +
                                std::to_string(min_candles()) + " candles up to it; the series has " +
                                std::to_string(series.size()));
  if ((member == Member::kTrees || member == Member::kNetwork) && series.width != parts_.feature_width)
    throw std::invalid_argument("volatility " + to_string(member) + " reads feature rows of width " +
                                std::to_string(parts_.feature_width) + ", the series has " +
                                std::to_string(series.width));
  // Only the candles the inputs read (the recursion window and the lookbacks), so any longer history
  // gives the same forecast. Their first return is missing: its previous candle is not read.
  const std::size_t first = t + 1 - min_candles(), local = t - first;
  std::vector<double> returns(local + 1, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t i = 1; i <= local; ++i) {
    const std::size_t g = first + i;
    if (g < series.gap_before.size() && series.gap_before[g]) continue;
    returns[i] = std::log(series.candles[g].close / series.candles[g - 1].close);
  }
  InputRow row;
  std::string why;
  if (!compute_inputs(returns, local, parts_.spec, parts_.ewma, parts_.garch, row, &why))
    throw std::invalid_argument("volatility forecast for " + series.pair + ": " + why);

  double raw = 0.0;
  switch (member) {
    case Member::kTrees: {
      std::vector<float> x(parts_.spec.base_width() + series.width);
      write_tree_inputs(row, parts_.spec, series.row(t), series.width, x.data());
      raw = std::exp(parts_.trees->predict(x.data(), 1).at(0) + tree_offset(parts_.tree_target, row, parts_.spec));
      break;
    }
    case Member::kHar: raw = std::exp(parts_.har->predict(row.log_lookbacks.data())); break;
    case Member::kNetwork: raw = parts_.network->raw_variance(series, {t}, {row}).at(0); break;
    case Member::kGarch: raw = row.garch_variance; break;
    case Member::kEwma: raw = row.ewma_variance; break;
    case Member::kHistorical: raw = parts_.historical.mean_rv; break;
  }
  const CalibratedForecast c = calibrate(member, raw, parts_.calibration[index(member)], parts_.historical);
  VolatilityForecast f;
  f.pair = series.pair.empty() ? parts_.pair : series.pair;
  f.timestamp = series.candles[t].timestamp;
  f.horizon = parts_.spec.horizon;
  f.variance = c.variance;
  f.sigma = std::sqrt(c.variance);
  f.q10 = c.q10;
  f.q50 = c.q50;
  f.q90 = c.q90;
  f.lower = c.q10;
  f.upper = c.q90;
  f.lower_multiplier = std::exp(c.q10);
  f.median_multiplier = std::exp(c.q50);
  f.upper_multiplier = std::exp(c.q90);
  f.member = to_string(member);
  const double q_ewma = parts_.test_qlike[index(Member::kEwma)], q_m = parts_.test_qlike[index(member)];
  f.skill_vs_ewma = (std::isfinite(q_ewma) && q_ewma > 0.0 && std::isfinite(q_m)) ? 1.0 - q_m / q_ewma : 0.0;
  for (double v : {f.variance, f.sigma, f.q10, f.q50, f.q90, f.lower_multiplier, f.upper_multiplier})
    if (!std::isfinite(v) || !(f.variance > 0.0))
      throw std::invalid_argument("volatility forecast for " + f.pair + " by " + f.member +
                                  " is not finite (inputs at row " + std::to_string(t) + ")");
  return f;
}

nlohmann::json VolatilityModel::to_json() const {
  const auto& p = parts_;
  nlohmann::json calibration = nlohmann::json::object(), qlike = nlohmann::json::object();
  for (Member m : all_members()) {
    if (!has(m)) continue;
    calibration[to_string(m)] = p.calibration[index(m)].to_json();
    const double q = p.test_qlike[index(m)];
    qlike[to_string(m)] = std::isfinite(q) ? nlohmann::json(q) : nlohmann::json(nullptr);
  }
  nlohmann::json j{{"format", kFormat},
          {"pair", p.pair},
          {"horizon", p.spec.horizon},
          {"lookbacks", p.spec.lookbacks},
          {"window", p.spec.window},
          {"rvFloor", p.spec.floor},
          {"featureVersion", p.feature_version},
          {"featureWidth", p.feature_width},
          {"served", to_string(p.served)},
          {"trainedAt", p.trained_at},
          {"dataFrom", p.data_from},
          {"dataTo", p.data_to},
          {"ewma", p.ewma.to_json()},
          {"garch", p.garch.to_json()},
          {"historical", p.historical.to_json()},
          {"har", p.har ? p.har->to_json() : nlohmann::json(nullptr)},
          {"trees", p.trees ? nlohmann::json{{"width", p.trees->width()}, {"target", to_string(p.tree_target)}}
                            : nlohmann::json(nullptr)},
          {"network", p.network ? nlohmann::json{{"name", p.network_name}, {"model", p.network->to_json()}}
                                : nlohmann::json(nullptr)},
          {"calibration", calibration},
          {"testQlike", qlike}};
  j["weights"] = {{"trees", blob_json(p.trees ? p.trees->save() : std::string())},
                  {"network", blob_json(p.network ? p.network->weights() : std::string())}};
  return j;
}

std::string VolatilityModel::weights() const {
  return (parts_.trees ? parts_.trees->save() : std::string()) +
         (parts_.network ? parts_.network->weights() : std::string());
}

VolatilityModel VolatilityModel::from_json(const nlohmann::json& j, const std::string& weights,
                                           const NetworkCandidate* network) {
  try {
    const std::string format = j.at("format").get<std::string>();
    if (format != kFormat && format != kFormatTreesOnly)
      throw std::invalid_argument("format '" + format + "', expected " + kFormat);
    std::string tree_bytes = weights, network_bytes;
    if (format == kFormat) {
      if (weights.empty() && !(j.at("trees").is_null() && j.value("network", nlohmann::json()).is_null()))
        throw std::invalid_argument("the model has trees or a network but no weights were given");
      std::size_t offset = 0;
      tree_bytes = take_blob(weights, offset, j.at("weights").at("trees"), "tree");
      network_bytes = take_blob(weights, offset, j.at("weights").at("network"), "network");
      if (offset != weights.size())
        throw std::runtime_error("volatility model: " + std::to_string(weights.size() - offset) +
                                 " unexpected bytes after the weights");
    }
    VolatilityModelParts p;
    p.pair = j.at("pair").get<std::string>();
    p.spec.horizon = j.at("horizon").get<std::size_t>();
    p.spec.lookbacks = j.at("lookbacks").get<std::vector<std::size_t>>();
    p.spec.window = j.at("window").get<std::size_t>();
    p.spec.floor = j.at("rvFloor").get<double>();
    p.feature_version = j.at("featureVersion").get<std::string>();
    p.feature_width = j.at("featureWidth").get<std::size_t>();
    const auto served = parse_member(j.at("served").get<std::string>());
    if (!served) throw std::invalid_argument("unknown served member '" + j.at("served").get<std::string>() + "'");
    p.served = *served;
    p.trained_at = j.value("trainedAt", std::int64_t{0});
    p.data_from = j.value("dataFrom", std::int64_t{0});
    p.data_to = j.value("dataTo", std::int64_t{0});
    p.ewma = Ewma::from_json(j.at("ewma"));
    p.garch = Garch::from_json(j.at("garch"));
    p.historical = Historical::from_json(j.at("historical"));
    if (!j.at("har").is_null()) p.har = Har::from_json(j.at("har"));
    if (p.har && p.har->width() != p.spec.lookbacks.size())
      throw std::invalid_argument("har has " + std::to_string(p.har->width()) + " inputs for " +
                                  std::to_string(p.spec.lookbacks.size()) + " lookbacks");
    const bool stored_trees = !j.at("trees").is_null();
    if (stored_trees) {
      const std::string target = j.at("trees").at("target").get<std::string>();
      if (target == to_string(TreeTarget::kLogRv)) p.tree_target = TreeTarget::kLogRv;
      else if (target == to_string(TreeTarget::kGarchResidual)) p.tree_target = TreeTarget::kGarchResidual;
      else throw std::invalid_argument("unknown tree target '" + target + "'");
    }
    if (stored_trees && tree_bytes.empty())
      throw std::invalid_argument("the model has trees but no tree bytes were given");
    if (stored_trees && p.feature_version == FeaturePipeline::version())
      p.trees = std::make_shared<const BoostedTrees>(BoostedTrees::load(tree_bytes));
    if (stored_trees && !p.trees && p.served == Member::kTrees)
      throw std::invalid_argument("the trees were trained on features " + p.feature_version +
                                  ", the pipeline computes " + FeaturePipeline::version() + ": retrain");
    const auto stored_network = j.find("network");
    if (stored_network != j.end() && !stored_network->is_null()) {
      p.network_name = stored_network->at("name").get<std::string>();
      const std::optional<NetworkCandidate> registered = network ? std::nullopt : registered_network_candidate();
      const NetworkCandidate* loader = network ? network : registered ? &*registered : nullptr;
      std::string why;
      if (p.feature_version != FeaturePipeline::version())
        why = "the network was trained on features " + p.feature_version + ", the pipeline computes " +
              FeaturePipeline::version() + ": retrain";
      else if (!loader || !loader->load)
        why = "no network candidate is registered to load the '" + p.network_name + "' network";
      else if (loader->name != p.network_name)
        why = "the stored network is '" + p.network_name + "', the registered candidate is '" + loader->name + "'";
      else
        p.network = loader->load(stored_network->at("model"), network_bytes);
      if (!p.network && p.served == Member::kNetwork) throw std::invalid_argument(why);
    } else if (p.served == Member::kNetwork) {
      throw std::invalid_argument("the model serves a network but stores none");
    }
    p.test_qlike.fill(std::numeric_limits<double>::quiet_NaN());
    const auto& cal = j.at("calibration");
    const auto& qlike = j.at("testQlike");
    for (Member m : all_members()) {
      const std::string name = to_string(m);
      if (cal.contains(name)) p.calibration[index(m)] = MemberCalibration::from_json(cal.at(name));
      if (qlike.contains(name)) p.test_qlike[index(m)] = number_or_nan(qlike.at(name));
    }
    return VolatilityModel(std::move(p));
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("volatility model JSON: ") + e.what());
  }
}

}  // namespace tbml::volatility
