#pragma once
// The result of running a pair's models once on its latest window, combined once into the ensemble's
// answers. Immutable once published: HTTP handlers share it as std::shared_ptr<const PredictionSnapshot>
// and only serialise it, so a request never runs a model and never recombines.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/ensemble/served_ensemble.h"
#include "tbml/models/edge.h"
#include "tbml/util/json_template.h"

namespace tbml {

struct ModelPrediction {
  std::string model;         // type name: "lstm", "gru", ...
  double probability = 0.5;  // finite, in [0, 1] (the predictor rejects anything else)
  int version = 0;
  std::int64_t trained_at = 0;  // epoch ms
  double inference_us = 0.0;    // wall time of this model's predict() call
  std::optional<DirectionEdge> edge;  // from its training report; absent (old model): no edge
  // MC-dropout samples of P(up) drawn when the models ran (empty: off, or a model without dropout), and
  // the wall time they took.
  std::vector<double> samples;
  double samples_us = 0.0;
  // Set by the service when the member's circuit breaker has benched it (the breaker's reason): it is
  // shown but does not vote, whatever its edge.
  std::string benched;
  bool calibration_checked = false;   // its held-out calibration check passed (for sizing)
  bool has_edge() const { return edge && edge->real(); }
  bool votes() const { return has_edge() && benched.empty(); }
};

struct PredictionSnapshot {
  std::string pair;
  std::int64_t data_timestamp = 0;  // the candle the prediction is made on (last row of the window)
  std::int64_t computed_at = 0;     // epoch ms when the models ran
  std::vector<ModelPrediction> models;        // successful models, in the order they were given
  std::map<std::string, std::string> errors;  // model type name -> why it produced no prediction
  std::map<std::string, double> error_inference_us;  // time spent in models that failed
  std::size_t feature_count = 0;
  std::size_t horizon = 0;
  std::size_t sequence_length = 0;
  double total_us = 0.0;  // all models together
  // Share of up-moves over `horizon` among the pair's resolved candles at the time (the climatology a
  // model without an edge is no better than), and how many windows it counts.
  double base_rate = 0.5;
  std::size_t base_rate_windows = 0;
  // Published without any member: candidates were trained and rejected, so the answer is the base rate.
  bool base_rate_only = false;
  std::string base_rate_reason;
  // The volatility forecast made on the same candle ({"available": false, "reason"} without one).
  nlohmann::json volatility;
  // The position sizing of the served decision (decision::Sizing::to_json() plus "strategy"), set by the
  // service before publishing; null when not computed.
  nlohmann::json sizing;
  nlohmann::json uncertainty;  // {"memberSpread", "mcDropout"}, set by the service alike
  // Non-empty while the pair's ensemble circuit breaker is tripped: why every signal is HOLD. Set by the
  // service before publishing, with `breaker` (the ensemble breaker's state) for the answer.
  std::string hold_reason;
  nlohmann::json breaker;
  // The members combined once for every strategy a request can name (combine_snapshot), set before
  // publishing; the routes serialise it and never combine again.
  ServedEnsemble ensemble;
  // The prediction answer of each form (5 strategies, then 5 model types), serialised with holes on first
  // request (service/prediction_answer): built from the fields above once published, never before. A
  // copy starts empty.
  static constexpr std::size_t kAnswerForms = 10;
  TemplateSlots<kAnswerForms> answers;

  const ModelPrediction* find(const std::string& model) const {
    for (const auto& m : models) {
      if (m.model == model) return &m;
    }
    return nullptr;
  }
};

using SnapshotPtr = std::shared_ptr<const PredictionSnapshot>;

// Latest snapshot per pair. publish() swaps a pointer under a writer lock; get() copies a shared_ptr
// under a reader lock, so reads are cheap and a reader keeps its snapshot alive while serialising.
class SnapshotStore {
 public:
  void publish(SnapshotPtr snapshot);  // keyed by snapshot->pair; null is ignored
  SnapshotPtr get(const std::string& pair) const;  // null when none yet
  std::vector<SnapshotPtr> all() const;            // sorted by pair
  void erase(const std::string& pair);
  std::size_t size() const;

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, SnapshotPtr> snapshots_;
};

}  // namespace tbml
