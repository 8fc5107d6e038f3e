// The decision stage in the service (docs/decision.md, "Service wiring"): the circuit breakers, the
// signal monitor, the sizing and the uncertainty of each published decision, computed once per snapshot
// on the candle path, and what routes, /metrics and health show of them. A handler only copies what the
// candle path computed.
#include <sstream>

#include "service_impl.h"
#include "tbml/ensemble/ensemble_decision.h"
#include "tbml/service/api_error.h"
#include "tbml/service/decision_wiring.h"
#include "tbml/util/time.h"

namespace tbml {

void Service::Impl::observe_breakers(HorizonTrack& t, const std::string& pair, const std::vector<OutcomeUpdate>& resolved,
                                     std::int64_t now) {
  if (resolved.empty()) return;
  std::vector<std::pair<std::int64_t, bool>> outcomes;
  outcomes.reserve(resolved.size());
  for (const OutcomeUpdate& u : resolved) outcomes.emplace_back(u.candle_ts, u.outcome);
  try {
    if (t.guard->on_resolved(pair, outcomes, t.tracker.window(pair), now)) store_breakers(t, pair);
  } catch (const std::exception& e) {
    log->warn("{} h={}: circuit breakers not updated: {}", pair, t.horizon(), e.what());
  }
}

void Service::Impl::apply_breakers(PredictionSnapshot& snapshot, const HorizonTrack& t) {
  if (snapshot.models.empty() && !snapshot.base_rate_only) return;  // nothing is served
  const std::string& pair = snapshot.pair;
  DecisionGuard& guard = *t.guard;
  // A member serving a new version brings its training report: a passing one re-admits it.
  for (const ModelPrediction& m : snapshot.models) {
    const auto type = parse_model_type(m.model);
    if (!type) continue;
    const ServingModel serving = t.registry.serving(pair, *type);
    if (serving.model && serving.version == m.version &&
        guard.on_version(pair, m.model, m.version, retrain_check(m.version, serving.model->info().report),
                         snapshot.data_timestamp))
      store_breakers(t, pair);
  }
  const BreakerGate gate = guard.gate(pair);
  for (ModelPrediction& m : snapshot.models) {
    auto b = gate.benched.find(m.model);
    m.benched = b != gate.benched.end() ? b->second : std::string();
  }
  snapshot.hold_reason = gate.hold;
  snapshot.breaker = guard.ensemble_json(pair);
}

void Service::Impl::attach_sizing(PredictionSnapshot& snapshot, const HorizonTrack& t,
                                  const PairEnsembleView& settings) {
  if (snapshot.models.empty() && !snapshot.base_rate_only) return;  // nothing is served: no sizing
  std::map<std::string, bool> calibrated;  // what decision_sizing reads: each member's calibration check
  for (const ModelPrediction& m : snapshot.models) calibrated[m.model] = m.calibration_checked;
  const std::string& pair = snapshot.pair;
  snapshot.uncertainty = uncertainty_json(snapshot, cfg.decision.interval_level);
  try {
    // The served decision, combined once into the snapshot (combine_and_publish) before sizing.
    const EnsembleDecision* served = snapshot.ensemble.served_decision();
    if (served == nullptr) throw std::runtime_error("the ensemble was not combined");
    const EnsembleDecision& d = *served;
    // The served answer joins the signal monitor's history (one record per candle: a recombination
    // after new weights replaces it).
    t.guard->record_served(pair, decision::ServedRecord{snapshot.data_timestamp, d.signal, d.probability,
                                                        snapshot.base_rate, served_agreement(snapshot, d.probability),
                                                        std::nullopt});
    const decision::Sizing s = decision_sizing(d, d.signal, calibrated, t.tracker.window(pair), snapshot.volatility,
                                               t.horizon(), sizing_options(cfg.decision));
    snapshot.sizing = s.to_json();
    snapshot.sizing["strategy"] = to_string(settings.strategy);
  } catch (const std::exception& e) {
    // A rule refusing its inputs must not stop the candle path; the answer says why there is no number.
    log->warn("{} h={}: no sizing: {}", pair, t.horizon(), e.what());
    snapshot.sizing = {{"position", nullptr}, {"zeroReason", "error"}, {"reason", e.what()}};
  }
}

namespace {
std::string breaker_kv_key(const std::string& pair, std::size_t horizon) {
  return "breakers." + pair + ".h" + std::to_string(horizon);
}
}  // namespace

void Service::Impl::store_breakers(const HorizonTrack& t, const std::string& pair) {
  store(KvPut{breaker_kv_key(pair, t.horizon()), t.guard->saved(pair).dump(), now_ms()});
}

void Service::Impl::restore_breakers(const std::string& pair) {
  Database* db = storage ? storage->db() : nullptr;
  if (!db) return;
  for (auto& [h, t] : tracks) {
    const auto kv = db->get_kv(breaker_kv_key(pair, h));
    if (!kv) continue;
    try {
      t->guard->restore(pair, nlohmann::json::parse(*kv));
      log->info("{} h={}: circuit breaker states restored", pair, h);
    } catch (const std::exception& e) {
      log->warn("{} h={}: stored circuit breaker states ignored: {}", pair, h, e.what());
    }
  }
}

std::vector<std::string> Service::Impl::decision_problems() const {
  std::vector<std::string> out;
  for (const auto& [h, t] : tracks) {
    for (const auto& [pair, s] : t->guard->summary()) {
      const std::string where = pair + " (h=" + std::to_string(h) + ")";
      if (s.tripped) out.push_back(where + " ensemble breaker tripped: " + s.hold_reason);
      if (s.alert) out.push_back(where + " signal alert: " + s.alert_reason);
    }
  }
  return out;
}

std::string Service::Impl::decision_metrics() const {
  std::ostringstream models, benched, tripped, alert;
  for (const auto& [h, t] : tracks) {
    for (const auto& [pair, s] : t->guard->summary()) {
      const std::string labels = "pair=\"" + prometheus_label(pair) + "\",horizon=\"" + std::to_string(h) + "\"";
      for (const auto& [name, state] : s.models) {
        const std::string l = labels + ",model=\"" + prometheus_label(name) + "\"";
        models << "tbml_models_benched_total{" << l << "} " << state.second << "\n";
        benched << "tbml_model_benched{" << l << "} " << (state.first ? 1 : 0) << "\n";
      }
      tripped << "tbml_ensemble_breaker_tripped{" << labels << "} " << (s.tripped ? 1 : 0) << "\n";
      alert << "tbml_signal_alert{" << labels << "} " << (s.alert ? 1 : 0) << "\n";
    }
  }
  return "# HELP tbml_models_benched_total Times a model was benched by its circuit breaker.\n"
         "# TYPE tbml_models_benched_total counter\n" + models.str() +
         "# HELP tbml_model_benched Whether the model is benched now (weight 0 until a passing retrain).\n"
         "# TYPE tbml_model_benched gauge\n" + benched.str() +
         "# HELP tbml_ensemble_breaker_tripped Whether the ensemble breaker holds every signal.\n"
         "# TYPE tbml_ensemble_breaker_tripped gauge\n" + tripped.str() +
         "# HELP tbml_signal_alert Whether one side's share of the served signals is beyond its bound and unjustified.\n"
         "# TYPE tbml_signal_alert gauge\n" + alert.str();
}

Reply Service::sizing(const std::string& pair, const std::optional<std::string>& horizon) const {
  Impl& d = *impl_;
  d.require_pair(pair);
  const HorizonTrack& t = d.requested_track(horizon);
  SnapshotPtr snap = t.snapshots.get(pair);
  if (!snap || snap->sizing.is_null()) {
    nlohmann::json ctx = {{"pair", pair}, {"horizon", t.horizon()}, {"training", d.training_state(pair, t)}};
    if (snap) ctx["errors"] = snap->errors;
    throw unavailable("Models not ready",
                      "No served decision to size for " + pair + " at horizon " + std::to_string(t.horizon()) + " yet", ctx);
  }
  return Reply::of({{"pair", pair},
          {"horizon", t.horizon()},
          {"timestamp", now_ms()},
          {"dataTimestamp", snap->data_timestamp},
          {"sizing", snap->sizing}});
}

}  // namespace tbml
