// The horizon dimension of the service: which HorizonTrack a request means, and the list of horizons a
// client can discover in each prediction answer.
#include "service_impl.h"

namespace tbml {

HorizonTrack& Service::Impl::track(std::size_t horizon) const {
  auto it = tracks.find(horizon);
  if (it == tracks.end()) throw std::out_of_range("horizon " + std::to_string(horizon) + " is not configured");
  return *it->second;
}

HorizonTrack& Service::Impl::requested_track(const std::optional<std::string>& raw) const {
  return track(require_horizon(raw, cfg.ml.horizons, cfg.ml.horizon));
}

nlohmann::json Service::Impl::horizons_json(const std::string& pair) const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [h, t] : tracks) {
    const SnapshotPtr snap = t->snapshots.get(pair);
    const bool answers = snap && (!snap->models.empty() || snap->base_rate_only);
    out.push_back({{"horizon", h}, {"default", h == cfg.ml.horizon}, {"available", answers}});
  }
  return out;
}

}  // namespace tbml
