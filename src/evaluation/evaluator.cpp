#include "tbml/evaluation/evaluator.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "tbml/ensemble/weights.h"
#include "tbml/evaluation/baselines.h"
#include "tbml/training/calibration.h"
#include "tbml/training/dataset.h"
#include "tbml/training/metrics.h"
#include "tbml/volatility/ewma.h"
#include "tbml/volatility/realised.h"

namespace tbml::evaluation {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Each fold's training window keeps a small "test" tail because train_model insists on three parts;
// it is reported per fold, and it lies before the fold's predicted block.
constexpr double kInnerTestFraction = 0.03;
// Returns the EWMA volatility forecast reads (a month of hourly candles; λ = 0.94 forgets far sooner).
constexpr std::size_t kEwmaWindow = 720;

// Raw feature windows of `scored`, back to back, as Model::predict expects them.
std::vector<float> gather_windows(const Series& series, const std::vector<Window>& scored, std::size_t steps) {
  std::vector<float> out;
  out.reserve(scored.size() * steps * series.width);
  for (const Window& w : scored) out.insert(out.end(), series.row(w.last + 1 - steps), series.row(w.last + 1));
  return out;
}

MethodPredictions& method(PairEvaluation& e, const std::string& name, const std::string& group) {
  for (auto& m : e.methods)
    if (m.name == name) return m;
  e.methods.push_back(MethodPredictions{name, group, {}});
  return e.methods.back();
}

TrainOptions fold_train_options(const EvaluationOptions& o, ModelType type) {
  TrainOptions t = o.train;
  t.sequence_length = o.walk.sequence_length;
  t.horizon = o.walk.horizon;
  t.validation_fraction = o.validation_fraction;
  t.train_fraction = 1.0 - o.validation_fraction - kInnerTestFraction;
  t.max_windows = 0;
  if (t.architecture.is_null() || t.architecture.empty()) t.architecture = small_architecture(type);
  return t;
}

}  // namespace

TrainOptions EvaluationOptions::default_train_options() {
  TrainOptions t;
  t.epochs = 10;
  t.patience = 2;
  t.batch_size = 128;
  t.learning_rate = 1e-3;
  t.torch_threads = 1;  // as `tbml train`: a second thread on 2 cores only adds libgomp spinning
  t.architecture = nlohmann::json::object();
  return t;
}

void EvaluationOptions::validate() const {
  walk.validate();
  if (models.empty()) throw std::invalid_argument("no model type to evaluate");
  if (!(validation_fraction >= 0.05 && validation_fraction <= 0.5))
    throw std::invalid_argument("validation_fraction must be in [0.05, 0.5]");
  if (!(cost >= 0.0 && cost < 0.1)) throw std::invalid_argument("cost must be in [0, 0.1)");
  stacking.validate();
  train.validate();
}

nlohmann::json small_architecture(ModelType type) {
  switch (type) {
    case ModelType::kLstm:
    case ModelType::kGru: return {{"hidden", 32}, {"layers", 1}, {"dropout", 0.1}, {"head", 16}};
    case ModelType::kCnn: return {{"channels", {16, 32}}, {"kernel", 3}, {"dropout", 0.1}, {"head", 16}};
    case ModelType::kTransformer:
      return {{"dModel", 32}, {"heads", 4}, {"layers", 1}, {"ff", 64}, {"dropout", 0.1}, {"head", 16}};
    case ModelType::kXgboost: return nlohmann::json::object();  // the trees' defaults
  }
  throw std::invalid_argument("unknown model type");
}

nlohmann::json FoldRecord::to_json() const {
  return {{"trainRows", {fold.train_begin, fold.train_end}},
          {"testRows", {fold.test_begin, fold.test_end}},
          {"trainFrom", train_from}, {"trainTo", train_to},
          {"testFrom", test_from}, {"testTo", test_to},
          {"scored", scored}, {"seconds", seconds}, {"details", details}};
}

Series slice_series(const Series& series, std::size_t begin, std::size_t end) {
  if (begin >= end || end > series.size()) throw std::invalid_argument("slice_series: bad row range");
  Series s;
  s.pair = series.pair;
  s.width = series.width;
  s.candles.assign(series.candles.begin() + static_cast<std::ptrdiff_t>(begin),
                   series.candles.begin() + static_cast<std::ptrdiff_t>(end));
  if (!series.gap_before.empty()) {
    s.gap_before.assign(series.gap_before.begin() + static_cast<std::ptrdiff_t>(begin),
                        series.gap_before.begin() + static_cast<std::ptrdiff_t>(end));
    s.gap_before[0] = 0;
  }
  s.features.assign(series.row(begin), series.row(end));
  return s;
}

PairEvaluation evaluate_pair(const Series& series, const EvaluationOptions& options,
                             const EvaluationProgress& progress) {
  const auto started = Clock::now();
  options.validate();
  const auto& walk = options.walk;
  const std::vector<Fold> folds = plan_folds(series.size(), walk);
  const std::vector<Window> all = eligible_windows(series, walk.sequence_length, walk.horizon);
  const std::vector<double> returns = volatility::log_returns(series);
  auto say = [&](const std::string& text) {
    if (progress) progress(text);
  };

  PairEvaluation e;
  std::vector<std::vector<double>> members(options.models.size());  // calibrated, all folds, for stacking
  e.pair = series.pair;
  e.horizon = walk.horizon;
  for (const Fold& fold : folds) {
    const auto fold_started = Clock::now();
    std::vector<Window> scored;
    for (const Window& w : all)
      if (w.last >= fold.test_begin && w.last < fold.test_end) scored.push_back(w);
    if (scored.empty()) continue;  // the whole block fell into a gap

    FoldRecord record;
    record.fold = fold;
    record.scored = scored.size();
    record.train_from = series.candles[fold.train_begin].timestamp;
    record.train_to = series.candles[fold.train_end - 1].timestamp;
    record.test_from = series.candles[scored.front().last].timestamp;
    record.test_to = series.candles[scored.back().last].timestamp;
    const Series train_part = slice_series(series, fold.train_begin, fold.train_end);
    const std::vector<float> inputs = gather_windows(series, scored, walk.sequence_length);

    // Networks, each with its own normaliser and calibrator fitted inside the training window.
    std::vector<std::vector<double>> calibrated;
    for (ModelType type : options.models) {
      const std::string name = to_string(type);
      say(fmt::format("{} fold {}/{}: training {}", series.pair, &fold - folds.data() + 1, folds.size(), name));
      const TrainResult result = train_model(type, train_part, fold_train_options(options, type));
      std::vector<double> p = result.model->predict(inputs.data(), scored.size());
      std::vector<double> raw = predict_uncalibrated(*result.model, inputs.data(), scored.size());
      const PlattCalibrator cal = calibrator_of(*result.model);
      record.details["models"][name] = {
          {"epochsRun", result.report.epochs_run},
          {"bestEpoch", result.report.best_epoch},
          {"trainSeconds", result.report.wall_seconds},
          {"trainWindows", result.report.train.samples},
          {"validation", result.report.validation.to_json()},
          {"innerTest", result.report.test.to_json()},
          {"calibration", cal.to_json()}};
      record.members[name] = MemberCheck{result.report.edge, result.report.calibration_checked()};
      record.details["models"][name]["edge"] = result.report.edge ? result.report.edge->to_json() : nlohmann::json();
      record.details["models"][name]["calibrationChecked"] = result.report.calibration_checked();
      auto& m = method(e, name, "model").p;
      m.insert(m.end(), p.begin(), p.end());
      auto& r = method(e, name + " (uncalibrated)", "uncalibrated").p;
      r.insert(r.end(), raw.begin(), raw.end());
      members[calibrated.size()].insert(members[calibrated.size()].end(), p.begin(), p.end());
      calibrated.push_back(std::move(p));
    }

    // Ensembles of the calibrated probabilities, as the service combines them.
    for (Strategy strategy : options.strategies) {
      auto& m = method(e, "ensemble " + to_string(strategy), "ensemble").p;
      for (std::size_t i = 0; i < scored.size(); ++i) {
        std::vector<ModelVote> votes;
        for (std::size_t k = 0; k < options.models.size(); ++k) {
          const std::string name = to_string(options.models[k]);
          votes.push_back(ModelVote{name, calibrated[k][i], weight_for(default_weights(), name)});
        }
        m.push_back(combine(votes, strategy).probability);
      }
    }

    // Baselines, fitted on the same training part (same chronological train/validation split).
    DatasetOptions dso;
    dso.sequence_length = walk.sequence_length;
    dso.horizon = walk.horizon;
    dso.validation_fraction = options.validation_fraction;
    dso.train_fraction = 1.0 - options.validation_fraction - kInnerTestFraction;
    const Dataset inner = make_dataset(train_part, dso);
    auto append = [&](const std::string& name, const std::vector<double>& p) {
      auto& m = method(e, name, "baseline").p;
      m.insert(m.end(), p.begin(), p.end());
    };
    append("always-up", always_up(scored.size()));
    append("running base rate", running_base_rate(all, scored, walk.horizon));
    const Persistence persistence = Persistence::fit(train_part, inner.train, walk.horizon);
    append("persistence", persistence.predict(series, scored, walk.horizon));
    const LogisticBaseline logistic = LogisticBaseline::fit(train_part, inner.train, inner.validation);
    append("logistic regression", logistic.predict(series, scored));
    record.details["persistence"] = {{"trainHitRate", persistence.hit_rate}};
    record.details["logistic"] = {{"l2", logistic.l2}, {"validationLogLoss", logistic.validation_losses}};

    // The volatility forecast the sizing scales with: EWMA seeded on the fold's training returns.
    std::optional<volatility::Ewma> ewma;
    try {
      ewma = volatility::Ewma::fit(returns, fold.train_begin + 1, fold.train_end);
    } catch (const std::invalid_argument&) {
      // fewer than two returns in the training part: no forecast (sizing says so)
    }
    for (const Window& w : scored) {
      e.last.push_back(w.last);
      e.horizon_log_return.push_back(std::log(series.candles[w.last + walk.horizon].close / series.candles[w.last].close));
      e.sigma.push_back(ewma ? std::sqrt(ewma->forecast(returns, w.last, walk.horizon, kEwmaWindow))
                             : std::numeric_limits<double>::quiet_NaN());
      e.timestamp.push_back(series.candles[w.last].timestamp);
      e.label.push_back(w.label);
      const double now = series.candles[w.last].close;
      e.next_return.push_back(series.candles[w.last + 1].close / now - 1.0);
      e.fold_of.push_back(e.folds.size());
    }
    record.seconds = seconds_since(fold_started);
    say(fmt::format("{} fold {}/{}: {} windows scored in {:.1f} s", series.pair, &fold - folds.data() + 1,
                    folds.size(), scored.size(), record.seconds));
    e.folds.push_back(std::move(record));
  }
  if (e.last.empty()) throw std::invalid_argument(series.pair + ": no window could be scored (gaps?)");

  // Stacked ensemble: fold k's meta-learner sees only earlier folds' (out-of-sample) member predictions.
  if (options.stacked && options.models.size() >= 2) {
    StackingInput in;
    in.members = std::move(members);
    in.label = e.label;
    in.last = e.last;
    in.fold = e.fold_of;
    in.horizon = walk.horizon;
    const MethodPredictions* weighted = nullptr;
    for (const auto& m : e.methods)
      if (m.name == "ensemble weighted") weighted = &m;
    if (weighted) {
      in.fallback = weighted->p;
    } else {  // the plain mean of the members
      in.fallback.assign(e.label.size(), 0.0);
      for (const auto& m : in.members)
        for (std::size_t i = 0; i < m.size(); ++i) in.fallback[i] += m[i] / static_cast<double>(in.members.size());
    }
    StackingResult stacked = stack_out_of_fold(in, options.stacking);
    for (std::size_t k = 0; k < e.folds.size() && k < stacked.folds.size(); ++k)
      e.folds[k].details["stacked"] = stacked.folds[k];
    // Next to the other ensembles, before the baselines.
    auto at = e.methods.begin();
    for (auto it = e.methods.begin(); it != e.methods.end(); ++it)
      if (it->group == "ensemble") at = it + 1;
    e.methods.insert(at, MethodPredictions{"ensemble stacked", "ensemble", std::move(stacked.p)});
  }
  e.seconds = seconds_since(started);
  return e;
}

}  // namespace tbml::evaluation
