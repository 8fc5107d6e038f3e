#pragma once
// What the service told clients, per pair and horizon: one record per candle with the served signal,
// the served probability, the base rate known at that moment and the model agreement, joined with the
// outcome once the horizon has passed. The signal monitor reads its shares from it and the ensemble
// breaker its realised skill (of what was served, not of an ungated combination). Pure container, no
// threads: the caller owns the locking.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "tbml/decision/circuit_breaker.h"
#include "tbml/decision/signal_monitor.h"

namespace tbml::decision {

struct ServedRecord {
  std::int64_t candle_ts = 0;  // the candle the answer was made on
  std::string signal = "HOLD";
  double probability = 0.5;    // served P(up): the ensemble's, or the base rate
  double base_rate = 0.5;      // the base-rate forecast known when it was served
  double agreement = 0.0;      // share of members on the served side
  std::optional<bool> up;      // the outcome once resolved
};

class ServedHistory {
 public:
  // Keeps every record within `keep_ms` of the newest candle, and at least the newest `keep_count`.
  ServedHistory(std::int64_t keep_ms, std::size_t keep_count);

  // A newer answer for a candle already held (a refresh after a retrain) replaces it, keeping a known
  // outcome. Records older than the oldest held are dropped (history only moves forward).
  void add(const ServedRecord& record);
  // Sets the outcome of the record on `candle_ts`; false when none is held.
  bool resolve(std::int64_t candle_ts, bool up);
  std::optional<double> base_rate_at(std::int64_t candle_ts) const;

  std::vector<SignalRecord> signals() const;            // for monitor_signals()
  std::vector<ResolvedOutcome> resolved_outcomes() const;  // served probability vs outcome, oldest first
  std::int64_t newest() const { return records_.empty() ? 0 : records_.back().candle_ts; }
  std::size_t size() const { return records_.size(); }

 private:
  void prune();
  std::int64_t keep_ms_;
  std::size_t keep_count_;
  std::deque<ServedRecord> records_;  // ascending candle_ts
};

}  // namespace tbml::decision
