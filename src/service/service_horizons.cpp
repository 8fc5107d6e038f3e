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

std::vector<HorizonAvailability> Service::Impl::horizon_availability(const std::string& pair) const {
  std::vector<HorizonAvailability> out;
  out.reserve(tracks.size());
  for (const auto& [h, t] : tracks) {
    const SnapshotPtr snap = t->snapshots.get(pair);
    out.push_back({h, h == cfg.ml.horizon, snap && (!snap->models.empty() || snap->base_rate_only)});
  }
  return out;
}

nlohmann::json Service::Impl::horizons_json(const std::string& pair) const {
  return tbml::horizons_json(horizon_availability(pair));
}

}  // namespace tbml
