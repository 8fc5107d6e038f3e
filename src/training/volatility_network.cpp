// The volatility network candidate: data preparation, training with early stopping, forecasting and
// storage of a GRU on log RV (see include/tbml/training/volatility_network.h for the choices).
#include "tbml/training/volatility_network.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

#include "networks.h"
#include "tbml/training/normaliser.h"
#include "tbml/volatility/volatility_model.h"

namespace tbml::training {
namespace {

using nlohmann::json;
using volatility::InputRow;
using volatility::NetworkSamples;

constexpr const char* kName = "gru";
constexpr const char* kFormat = "tbml-volatility-gru/1";
constexpr double kGradClip = 1.0;           // as the direction trainer: keeps early GRU steps bounded
constexpr double kMinImprovement = 1e-5;    // smaller validation changes count as a stall
constexpr std::size_t kChunk = 512;         // samples per forward pass outside training

std::int64_t i64(std::size_t v) { return static_cast<std::int64_t>(v); }

// The transform from a sample to the network's input, shared by training and serving.
struct InputTransform {
  std::size_t steps = 0, width = 0, base = 0;  // sequence length, feature row width, base inputs
  volatility::InputSpec spec;                  // floor and lookbacks of the base inputs
  Normaliser features, base_inputs;            // fitted on rows / samples of the training part only
  double target_mean = 0.0, target_std = 1.0;  // of y on the training part

  double offset(const InputRow& row) const { return std::log(std::max(row.garch_variance, spec.floor)); }
  void write_base(const InputRow& row, float* out) const {
    if (row.log_lookbacks.size() + 2 != base)
      throw std::invalid_argument("volatility network: base inputs have " +
                                  std::to_string(row.log_lookbacks.size() + 2) + " values, it reads " +
                                  std::to_string(base));
    volatility::write_tree_inputs(row, spec, nullptr, 0, out);  // the trees' leading log-variance columns
  }
  // [n, steps, width + base]: normalised feature rows t − steps + 1 .. t, each followed by the normalised
  // base inputs at t.
  torch::Tensor windows(const Series& s, const std::size_t* t, const InputRow* rows, std::size_t n) const {
    if (s.width != width)
      throw std::invalid_argument("volatility network reads rows of width " + std::to_string(width) +
                                  ", the series has " + std::to_string(s.width));
    std::vector<float> f(n * steps * width), b(n * base);
    for (std::size_t i = 0; i < n; ++i) {
      if (t[i] >= s.size() || t[i] + 1 < steps)
        throw std::invalid_argument("volatility network needs " + std::to_string(steps) + " rows up to row " +
                                    std::to_string(t[i]) + " of a series of " + std::to_string(s.size()));
      const float* first = s.row(t[i] + 1 - steps);
      std::copy(first, first + steps * width, f.data() + i * steps * width);
      write_base(rows[i], b.data() + i * base);
    }
    features.apply(f.data(), n * steps);
    base_inputs.apply(b.data(), n);
    auto ft = torch::from_blob(f.data(), {i64(n), i64(steps), i64(width)}, torch::kFloat);
    auto bt = torch::from_blob(b.data(), {i64(n), 1, i64(base)}, torch::kFloat).expand({i64(n), i64(steps), i64(base)});
    return torch::cat({ft, bt}, 2);  // a copy: the buffers may go
  }

  json to_json() const {
    return {{"steps", steps}, {"width", width}, {"base", base}, {"lookbacks", spec.lookbacks},
            {"horizon", spec.horizon}, {"floor", spec.floor}, {"features", features.to_json()},
            {"baseInputs", base_inputs.to_json()}, {"targetMean", target_mean}, {"targetStd", target_std}};
  }
  static InputTransform from_json(const json& j) {
    InputTransform x;
    x.steps = j.at("steps").get<std::size_t>();
    x.width = j.at("width").get<std::size_t>();
    x.base = j.at("base").get<std::size_t>();
    x.spec.lookbacks = j.at("lookbacks").get<std::vector<std::size_t>>();
    x.spec.horizon = j.at("horizon").get<std::size_t>();
    x.spec.floor = j.at("floor").get<double>();
    x.spec.validate();
    x.features = Normaliser::from_json(j.at("features"));
    x.base_inputs = Normaliser::from_json(j.at("baseInputs"));
    x.target_mean = j.at("targetMean").get<double>();
    x.target_std = j.at("targetStd").get<double>();
    if (x.steps < 1 || x.width < 1 || x.base != x.spec.base_width() || x.features.width() != x.width ||
        x.base_inputs.width() != x.base || !std::isfinite(x.target_mean) || !(x.target_std > 0.0))
      throw std::invalid_argument("volatility network: inconsistent stored input transform");
    return x;
  }
};

json architecture_of(const VolatilityNetworkOptions& o) {
  return resolve_architecture(ModelType::kGru, json{{"hidden", o.hidden}, {"layers", 1}, {"dropout", 0.0}, {"head", o.head}});
}

std::shared_ptr<SequenceNet> build(const InputTransform& x, const json& arch) {
  return make_network(ModelType::kGru, i64(x.width + x.base), i64(x.steps), arch);
}

class GruVolatilityNetwork final : public volatility::NetworkForecaster {
 public:
  GruVolatilityNetwork(InputTransform x, json arch, std::shared_ptr<SequenceNet> net, json fit)
      : x_(std::move(x)), arch_(std::move(arch)), net_(std::move(net)), fit_(std::move(fit)) {
    net_->eval();
  }

  std::vector<double> raw_variance(const Series& series, const std::vector<std::size_t>& t,
                                   const std::vector<InputRow>& rows) const override {
    if (t.size() != rows.size()) throw std::invalid_argument("volatility network: times and rows differ in number");
    std::vector<double> out;
    out.reserve(t.size());
    for (std::size_t start = 0; start < t.size(); start += kChunk) {
      const std::size_t n = std::min(kChunk, t.size() - start);
      const auto y = standardised_output(x_.windows(series, t.data() + start, rows.data() + start, n));
      for (std::size_t i = 0; i < n; ++i)
        out.push_back(std::exp(x_.target_mean + x_.target_std * y[i] + x_.offset(rows[start + i])));
    }
    return out;
  }
  std::size_t sequence_length() const override { return x_.steps; }
  std::size_t feature_width() const override { return x_.width; }
  json to_json() const override {
    return {{"format", kFormat}, {"architecture", arch_}, {"inputs", x_.to_json()},
            {"parameters", count_parameters(*net_)}, {"fit", fit_}};
  }
  std::string weights() const override {
    std::lock_guard lock(mutex_);
    return save_network_weights(*net_);
  }

 private:
  std::vector<double> standardised_output(const torch::Tensor& input) const {
    std::lock_guard lock(mutex_);  // torch modules are not documented as safe for concurrent forwards
    c10::InferenceMode guard;
    auto y = net_->forward(input).to(torch::kDouble).contiguous();
    return std::vector<double>(y.data_ptr<double>(), y.data_ptr<double>() + y.numel());
  }

  InputTransform x_;
  json arch_;
  std::shared_ptr<SequenceNet> net_;
  json fit_;
  mutable std::mutex mutex_;
};

std::vector<float> targets(const NetworkSamples& s, const InputTransform& x) {
  std::vector<float> y;
  for (std::size_t i = 0; i < s.t.size(); ++i)
    y.push_back(static_cast<float>(std::log(std::max(s.rv[i], x.spec.floor)) - x.offset(s.rows[i])));
  return y;
}

// Mean squared error of the standardised target over a part, in chunks, evaluation mode.
double part_mse(SequenceNet& net, const torch::Tensor& inputs, const torch::Tensor& y) {
  net.eval();
  torch::NoGradGuard no_grad;
  double sum = 0.0;
  const std::int64_t n = inputs.size(0);
  for (std::int64_t start = 0; start < n; start += i64(kChunk)) {
    const std::int64_t end = std::min(n, start + i64(kChunk));
    sum += (net.forward(inputs.slice(0, start, end)) - y.slice(0, start, end)).pow(2).sum().item<double>();
  }
  return sum / static_cast<double>(n);
}

std::shared_ptr<const volatility::NetworkForecaster> train_network(const volatility::NetworkTrainingData& data,
                                                                   const VolatilityNetworkOptions& o) {
  const auto started = std::chrono::steady_clock::now();
  o.validate();
  if (!data.series) throw std::invalid_argument("volatility network: no series");
  const Series& s = *data.series;
  if (data.train.t.size() < 2 * o.batch_size || data.validation.t.empty())
    throw std::invalid_argument("volatility network: " + std::to_string(data.train.t.size()) +
                                " training samples, need at least " + std::to_string(2 * o.batch_size));
  InputTransform x;
  x.steps = o.sequence_length;
  x.width = s.width;
  x.spec = data.spec;
  x.base = data.spec.base_width();
  if (x.width == 0) throw std::invalid_argument("volatility network: the series has no feature rows");

  // Normalisers on the training part only: the feature rows its windows read, its base inputs.
  std::vector<std::uint8_t> used(s.size(), 0);
  for (std::size_t t : data.train.t)
    for (std::size_t r = t + 1 - std::min(t + 1, x.steps); r <= t; ++r) used[r] = 1;
  x.features = Normaliser::fit(s.features.data(), x.width, used);
  std::vector<float> base(data.train.t.size() * x.base);
  for (std::size_t i = 0; i < data.train.t.size(); ++i) x.write_base(data.train.rows[i], base.data() + i * x.base);
  x.base_inputs = Normaliser::fit(base.data(), x.base, std::vector<std::uint8_t>(data.train.t.size(), 1));
  std::vector<float> y_train = targets(data.train, x), y_val = targets(data.validation, x);
  double mean = 0.0, var = 0.0;
  for (float v : y_train) mean += v;
  mean /= static_cast<double>(y_train.size());
  for (float v : y_train) var += (v - mean) * (v - mean);
  x.target_mean = mean;
  x.target_std = std::sqrt(var / static_cast<double>(y_train.size()));
  if (!(x.target_std > 1e-9) || !std::isfinite(x.target_std))
    throw std::invalid_argument("volatility network: the training target is constant");
  auto standardise = [&](std::vector<float>& y) {
    for (float& v : y) v = static_cast<float>((v - x.target_mean) / x.target_std);
    return torch::from_blob(y.data(), {i64(y.size())}, torch::kFloat).clone();
  };
  const torch::Tensor yt = standardise(y_train), yv = standardise(y_val);
  const torch::Tensor xt = x.windows(s, data.train.t.data(), data.train.rows.data(), data.train.t.size());
  const torch::Tensor xv = x.windows(s, data.validation.t.data(), data.validation.rows.data(), data.validation.t.size());

  torch::manual_seed(o.seed);
  const json arch = architecture_of(o);
  auto net = build(x, arch);
  {
    // Output layer at zero: the untrained network forecasts GARCH times the training part's mean ratio.
    torch::NoGradGuard no_grad;
    std::size_t zeroed = 0;
    for (auto& p : net->named_parameters())
      if (p.key() == "head.3.weight" || p.key() == "head.3.bias") {
        p.value().zero_();
        ++zeroed;
      }
    if (zeroed != 2) throw std::logic_error("volatility network: the GRU head's output layer was not found");
  }
  torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(o.learning_rate).weight_decay(o.weight_decay));
  std::mt19937_64 rng(o.seed);
  std::vector<std::int64_t> order(data.train.t.size());
  std::iota(order.begin(), order.end(), 0);
  double best = part_mse(*net, xv, yv);
  const double initial = best;
  int best_epoch = 0, epochs_run = 0;
  std::vector<torch::Tensor> best_state = snapshot_state(*net);
  for (int epoch = 1; epoch <= o.max_epochs; ++epoch) {
    net->train();
    std::shuffle(order.begin(), order.end(), rng);  // only inside the training part
    for (std::size_t start = 0; start < order.size(); start += o.batch_size) {
      if (data.cancelled && data.cancelled()) throw volatility::VolatilityTrainCancelled();
      const std::size_t n = std::min(o.batch_size, order.size() - start);
      auto idx = torch::from_blob(order.data() + start, {i64(n)}, torch::kLong);
      optimizer.zero_grad();
      auto loss = torch::mse_loss(net->forward(xt.index_select(0, idx)), yt.index_select(0, idx));
      loss.backward();
      torch::nn::utils::clip_grad_norm_(net->parameters(), kGradClip);
      optimizer.step();
    }
    epochs_run = epoch;
    const double v = part_mse(*net, xv, yv);
    if (!std::isfinite(v)) throw std::runtime_error("volatility network diverged at epoch " + std::to_string(epoch));
    if (v < best - kMinImprovement) {
      best = v;
      best_epoch = epoch;
      best_state = snapshot_state(*net);
    }
    if (epoch - best_epoch >= o.patience) break;
  }
  restore_state(*net, best_state);
  drop_gradients(*net);
  const double train_mse = part_mse(*net, xt, yt);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // MSEs are of the standardised target (1 = the training mean's error on training data).
  json fit{{"bestEpoch", best_epoch}, {"epochsRun", epochs_run}, {"trainMse", train_mse},
           {"validationMse", best}, {"validationMseUntrained", initial}, {"trainSamples", data.train.t.size()},
           {"validationSamples", data.validation.t.size()}, {"seconds", seconds}, {"options", o.to_json()}};
  return std::make_shared<GruVolatilityNetwork>(std::move(x), arch, net, std::move(fit));
}

std::shared_ptr<const volatility::NetworkForecaster> load_network(const json& j, const std::string& bytes) {
  try {
    if (j.at("format").get<std::string>() != kFormat)
      throw std::invalid_argument("volatility network format '" + j.at("format").get<std::string>() +
                                  "', expected " + kFormat);
    InputTransform x = InputTransform::from_json(j.at("inputs"));
    const json arch = resolve_architecture(ModelType::kGru, j.at("architecture"));
    auto net = build(x, arch);
    load_network_weights(*net, bytes);
    if (count_parameters(*net) != j.at("parameters").get<std::size_t>())
      throw std::runtime_error("volatility network has " + std::to_string(count_parameters(*net)) +
                               " parameters, the stored model says " + std::to_string(j.at("parameters").get<std::size_t>()));
    return std::make_shared<GruVolatilityNetwork>(std::move(x), arch, net, j.value("fit", json()));
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("volatility network JSON: ") + e.what());
  } catch (const c10::Error& e) {
    throw std::runtime_error(std::string("volatility network weights: ") + e.what_without_backtrace());
  }
}

}  // namespace

void VolatilityNetworkOptions::validate() const {
  if (sequence_length < 1 || sequence_length > 200)
    throw std::invalid_argument("VolatilityNetworkOptions.sequence_length must be in [1, 200]");
  if (hidden < 1 || hidden > 1024) throw std::invalid_argument("VolatilityNetworkOptions.hidden must be in [1, 1024]");
  if (head < 1 || head > 1024) throw std::invalid_argument("VolatilityNetworkOptions.head must be in [1, 1024]");
  if (max_epochs < 1) throw std::invalid_argument("VolatilityNetworkOptions.max_epochs must be at least 1");
  if (patience < 1) throw std::invalid_argument("VolatilityNetworkOptions.patience must be at least 1");
  if (batch_size < 1) throw std::invalid_argument("VolatilityNetworkOptions.batch_size must be at least 1");
  if (!(learning_rate > 0.0) || !std::isfinite(learning_rate))
    throw std::invalid_argument("VolatilityNetworkOptions.learning_rate must be positive");
  if (!(weight_decay >= 0.0) || !std::isfinite(weight_decay))
    throw std::invalid_argument("VolatilityNetworkOptions.weight_decay must not be negative");
}

json VolatilityNetworkOptions::to_json() const {
  return {{"sequenceLength", sequence_length}, {"hidden", hidden}, {"head", head}, {"maxEpochs", max_epochs},
          {"patience", patience}, {"batchSize", batch_size}, {"learningRate", learning_rate},
          {"weightDecay", weight_decay}, {"seed", seed}, {"loss", "mse of log RV - log GARCH"}};
}

volatility::NetworkCandidate volatility_network_candidate(const VolatilityNetworkOptions& options) {
  options.validate();
  volatility::NetworkCandidate c;
  c.name = kName;
  c.train = [options](const volatility::NetworkTrainingData& data) { return train_network(data, options); };
  c.load = [](const json& j, const std::string& bytes) { return load_network(j, bytes); };
  return c;
}

void register_volatility_network(const VolatilityNetworkOptions& options) {
  volatility::register_network_candidate(volatility_network_candidate(options));
}

}  // namespace tbml::training
