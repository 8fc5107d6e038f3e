// The breakers and the signal monitor of one horizon, per pair (decision_guard.h).
#include "tbml/service/decision_guard.h"

#include "tbml/service/decision_wiring.h"

namespace tbml {

namespace {
// Served answers kept beyond the monitor's long window: the breaker's window of resolved ones plus
// those still waiting for their outcome.
std::size_t history_count(const decision::BreakerOptions& b) { return b.window + 2 * b.horizon + 8; }
}  // namespace

DecisionGuard::PairGuard::PairGuard(const DecisionGuard& g)
    : ensemble(g.breaker_), history(g.monitor_.long_window_ms, history_count(g.breaker_)) {}

DecisionGuard::DecisionGuard(decision::BreakerOptions breaker, decision::SignalMonitorOptions monitor)
    : breaker_(breaker), monitor_(monitor) {
  breaker_.validate();
  monitor_.validate();
}

DecisionGuard::PairGuard& DecisionGuard::pair_guard(const std::string& pair) {
  auto it = pairs_.find(pair);
  if (it == pairs_.end()) it = pairs_.try_emplace(pair, *this).first;
  return it->second;
}

decision::ModelBreaker& DecisionGuard::member(PairGuard& g, const std::string& model) {
  auto it = g.members.find(model);
  if (it == g.members.end()) it = g.members.try_emplace(model, breaker_).first;
  return it->second;
}

bool DecisionGuard::on_resolved(const std::string& pair, const std::vector<std::pair<std::int64_t, bool>>& resolved,
                                const std::vector<ResolvedPrediction>& window, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  PairGuard& g = pair_guard(pair);
  for (const auto& [ts, up] : resolved) g.history.resolve(ts, up);
  std::map<std::string, bool> names;
  for (const ResolvedPrediction& r : window)
    for (const auto& [name, p] : r.prediction.models) names[name] = true;
  bool benched = false;
  for (const auto& [name, _] : names) {
    decision::ModelBreaker& b = member(g, name);
    const bool was = b.benched();
    b.observe(member_outcomes(window, name, g.history), now_ms);
    benched = benched || (b.benched() && !was);
  }
  g.ensemble.observe(g.history.resolved_outcomes());
  g.judged = true;
  return benched;
}

bool DecisionGuard::on_version(const std::string& pair, const std::string& model, int version,
                               const decision::RetrainCheck& check, std::int64_t candle_ts) {
  std::lock_guard lock(mutex_);
  PairGuard& g = pair_guard(pair);
  auto seen = g.versions.find(model);
  if (seen != g.versions.end() && seen->second == version) return false;
  g.versions[model] = version;
  return member(g, model).on_retrain(check, candle_ts);
}

BreakerGate DecisionGuard::gate(const std::string& pair) const {
  std::lock_guard lock(mutex_);
  BreakerGate out;
  auto it = pairs_.find(pair);
  if (it == pairs_.end()) return out;
  const PairGuard& g = it->second;
  for (const auto& [name, b] : g.members)
    if (b.benched()) out.benched[name] = b.reason();
  if (g.ensemble.tripped()) out.hold = g.ensemble.reason();
  if (g.judged) out.ensemble = g.ensemble.to_json();
  return out;
}

void DecisionGuard::record_served(const std::string& pair, const decision::ServedRecord& record) {
  std::lock_guard lock(mutex_);
  PairGuard& g = pair_guard(pair);
  g.history.add(record);
  g.report = decision::monitor_signals(g.history.signals(), g.history.newest(), monitor_);
}

nlohmann::json DecisionGuard::model_json(const std::string& pair, const std::string& model) const {
  std::lock_guard lock(mutex_);
  auto it = pairs_.find(pair);
  if (it != pairs_.end()) {
    auto m = it->second.members.find(model);
    if (m != it->second.members.end()) return m->second.to_json();
  }
  return decision::ModelBreaker(breaker_).to_json();  // active, not judged yet
}

nlohmann::json DecisionGuard::members_json(const std::string& pair) const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::object();
  auto it = pairs_.find(pair);
  if (it == pairs_.end()) return out;
  for (const auto& [name, b] : it->second.members) out[name] = b.to_json();
  return out;
}

nlohmann::json DecisionGuard::ensemble_json(const std::string& pair) const {
  std::lock_guard lock(mutex_);
  auto it = pairs_.find(pair);
  if (it == pairs_.end() || !it->second.judged) return decision::EnsembleBreaker(breaker_).to_json();
  return it->second.ensemble.to_json();
}

nlohmann::json DecisionGuard::signals_json(const std::string& pair) const {
  std::lock_guard lock(mutex_);
  auto it = pairs_.find(pair);
  if (it == pairs_.end() || !it->second.report) return nullptr;
  return it->second.report->to_json();
}

std::map<std::string, GuardSummary> DecisionGuard::summary() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, GuardSummary> out;
  for (const auto& [pair, g] : pairs_) {
    GuardSummary& s = out[pair];
    for (const auto& [name, b] : g.members) s.models[name] = {b.benched(), b.times_benched()};
    s.tripped = g.ensemble.tripped();
    s.times_tripped = g.ensemble.times_tripped();
    if (s.tripped) s.hold_reason = g.ensemble.reason();
    if (g.report) {
      s.alert = g.report->alert;
      if (s.alert) s.alert_reason = g.report->reason;
    }
  }
  return out;
}

nlohmann::json DecisionGuard::saved(const std::string& pair) const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::object();
  auto it = pairs_.find(pair);
  if (it == pairs_.end()) return out;
  for (const auto& [name, b] : it->second.members) out[name] = b.saved();
  return out;
}

void DecisionGuard::restore(const std::string& pair, const nlohmann::json& saved) {
  if (!saved.is_object()) throw std::invalid_argument("breaker states: not an object");
  std::lock_guard lock(mutex_);
  PairGuard& g = pair_guard(pair);
  for (auto it = saved.begin(); it != saved.end(); ++it) member(g, it.key()).restore(it.value());
}

}  // namespace tbml
