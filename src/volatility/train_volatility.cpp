// Training side of the volatility forecaster: split, fit every candidate on the training part, calibrate
// on validation, score on test, choose what to serve, and write the report.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "tbml/features/feature_pipeline.h"
#include "tbml/volatility/realised.h"
#include "tbml/volatility/scores.h"
#include "tbml/volatility/volatility_model.h"

namespace tbml::volatility {
namespace {

std::size_t index(Member m) { return static_cast<std::size_t>(m); }

std::string fmt(double v, int digits = 4) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// The samples of one part, with every member's raw (uncalibrated) variance forecast.
struct Part {
  std::vector<std::size_t> t;
  std::vector<double> rv, ret;
  std::vector<InputRow> rows;
  std::vector<float> x;  // tree rows, row-major
  std::vector<double> har_x;
  std::array<std::vector<double>, kMemberCount> raw;
  std::array<ForecastPath, kMemberCount> path;
};

Series most_recent(const Series& s, std::size_t n) {
  if (n == 0 || s.size() <= n) return s;
  const std::size_t first = s.size() - n;
  Series out;
  out.pair = s.pair;
  out.width = s.width;
  out.candles.assign(s.candles.begin() + static_cast<std::ptrdiff_t>(first), s.candles.end());
  out.gap_before.assign(s.gap_before.begin() + static_cast<std::ptrdiff_t>(first), s.gap_before.end());
  if (!out.gap_before.empty()) out.gap_before[0] = 0;  // its return is missing anyway
  out.features.assign(s.features.begin() + static_cast<std::ptrdiff_t>(first * s.width), s.features.end());
  return out;
}

// The QLIKE-optimal constant c for forecasts c · raw: mean(RV / raw). A log-RV model's exp(prediction)
// is a conditional median-like level, below the conditional mean RV that QLIKE rewards.
double level_scale(const std::vector<double>& rv, const std::vector<double>& raw) {
  double s = 0.0;
  for (std::size_t i = 0; i < rv.size(); ++i) s += rv[i] / raw[i];
  return s / static_cast<double>(rv.size());
}

nlohmann::json span(const Series& s, const std::vector<std::size_t>& t) {
  return {{"from", s.candles[t.front()].timestamp}, {"to", s.candles[t.back()].timestamp}};
}

}  // namespace

BoostedTreesOptions VolatilityTrainOptions::default_tree_options() {
  BoostedTreesOptions o;
  o.objective = TreeObjective::kSquaredError;
  // Shallow trees with large leaves: log RV over 5 candles is mostly noise (its standard deviation is
  // about 0.7 around any forecast). Chosen on validation QLIKE only, summed over the six real pairs'
  // 10,000-hour runs (validation = hours -4,000..-2,000, before every test part reported): depth 2 /
  // min child weight 50 gave 5.003 against 5.047 for the trees' defaults (depth 3 / 5), range 5.00-5.09.
  o.max_depth = 2;
  o.min_child_weight = 50.0;
  return o;
}

void VolatilityTrainOptions::validate() const {
  InputSpec spec{horizon, lookbacks, window, 1.0};
  spec.validate();
  split.validate();
  if (!(ewma_lambda > 0.0 && ewma_lambda < 1.0))
    throw std::invalid_argument("VolatilityTrainOptions.ewma_lambda must be in (0, 1)");
  if (!(rv_floor_fraction > 0.0 && rv_floor_fraction < 1.0))
    throw std::invalid_argument("VolatilityTrainOptions.rv_floor_fraction must be in (0, 1)");
  if (bootstrap_resamples < 100)
    throw std::invalid_argument("VolatilityTrainOptions.bootstrap_resamples must be at least 100");
  if (block_length != 0 && block_length < horizon)
    throw std::invalid_argument("VolatilityTrainOptions.block_length must be 0 (automatic) or at least horizon");
  if (fit_trees) {
    if (trees.objective != TreeObjective::kSquaredError)
      throw std::invalid_argument("VolatilityTrainOptions.trees.objective must be kSquaredError (log RV)");
    trees.validate();
  }
}

VolatilityTrainResult train_volatility_model(const Series& full, const VolatilityTrainOptions& o) {
  const auto started = std::chrono::steady_clock::now();
  o.validate();
  auto check_cancelled = [&o] {
    if (o.cancelled && o.cancelled()) throw VolatilityTrainCancelled();
  };
  const Series series = most_recent(full, o.max_candles);
  const std::size_t h = o.horizon;
  InputSpec spec{h, o.lookbacks, o.window, 1.0};  // floor set once the training part is known

  // Forecast times: min_candles() − 1 candles of history (what serving reads), a target, all lookbacks.
  const std::vector<double> returns = log_returns(series);
  const Targets targets = realised_targets(series, returns, h);
  std::vector<std::size_t> times;
  for (std::size_t t = spec.min_candles() - 1; t < series.size(); ++t) {
    if (!targets.valid[t]) continue;
    bool ok = true;
    double v = 0.0;
    for (std::size_t n : spec.lookbacks) ok = ok && lookback_variance(returns, t, n, h, v);
    if (ok) times.push_back(t);
  }
  if (times.empty())
    throw std::invalid_argument("train_volatility_model: " + std::to_string(series.size()) + " candles of " +
                                series.pair + " leave no forecast time with " + std::to_string(spec.min_candles()) +
                                " candles before it and " + std::to_string(h) + " after it");
  const SampleSplit split = split_samples(times, h, o.split);

  // Baselines fitted on the returns the training part reads: everything up to its last target.
  const std::size_t fit_end = split.train.back() + h + 1;
  const Ewma ewma = Ewma::fit(returns, 0, fit_end, o.ewma_lambda);
  const Garch garch = Garch::fit(returns, 0, fit_end, o.ewma_lambda);

  std::array<Part, 3> parts;  // train, validation, test
  const std::array<const std::vector<std::size_t>*, 3> part_times{&split.train, &split.validation, &split.test};
  for (std::size_t p = 0; p < 3; ++p) {
    for (std::size_t t : *part_times[p]) {
      parts[p].t.push_back(t);
      parts[p].rv.push_back(targets.rv[t]);
      parts[p].ret.push_back(targets.ret[t]);
    }
  }
  Part &train = parts[0], &validation = parts[1], &test = parts[2];
  const Historical historical = Historical::fit(train.rv, train.ret);
  spec.floor = o.rv_floor_fraction * historical.mean_rv;

  const std::size_t width = spec.base_width() + series.width;
  for (Part& part : parts) {
    part.rows.resize(part.t.size());
    part.x.resize(part.t.size() * width);
    for (std::size_t i = 0; i < part.t.size(); ++i) {
      if (!compute_inputs(returns, part.t[i], spec, ewma, garch, part.rows[i]))
        throw std::logic_error("train_volatility_model: inputs vanished at an eligible row");
      write_tree_inputs(part.rows[i], spec, series.row(part.t[i]), series.width, part.x.data() + i * width);
      for (double v : part.rows[i].log_lookbacks) part.har_x.push_back(v);
      part.raw[index(Member::kGarch)].push_back(part.rows[i].garch_variance);
      part.raw[index(Member::kEwma)].push_back(part.rows[i].ewma_variance);
      part.raw[index(Member::kHistorical)].push_back(historical.mean_rv);
    }
  }
  // Trees for one target: the raw variance of every part and the validation QLIKE with the level scaled
  // on the training part (as below), so the two targets are compared on data neither was fitted on.
  struct TreeFit {
    std::shared_ptr<const BoostedTrees> model;
    std::array<std::vector<double>, 3> raw;
    double validation_qlike = 0.0;
  };
  auto fit_tree_target = [&](TreeTarget target) {
    auto y_of = [&](const Part& part) {
      std::vector<float> y;
      for (std::size_t i = 0; i < part.t.size(); ++i)
        y.push_back(static_cast<float>(std::log(std::max(part.rv[i], spec.floor)) -
                                       tree_offset(target, part.rows[i], spec)));
      return y;
    };
    TreeFit f;
    f.model = std::make_shared<const BoostedTrees>(
        BoostedTrees::fit(train.x, y_of(train), validation.x, y_of(validation), width, o.trees));
    for (std::size_t p = 0; p < 3; ++p) {
      const std::vector<double> pred = f.model->predict(parts[p].x.data(), parts[p].t.size());
      for (std::size_t i = 0; i < pred.size(); ++i)
        f.raw[p].push_back(std::exp(pred[i] + tree_offset(target, parts[p].rows[i], spec)));
    }
    const double scale = level_scale(train.rv, f.raw[0]);
    for (std::size_t i = 0; i < validation.t.size(); ++i)
      f.validation_qlike += qlike(validation.rv[i], scale * f.raw[1][i], spec.floor);
    f.validation_qlike /= static_cast<double>(validation.t.size());
    return f;
  };
  std::shared_ptr<const BoostedTrees> trees;
  TreeTarget tree_target = TreeTarget::kLogRv;
  nlohmann::json tree_targets = nlohmann::json::object();
  if (o.fit_trees) {
    std::optional<TreeFit> best;
    for (TreeTarget target : {TreeTarget::kLogRv, TreeTarget::kGarchResidual}) {
      if (o.tree_target != TreeTarget::kAuto && o.tree_target != target) continue;
      check_cancelled();
      TreeFit f = fit_tree_target(target);
      tree_targets[to_string(target)] = {{"validationQlike", f.validation_qlike},
                                         {"bestRound", f.model->fit_info().best_round}};
      if (!best || f.validation_qlike < best->validation_qlike) {
        best = std::move(f);
        tree_target = target;
      }
    }
    trees = best->model;
    for (std::size_t p = 0; p < 3; ++p) parts[p].raw[index(Member::kTrees)] = best->raw[p];
  }
  check_cancelled();
  std::optional<Har> har;
  if (o.fit_har) {
    std::vector<double> y;
    for (double rv : train.rv) y.push_back(std::log(std::max(rv, spec.floor)));
    har = Har::fit(train.har_x, y, spec.lookbacks.size());
    for (Part& part : parts)
      for (std::size_t i = 0; i < part.t.size(); ++i)
        part.raw[index(Member::kHar)].push_back(std::exp(har->predict(part.har_x.data() + i * spec.lookbacks.size())));
  }
  // The network, when a candidate is given or registered: trained by the training stage on the same
  // samples (it never sees the test part); a failure leaves the other members and is reported.
  std::shared_ptr<const NetworkForecaster> network;
  nlohmann::json network_report;
  const std::optional<NetworkCandidate> candidate =
      !o.fit_network ? std::nullopt : o.network ? o.network : registered_network_candidate();
  if (candidate && candidate->train) {
    check_cancelled();
    NetworkTrainingData data;
    data.series = &series;
    data.spec = spec;
    data.train = NetworkSamples{train.t, train.rv, train.rows};
    data.validation = NetworkSamples{validation.t, validation.rv, validation.rows};
    data.cancelled = o.cancelled;
    try {
      network = candidate->train(data);
      for (Part& part : parts) {
        part.raw[index(Member::kNetwork)] = network->raw_variance(series, part.t, part.rows);
        for (double v : part.raw[index(Member::kNetwork)])
          if (!(v > 0.0) || !std::isfinite(v)) throw std::runtime_error("the network forecast a non-positive variance");
      }
      const nlohmann::json nj = network->to_json();
      network_report = {{"name", candidate->name}, {"architecture", nj.value("architecture", nlohmann::json())},
                        {"fit", nj.value("fit", nlohmann::json())}};
    } catch (const VolatilityTrainCancelled&) {
      throw;  // a stop, not a failed member
    } catch (const std::exception& e) {
      network = nullptr;
      for (Part& part : parts) part.raw[index(Member::kNetwork)].clear();
      network_report = {{"name", candidate->name}, {"skipped", std::string("training failed: ") + e.what()}};
    }
  } else {
    network_report = {{"skipped", o.fit_network ? "no network candidate registered" : "fit_network is off"}};
  }
  check_cancelled();
  auto present = [&](Member m) {
    switch (m) {
      case Member::kTrees: return trees != nullptr;
      case Member::kHar: return har.has_value();
      case Member::kNetwork: return network != nullptr;
      default: return true;
    }
  };
  auto log_rv_model = [](Member m) { return m == Member::kTrees || m == Member::kHar || m == Member::kNetwork; };

  // Calibration: the log-RV models' level on the training part (mean RV / raw; fitted there so that the
  // validation QLIKE used to choose between them stays out-of-sample), then every member's z quantiles
  // on validation, corrected for its n / h windows that share no return (quantiles.h).
  const double independent = std::max(1.0, static_cast<double>(validation.t.size()) / static_cast<double>(h));
  std::array<MemberCalibration, kMemberCount> calibration{};
  for (Member m : all_members()) {
    if (!present(m) || m == Member::kHistorical) continue;
    MemberCalibration& c = calibration[index(m)];
    const auto& raw = validation.raw[index(m)];
    if (log_rv_model(m)) c.scale = level_scale(train.rv, train.raw[index(m)]);
    std::vector<double> var(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) var[i] = c.scale * raw[i];
    c.z = StandardisedQuantiles::fit(validation.ret, var, independent);
  }
  for (Part& part : parts)
    for (Member m : all_members()) {
      if (!present(m)) continue;
      ForecastPath& f = part.path[index(m)];
      for (double raw : part.raw[index(m)]) {
        const CalibratedForecast c = calibrate(m, raw, calibration[index(m)], historical);
        f.variance.push_back(c.variance);
        f.q10.push_back(c.q10);
        f.q50.push_back(c.q50);
        f.q90.push_back(c.q90);
      }
    }

  std::array<ScoreCard, kMemberCount> val_scores{}, test_scores{};
  std::array<double, kMemberCount> test_qlike{};
  test_qlike.fill(std::numeric_limits<double>::quiet_NaN());
  nlohmann::json candidates = nlohmann::json::object(), skill = nlohmann::json::object();
  for (Member m : all_members()) {
    if (!present(m)) continue;
    val_scores[index(m)] = score_forecasts(validation.path[index(m)], validation.rv, validation.ret, spec.floor);
    test_scores[index(m)] = score_forecasts(test.path[index(m)], test.rv, test.ret, spec.floor);
    test_qlike[index(m)] = test_scores[index(m)].qlike;
    candidates[to_string(m)] = {{"validation", val_scores[index(m)].to_json()}, {"test", test_scores[index(m)].to_json()}};
  }
  const double ewma_qlike = test_qlike[index(Member::kEwma)];
  for (Member m : all_members())
    if (present(m)) skill[to_string(m)] = 1.0 - test_qlike[index(m)] / ewma_qlike;

  // The learned model: of trees, HAR and the network, the lowest validation QLIKE (chosen before the
  // test part; ties keep the earlier one).
  std::optional<Member> learned;
  std::string learned_reason, learned_scores;
  std::size_t learned_count = 0;
  for (Member m : {Member::kTrees, Member::kHar, Member::kNetwork}) {
    if (!present(m)) continue;
    ++learned_count;
    const double q = val_scores[index(m)].qlike;
    learned_scores += (learned_scores.empty() ? "" : ", ") + to_string(m) + " " + fmt(q);
    if (!learned || q < val_scores[index(*learned)].qlike) learned = m;
  }
  if (learned)
    learned_reason = learned_count == 1 ? to_string(*learned) + " is the only learned model fitted"
                                        : to_string(*learned) + " had the lowest validation QLIKE (" + learned_scores + ")";

  const std::size_t block = o.block_length ? o.block_length : default_block_length(test.t.size(), h);
  auto losses = [&](Member m) { return qlike_losses(test.rv, test.path[index(m)].variance, spec.floor); };
  nlohmann::json comparisons = nlohmann::json::object();
  auto compare = [&](Member a, Member b) {
    const BootstrapInterval bi =
        paired_block_bootstrap(losses(a), losses(b), block, o.bootstrap_resamples, o.bootstrap_seed);
    comparisons[to_string(a) + "-" + to_string(b)] = bi.to_json();
    return bi;
  };
  for (Member m : {Member::kTrees, Member::kHar, Member::kNetwork, Member::kGarch, Member::kHistorical})
    if (present(m)) compare(m, Member::kEwma);
  for (Member m : {Member::kTrees, Member::kHar, Member::kNetwork})
    if (present(m)) compare(m, Member::kGarch);
  if (trees && har) compare(Member::kTrees, Member::kHar);
  if (network && trees) compare(Member::kNetwork, Member::kTrees);

  // Serving rule: the learned model if its test QLIKE is below GARCH's, otherwise GARCH.
  Member served = Member::kGarch;
  std::string reason;
  const double qg = test_qlike[index(Member::kGarch)];
  if (learned) {
    const double ql = test_qlike[index(*learned)];
    const BootstrapInterval bi =
        paired_block_bootstrap(losses(*learned), losses(Member::kGarch), block, o.bootstrap_resamples, o.bootstrap_seed);
    const std::string diff = "QLIKE difference " + fmt(bi.mean_difference) + " (" + fmt(100.0 * (ql / qg - 1.0), 1) +
                             " %), 95 % block-bootstrap interval [" + fmt(bi.low) + ", " + fmt(bi.high) + "]";
    if (ql < qg) {
      served = *learned;
      reason = to_string(*learned) + " test QLIKE " + fmt(ql) + " is below GARCH's " + fmt(qg) + ": " + diff +
               (bi.a_better() ? ", which excludes zero" : ", which includes zero: not a significant improvement");
    } else {
      reason = "garch: the learned model (" + to_string(*learned) + ") test QLIKE " + fmt(ql) +
               " is not below GARCH's " + fmt(qg) + ": " + diff;
    }
  } else {
    reason = "garch: no learned model was fitted";
  }
  if (garch.fallback) reason += "; GARCH is the EWMA-equivalent: " + garch.reason;

  VolatilityModelParts mp;
  mp.pair = series.pair;
  mp.spec = spec;
  mp.feature_version = FeaturePipeline::version();
  mp.feature_width = series.width;
  mp.ewma = ewma;
  mp.garch = garch;
  mp.historical = historical;
  mp.har = har;
  mp.trees = trees;
  mp.tree_target = tree_target;
  mp.network = network;
  if (network) mp.network_name = candidate->name;
  mp.calibration = calibration;
  mp.test_qlike = test_qlike;
  mp.served = served;
  mp.trained_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
  mp.data_from = series.candles.front().timestamp;
  mp.data_to = series.candles[fit_end - 1].timestamp;

  VolatilityTrainResult result;
  result.model = std::make_shared<const VolatilityModel>(std::move(mp));

  nlohmann::json params{{"ewma", ewma.to_json()}, {"garch", garch.to_json()}, {"historical", historical.to_json()},
                        {"har", har ? har->to_json() : nlohmann::json(nullptr)}};
  if (trees) {
    const auto& fi = trees->fit_info();
    const auto names = input_names(spec, FeaturePipeline::names(), series.width);
    const auto gain = trees->gain_importance();
    std::vector<std::size_t> order(gain.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return gain[a] > gain[b]; });
    nlohmann::json top = nlohmann::json::array();
    const double total = std::accumulate(gain.begin(), gain.end(), 0.0);
    for (std::size_t k = 0; k < std::min<std::size_t>(10, order.size()); ++k)
      if (gain[order[k]] > 0.0) top.push_back({{"name", names[order[k]]}, {"gainShare", gain[order[k]] / total}});
    params["trees"] = {{"bestRound", fi.best_round},
                       {"roundsRun", fi.rounds_run},
                       {"trainRmse", fi.train_loss},
                       {"validationRmse", fi.validation_loss},
                       {"inputs", width},
                       {"target", to_string(tree_target)},
                       {"targets", tree_targets},
                       {"options",
                        {{"maxDepth", o.trees.max_depth}, {"learningRate", o.trees.learning_rate},
                         {"maxRounds", o.trees.max_rounds}, {"earlyStopping", o.trees.early_stopping_rounds},
                         {"subsample", o.trees.subsample}, {"colsample", o.trees.colsample},
                         {"minChildWeight", o.trees.min_child_weight}, {"lambda", o.trees.lambda},
                         {"threads", o.trees.threads}, {"seed", o.trees.seed}}},
                       {"topFeatures", top}};
  } else {
    params["trees"] = nullptr;
  }
  nlohmann::json cal = nlohmann::json::object();
  for (Member m : all_members())
    if (present(m) && m != Member::kHistorical) cal[to_string(m)] = calibration[index(m)].to_json();
  params["network"] = network_report;
  params["calibration"] = cal;

  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result.report = {
      {"pair", series.pair},
      {"horizon", h},
      {"candles", series.size()},
      {"samples",
       {{"train", train.t.size()}, {"validation", validation.t.size()}, {"test", test.t.size()},
        {"embargoed", split.embargoed}}},
      {"span", {{"train", span(series, train.t)}, {"validation", span(series, validation.t)}, {"test", span(series, test.t)}}},
      {"rvFloor", spec.floor},
      {"rvFloorRule", "RV and forecasts floored at " + fmt(o.rv_floor_fraction, 4) + " x the training part's mean RV"},
      {"served", to_string(served)},
      {"learned", learned ? nlohmann::json(to_string(*learned)) : nlohmann::json(nullptr)},
      {"learnedReason", learned_reason},
      {"reason", reason},
      {"calibrationRule", "z quantiles of the validation part at p + (p - 1/2)/m, m = " + fmt(independent, 1) +
                              " windows of h candles that share no return (split-conformal finite-sample rule)"},
      {"candidates", candidates},
      {"skillVsEwma", skill},
      {"comparisons", comparisons},
      {"parameters", params},
      {"seconds", result.seconds}};
  return result;
}

}  // namespace tbml::volatility
