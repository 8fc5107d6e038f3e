#pragma once
// Contract JSON (docs: api-contract.md) built from plain structs. Each body is built in exactly one
// function so serialisation can be optimised later without touching the handlers. These only serialise:
// the ensemble was combined into the snapshot when it was built.
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "tbml/ensemble/outcome_tracker.h"
#include "tbml/ensemble/prediction_snapshot.h"
#include "tbml/ensemble/strategy.h"
#include "tbml/ensemble/weights.h"

namespace tbml {

// Thrown when a body would need a prediction that does not exist (no successful model, or the requested
// model failed or is absent). The API answers 503 "Models not ready" with `errors`, never a number.
class NoPredictionError : public std::runtime_error {
 public:
  NoPredictionError(const std::string& message, std::map<std::string, std::string> errors)
      : std::runtime_error(message), errors_(std::move(errors)) {}
  const std::map<std::string, std::string>& errors() const { return errors_; }

 private:
  std::map<std::string, std::string> errors_;
};

// What only the caller knows.
struct ResponseMeta {
  bool cached = false;
  double response_time_ms = 0.0;  // the caller may also overwrite body["responseTime"] at the very end
  bool stale = false;             // data or models older than the freshness limit
  std::int64_t timestamp = 0;     // epoch ms of the response; 0 = now
};

// GET /api/predictions/:pair (ensemble form): serialises the snapshot's decision for `strategy`, combined
// when the snapshot was built (combine_snapshot), with the weights and their reason in force then.
// Throws NoPredictionError when the snapshot has no member answer or was not combined.
nlohmann::json ensemble_prediction_json(const PredictionSnapshot& snapshot, Strategy strategy,
                                        const ResponseMeta& response);

// ?model=<type>, ?ensemble=false and GET /api/models/:pair/:modelType/predict: prediction.type
// "individual", prediction.modelType, ensemble:false, singleModel:"<type>", strategy:null.
nlohmann::json individual_prediction_json(const PredictionSnapshot& snapshot, const std::string& model,
                                          const ResponseMeta& response, const CombineOptions& options = {});

// GET /api/ensemble/:pair/stats
struct EnsembleStatsView {
  std::string pair;
  Strategy strategy = Strategy::kWeighted;
  WeightDecision weights;  // the weights in force and why
  WeightMap configured_weights;
  bool auto_update = false;
  std::size_t min_outcomes = 0;
  PairStats stats;
  SnapshotPtr snapshot;  // latest, may be null: its decision for `strategy` is the current one
  std::int64_t timestamp = 0;  // 0 = now
};
nlohmann::json ensemble_stats_json(const EnsembleStatsView& view);

// GET /api/models/:pair/compare: per model its latest prediction (or error), realised accuracy and Brier,
// and agreement with the ensemble (now, and over the resolved window).
struct ModelCompareView {
  std::string pair;
  Strategy strategy = Strategy::kWeighted;
  WeightMap weights;
  PairStats stats;
  SnapshotPtr snapshot;  // may be null; its decision for `strategy` is the ensemble compared with
  CombineOptions options;  // the signal threshold of each member's own signal
  std::int64_t timestamp = 0;  // 0 = now
};
nlohmann::json models_compare_json(const ModelCompareView& view);

// {count, accuracy, brier, logLoss, baseRate, baselineBrier, meanProbability}; metric fields are null
// when count is 0 (no outcome yet is not a score of 0).
nlohmann::json rolling_stats_json(const RollingStats& stats);

}  // namespace tbml
