// The decision stage in the service (docs/decision.md, "Service wiring"): the sizing of each published
// decision, computed once per snapshot on the candle path, and the route that serves it. A handler only
// copies what the candle path computed.
#include "service_impl.h"
#include "tbml/ensemble/ensemble_decision.h"
#include "tbml/service/api_error.h"
#include "tbml/service/decision_wiring.h"
#include "tbml/util/time.h"

namespace tbml {

void Service::Impl::attach_sizing(PredictionSnapshot& snapshot, const HorizonTrack& t,
                                  const PairEnsembleView& settings,
                                  const std::map<std::string, bool>& calibrated) const {
  if (snapshot.models.empty() && !snapshot.base_rate_only) return;  // nothing is served: no sizing
  snapshot.uncertainty = uncertainty_json(snapshot);
  try {
    // The served decision, combined once into the snapshot (combine_and_publish) before sizing.
    const EnsembleDecision* served = snapshot.ensemble.served_decision();
    if (served == nullptr) throw std::runtime_error("the ensemble was not combined");
    const EnsembleDecision& d = *served;
    const decision::Sizing s = decision_sizing(d, d.signal, calibrated, t.tracker.window(snapshot.pair),
                                               snapshot.volatility, t.horizon(), sizing_options(cfg.decision));
    snapshot.sizing = s.to_json();
    snapshot.sizing["strategy"] = to_string(settings.strategy);
  } catch (const std::exception& e) {
    // A rule refusing its inputs must not stop the candle path; the answer says why there is no number.
    log->warn("{} h={}: no sizing: {}", snapshot.pair, t.horizon(), e.what());
    snapshot.sizing = {{"position", nullptr}, {"zeroReason", "error"}, {"reason", e.what()}};
  }
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
