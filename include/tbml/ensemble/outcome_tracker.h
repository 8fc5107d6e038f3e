#pragma once
// Scores predictions against what the market then did. Each prediction is tied to the candle it was made
// on; once the candle `horizon` steps later has arrived, the outcome is close[t+h] > close[t] (an equal
// close counts as "not up", matching the training label). Resolved records feed rolling per-model stats
// and, when enabled, dynamic ensemble weights. Thread-safe; storage persists the records it returns and
// hands them back through restore() after a restart.
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tbml/ensemble/prediction_snapshot.h"
#include "tbml/ensemble/strategy.h"
#include "tbml/ensemble/weights.h"
#include "tbml/market/candle.h"

namespace tbml {

struct TrackedPrediction {
  std::string pair;
  std::int64_t candle_ts = 0;  // the candle the prediction was made on
  double close = 0.0;          // its close
  std::size_t horizon = 5;     // steps (candles) ahead
  std::int64_t made_at = 0;    // epoch ms
  std::map<std::string, double> models;    // model name -> probability
  // Strategy name -> ensemble probability. Every strategy is scored, so switching strategy later is
  // backed by realised numbers for all of them.
  std::map<std::string, double> ensemble;
};

struct ResolvedPrediction {
  TrackedPrediction prediction;
  std::int64_t outcome_ts = 0;  // the candle `horizon` steps after prediction.candle_ts
  double outcome_close = 0.0;
  int outcome = 0;  // 1 when outcome_close > prediction.close, else 0
  std::int64_t resolved_at = 0;  // epoch ms
};

// Builds a record from a snapshot: per-model probabilities and the ensemble under every strategy with the
// given weights. Throws std::invalid_argument when the snapshot has no successful model.
TrackedPrediction tracked_from_snapshot(const PredictionSnapshot& snapshot, double close,
                                        const WeightMap& weights);

struct CandleClose {
  std::int64_t timestamp = 0;
  double close = 0.0;
};

struct RollingStats {
  std::size_t count = 0;
  double accuracy = 0.0;  // share of (p > 0.5) == outcome
  double brier = 0.0;     // mean (p - y)^2
  double log_loss = 0.0;  // mean -[y ln p + (1-y) ln(1-p)], p clamped to [1e-7, 1 - 1e-7]
  double base_rate = 0.0;       // share of outcomes that were up
  double baseline_brier = 0.0;  // Brier of always predicting base_rate: base_rate * (1 - base_rate)
  double mean_probability = 0.0;
};

struct ModelStats {
  RollingStats realised;
  // Share of resolved predictions where this model's direction matched the ensemble's direction under
  // the reference strategy (0 when count is 0).
  double agreement = 0.0;
  std::size_t agreement_count = 0;
};

struct PairStats {
  std::string pair;
  std::size_t window = 0;  // configured rolling window
  std::size_t recorded = 0, resolved = 0, pending = 0;
  std::size_t replaced = 0;  // a newer prediction for the same candle replaced the pending one
  std::size_t dropped = 0;   // pending predictions evicted by max_pending
  std::size_t rejected = 0;  // record() refused (outcome already known, bad input)
  std::map<std::string, ModelStats> models;
  std::map<std::string, RollingStats> ensemble;  // per strategy name
};

struct WeightDecision {
  WeightMap weights;
  bool dynamic = false;  // true when realised skill set the weights
  std::string reason;    // human-readable, e.g. "lstm Brier 0.231 vs base-rate 0.249 over 120 outcomes"
  std::size_t outcomes = 0;
};

struct OutcomeTrackerOptions {
  std::size_t window = 200;         // rolling stats over the last N resolved predictions per pair
  std::size_t min_outcomes = 20;    // per model, before its realised skill may set its weight
  double weight_floor = 0.05;       // no model is switched off completely
  double skill_temperature = 0.1;   // skill gap that costs a factor e in weight (see decide_weights)
  std::size_t max_pending = 10000;  // per pair; the oldest pending prediction is dropped beyond this
  std::size_t keep_candles = 64;    // recent candles kept beyond what pending predictions need
};

struct RecordResult {
  bool accepted = false;
  std::string reason;  // why not, when rejected
};

class OutcomeTracker {
 public:
  explicit OutcomeTracker(OutcomeTrackerOptions options = {});

  // Registers a prediction made on candle `candle_ts`. One pending prediction per candle: a newer one
  // for the same candle (e.g. after a retrain) replaces it. Rejected when its outcome is already known
  // (h later candles have been seen) — a prediction made after the fact must not be scored — or when
  // the record is malformed (empty pair, no models, horizon 0, non-finite close or probability).
  RecordResult record(const TrackedPrediction& prediction);

  // Feeds candles (any order, duplicates fine; a later close for a known timestamp overwrites it) and
  // returns every prediction that resolved because of them, oldest first, for storage.
  std::vector<ResolvedPrediction> on_candles(const std::string& pair, const std::vector<CandleClose>& candles,
                                             std::int64_t now_ms = 0);
  std::vector<ResolvedPrediction> on_candles(const std::string& pair, const std::vector<Candle>& candles,
                                             std::int64_t now_ms = 0);

  // Rolling statistics; agreement is measured against the ensemble under `reference`.
  PairStats stats(const std::string& pair, Strategy reference = Strategy::kWeighted) const;
  // The resolved predictions in the pair's window, oldest first (what the stacked meta-learner fits on).
  std::vector<ResolvedPrediction> window(const std::string& pair) const;
  std::vector<std::string> pairs() const;

  // Dynamic weights. Formula, per model with >= min_outcomes resolved predictions in the window:
  //   skill_i  = 1 - Brier_i / Brier_base_i (>= -1), Brier_base_i = r(1 - r) with r the base rate of the
  //              outcomes scored (the Brier score of always predicting the base rate); the outcomes
  //              scored are those every such model predicted, or each model's own when fewer than
  //              min_outcomes are shared;
  //   weight_i = max(floor, exp((skill_i - max_j skill_j) / skill_temperature)), so the most skilful
  //              model gets 1.0 and each `skill_temperature` of skill behind it costs a factor e.
  // The weights follow relative skill even when no model beats the base rate (the reason then says so):
  // the ensemble should still lean on the least bad model, and the stats show that none has an edge.
  // Models below min_outcomes keep their configured weight. With auto_update off, or with no model past
  // min_outcomes, the configured weights are returned unchanged; `reason` says which case applied and
  // quotes the numbers.
  WeightDecision decide_weights(const std::string& pair, const WeightMap& configured, bool auto_update) const;

  // Restart support: loads resolved history (the newest `window` per pair are kept for stats; counters
  // grow by the number loaded) and still-pending predictions (accepted without the "outcome already
  // known" check; they resolve when their candles arrive). Duplicates by (pair, candle_ts) are ignored.
  void restore(const std::vector<ResolvedPrediction>& resolved);
  void restore_pending(const std::vector<TrackedPrediction>& pending);

  const OutcomeTrackerOptions& options() const { return options_; }

 private:
  struct PairState {
    std::map<std::int64_t, double> candles;  // timestamp -> close
    std::map<std::int64_t, TrackedPrediction> pending;  // by candle_ts
    std::deque<ResolvedPrediction> window;  // oldest first, at most options_.window
    std::size_t recorded = 0, resolved = 0, replaced = 0, dropped = 0, rejected = 0;
  };

  bool outcome_known(const PairState& state, const TrackedPrediction& p) const;
  void add_pending(PairState& state, const TrackedPrediction& p);
  void push_resolved(PairState& state, ResolvedPrediction r);
  std::vector<ResolvedPrediction> resolve(PairState& state, std::int64_t now_ms);
  void trim_candles(PairState& state);
  // Rolling stats of `names` over the window's outcomes that every one of them predicted.
  std::map<std::string, RollingStats> shared_stats(const std::string& pair, const std::vector<std::string>& names) const;

  OutcomeTrackerOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, PairState> pairs_;
};

}  // namespace tbml
