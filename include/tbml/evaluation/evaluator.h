#pragma once
// Walk-forward evaluation of one pair: for every fold, train each model type on the fold's training
// candles only (train_model: chronological train/validation split, normaliser and calibrator fitted
// there), predict the fold's windows strictly out of sample, and put the ensemble strategies and the
// baselines next to them on exactly the same windows.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/ensemble/strategy.h"
#include "tbml/evaluation/stacking.h"
#include "tbml/evaluation/walk_forward.h"
#include "tbml/market/series.h"
#include "tbml/models/model.h"
#include "tbml/training/trainer.h"

namespace tbml::evaluation {

struct EvaluationOptions {
  WalkForwardOptions walk;
  std::vector<ModelType> models = all_model_types();
  std::vector<Strategy> strategies = all_strategies();
  // Epochs, patience, batch size, learning rate, seed, threads, feature names; sequence_length, horizon
  // and the fractions are set from `walk` and `validation_fraction`. An empty architecture means
  // small_architecture(type).
  TrainOptions train = default_train_options();
  double validation_fraction = 0.20;  // of each fold's training windows, the most recent ones
  double cost = 0.001;                // per trade, for the long/flat rule
  // "ensemble stacked": an L2 logistic meta-learner on the members' out-of-fold logits (stacking.h);
  // needs at least two members, otherwise it is left out.
  bool stacked = true;
  StackingOptions stacking;

  static TrainOptions default_train_options();
  void validate() const;  // throws std::invalid_argument
};

// Networks small enough for many walk-forward folds on a 2-core machine.
nlohmann::json small_architecture(ModelType type);

struct MethodPredictions {
  std::string name;   // "lstm", "lstm (uncalibrated)", "ensemble weighted", "always-up", ...
  std::string group;  // "model", "uncalibrated", "ensemble", "baseline"
                      // ("ensemble stacked" is fitted on earlier folds' member predictions only)
  std::vector<double> p;
};

// What a member's training in one fold reported, as the service would see it at serving time.
struct MemberCheck {
  std::optional<DirectionEdge> edge;  // on the fold's inner test tail
  bool calibration_checked = false;
};

struct FoldRecord {
  Fold fold;
  std::map<std::string, MemberCheck> members;  // by model name
  std::int64_t train_from = 0, train_to = 0;  // timestamps of the first and last training candle
  std::int64_t test_from = 0, test_to = 0;    // timestamps of the first and last scored "now"
  std::size_t scored = 0;
  double seconds = 0.0;
  nlohmann::json details;  // per model: epochs, validation metrics, calibrator; baselines' fitted values
  nlohmann::json to_json() const;  // the fold as the JSON reports list it (direction and volatility)
};

struct PairEvaluation {
  std::string pair;
  std::size_t horizon = 0;
  std::vector<std::size_t> last;           // scored windows' "now" rows, oldest first
  std::vector<std::int64_t> timestamp;     // their candle timestamps
  std::vector<std::uint8_t> label;         // 1 = close rose over the horizon
  std::vector<double> next_return;         // close[now + 1] / close[now] − 1 (for the long/flat rule)
  std::vector<double> horizon_log_return;  // log(close[now + horizon] / close[now]): the resolved move
  std::vector<double> sigma;               // EWMA forecast σ of that move made at "now" (NaN: none)
  std::vector<std::size_t> fold_of;        // index into `folds` of each scored window
  std::vector<MethodPredictions> methods;  // each p aligned with `last`
  std::vector<FoldRecord> folds;
  double seconds = 0.0;
};

using EvaluationProgress = std::function<void(const std::string&)>;

// Throws std::invalid_argument on bad options or a series too short for them.
PairEvaluation evaluate_pair(const Series& series, const EvaluationOptions& options,
                             const EvaluationProgress& progress = {});

// The rows [begin, end) of `series` as a Series of their own (features are per-candle causal, so a slice
// is exactly what the model would have seen at the time).
Series slice_series(const Series& series, std::size_t begin, std::size_t end);

}  // namespace tbml::evaluation
