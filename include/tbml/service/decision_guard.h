#pragma once
// One horizon's circuit breakers and signal monitor, per pair (docs/decision.md, "Service wiring"): a
// breaker per member and one for the ensemble, the history of served answers, and the monitor's latest
// report. The candle path feeds it (resolutions, new model versions, each published answer); routes,
// /metrics and health only read what it holds. Thread-safe: one mutex, held for the rules' arithmetic.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/decision/circuit_breaker.h"
#include "tbml/decision/served_history.h"
#include "tbml/decision/signal_monitor.h"
#include "tbml/ensemble/outcome_tracker.h"

namespace tbml {

// What the breakers say about a pair's next answer: members benched (name -> reason) and, while the
// ensemble breaker is tripped, why every signal is HOLD (empty otherwise).
struct BreakerGate {
  std::map<std::string, std::string> benched;
  std::string hold;
  nlohmann::json ensemble;  // EnsembleBreaker::to_json() (null before the pair's first judgement)
};

// Per pair, for /metrics and health.
struct GuardSummary {
  std::map<std::string, std::pair<bool, std::size_t>> models;  // name -> (benched now, times benched)
  bool tripped = false;
  std::size_t times_tripped = 0;
  std::string hold_reason;
  bool alert = false;
  std::string alert_reason;
};

class DecisionGuard {
 public:
  DecisionGuard(decision::BreakerOptions breaker, decision::SignalMonitorOptions monitor);

  // After a batch of resolutions (candle ts, up): the outcomes join the served history, then every
  // member's breaker judges its predictions in the tracker's window (the base rate each was made
  // against from the history) and the ensemble breaker the served probabilities. True when a member was
  // benched (its state is worth storing).
  bool on_resolved(const std::string& pair, const std::vector<std::pair<std::int64_t, bool>>& resolved,
                   const std::vector<ResolvedPrediction>& window, std::int64_t now_ms);
  // A member serving a version not seen before: its training report may re-admit it. `candle_ts` is the
  // pair's newest candle: from then on only outcomes of predictions on later candles count for it.
  // True when it re-admitted the member.
  bool on_version(const std::string& pair, const std::string& model, int version,
                  const decision::RetrainCheck& check, std::int64_t candle_ts);
  BreakerGate gate(const std::string& pair) const;
  // Each published answer; the monitor's report is recomputed with the newest candle as "now".
  void record_served(const std::string& pair, const decision::ServedRecord& record);

  // ModelBreaker::to_json() (a fresh breaker's "active, not judged yet" for a member not seen yet).
  nlohmann::json model_json(const std::string& pair, const std::string& model) const;
  nlohmann::json members_json(const std::string& pair) const;   // name -> ModelBreaker::to_json()
  nlohmann::json ensemble_json(const std::string& pair) const;  // EnsembleBreaker::to_json()
  nlohmann::json signals_json(const std::string& pair) const;   // SignalReport::to_json() (null: none)
  std::map<std::string, GuardSummary> summary() const;

  // The members' breaker states (name -> ModelBreaker::saved()) for storage, and their restoration at
  // start-up (throws std::invalid_argument on a malformed object).
  nlohmann::json saved(const std::string& pair) const;
  void restore(const std::string& pair, const nlohmann::json& saved);

 private:
  struct PairGuard {
    explicit PairGuard(const DecisionGuard& g);
    std::map<std::string, decision::ModelBreaker> members;
    std::map<std::string, int> versions;  // the last version seen per member
    decision::EnsembleBreaker ensemble;
    bool judged = false;
    decision::ServedHistory history;
    std::optional<decision::SignalReport> report;
  };
  PairGuard& pair_guard(const std::string& pair);  // creates; caller holds mutex_
  decision::ModelBreaker& member(PairGuard& g, const std::string& model);

  decision::BreakerOptions breaker_;
  decision::SignalMonitorOptions monitor_;
  mutable std::mutex mutex_;
  std::map<std::string, PairGuard> pairs_;
};

}  // namespace tbml
