#pragma once
// Circuit breakers over realised (resolved, out-of-sample) predictions. A model that has gone bad is
// benched: weight 0, state "benched" with the numbers, and it comes back only when a retrain passes the
// floors on its fresh test data. A service-wide breaker turns every signal to HOLD while the ensemble's
// realised Brier skill is below its floor. Pure logic, no threads: the caller owns the locking.
//
// "Below a floor" means below it beyond noise: neighbouring outcomes share horizon − 1 moves, so the
// numbers come with a circular moving-block bootstrap interval (models/edge.h, blocks of 2 × horizon) and
// the breaker acts only when the whole interval lies below the floor. A model merely without an edge is
// the edge gate's business (weight 0 already); the breaker is for one that is demonstrably worse.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml::decision {

struct BreakerOptions {
  std::size_t window = 200;         // last N resolved predictions judged
  std::size_t min_outcomes = 50;    // fewer: not judged
  double accuracy_floor = 0.5;      // threshold-0.5 accuracy
  double skill_floor = 0.0;         // Brier skill 1 − Brier / Brier(base-rate forecasts)
  double ensemble_skill_floor = 0.0;
  std::size_t horizon = 5;          // candles between a prediction and its outcome (sets the block)
  int resamples = 1000;
  double level = 0.95;
  void validate() const;            // throws std::invalid_argument naming the bad field
};

struct ResolvedOutcome {
  std::int64_t made_at = 0;  // epoch ms (or candle timestamp) of the prediction
  double p = 0.5;            // the model's P(up)
  bool up = false;           // what happened
  // The base-rate forecast known when the prediction was made (the snapshot's running base rate): the
  // skill reference. Not the window's own share of ups, which is hindsight: in a trend every model near
  // 0.5 would look demonstrably worse than it.
  double base_rate = 0.5;
};

struct RealisedSkill {
  std::size_t count = 0;
  double accuracy = 0.0, accuracy_low = 0.0, accuracy_high = 0.0;
  double brier = 0.0;
  double base_rate = 0.0;      // share of ups in the window (for the record)
  double base_brier = 0.0;     // Brier score of the base-rate forecasts b_i
  bool skill_defined = false;  // false when the base-rate forecasts were exactly right (base Brier 0)
  double skill = 0.0, skill_low = 0.0, skill_high = 0.0;
  nlohmann::json to_json() const;
  static RealisedSkill from_json(const nlohmann::json& j);  // the inverse of to_json()
};

// Scores the newest `options.window` of `outcomes` (oldest first). Throws std::invalid_argument on a
// probability or base rate outside [0, 1].
RealisedSkill realised_skill(const std::vector<ResolvedOutcome>& outcomes, const BreakerOptions& options);

// What a retrain reported on its held-out test part (the most recent candles it saw).
struct RetrainCheck {
  int version = 0;
  std::int64_t data_to = 0;     // timestamp of the last candle the retrain used
  std::size_t test_samples = 0;
  double test_accuracy = 0.0, test_brier = 0.0, test_base_rate = 0.0;
};

enum class BreakerState { kActive, kBenched };
std::string to_string(BreakerState state);  // "active", "benched"

class ModelBreaker {
 public:
  explicit ModelBreaker(BreakerOptions options = {});

  // The model's resolved predictions, oldest first. Only those made after the last re-admission count,
  // so the outcomes that benched a model cannot bench its passing successor again. Active → benched when
  // at least min_outcomes count and the accuracy or skill interval lies wholly below its floor.
  // A benched model stays benched whatever its outcomes do.
  void observe(const std::vector<ResolvedOutcome>& outcomes, std::int64_t now_ms);
  // A retrain that passes re-admits a benched model: its test part must be fresh (data_to after the
  // newest outcome that was judged when benching), hold at least min_outcomes windows, and reach both
  // floors. Returns true when the model was re-admitted; the reason says why not otherwise.
  bool on_retrain(const RetrainCheck& check, std::int64_t now_ms);

  BreakerState state() const { return state_; }
  bool benched() const { return state_ == BreakerState::kBenched; }
  double weight_factor() const { return benched() ? 0.0 : 1.0; }  // multiplies the ensemble weight
  const std::string& reason() const { return reason_; }
  std::size_t times_benched() const { return times_benched_; }
  nlohmann::json to_json() const;  // {"state","reason","benchedAt","benchedSkill","latest","countingSince",...}
  // What survives a restart: the state, the verdict and its numbers, the counters. restore() puts them
  // into a fresh breaker, so a restart does not re-admit a benched model (its stored version meets
  // on_retrain again with data that ends before the outcomes that benched it). Throws
  // std::invalid_argument on a malformed object.
  nlohmann::json saved() const;
  void restore(const nlohmann::json& saved);

 private:
  BreakerOptions options_;
  BreakerState state_ = BreakerState::kActive;
  std::string reason_ = "not judged yet";
  std::int64_t counting_since_ = 0;  // outcomes made at or before this are ignored (last re-admission)
  std::int64_t benched_at_ = 0, benched_data_ = 0;
  std::size_t times_benched_ = 0;
  RealisedSkill latest_, at_bench_;
  nlohmann::json last_retrain_;
};

// The service-wide breaker: every signal becomes HOLD while the ensemble's realised Brier skill interval
// lies wholly below ensemble_skill_floor, and signals come back as soon as it no longer does (the
// ensemble's probabilities are still recorded and resolved while its signals are held).
class EnsembleBreaker {
 public:
  explicit EnsembleBreaker(BreakerOptions options = {});
  void observe(const std::vector<ResolvedOutcome>& outcomes);
  bool tripped() const { return tripped_; }
  std::string gate(const std::string& signal) const { return tripped_ ? "HOLD" : signal; }
  const std::string& reason() const { return reason_; }
  std::size_t times_tripped() const { return times_tripped_; }
  nlohmann::json to_json() const;  // {"tripped","reason","floor","latest"}

 private:
  BreakerOptions options_;
  bool tripped_ = false;
  std::size_t times_tripped_ = 0;
  std::string reason_ = "not judged yet";
  RealisedSkill latest_;
};

}  // namespace tbml::decision
