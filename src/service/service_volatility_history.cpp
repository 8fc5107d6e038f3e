// GET /api/volatility/:pair/history: the stored volatility forecasts of one horizon, newest first, with
// what was realised once the horizon's candles arrived (the status page charts forecast against realised).
#include <cmath>

#include "service_impl.h"
#include "tbml/service/api_error.h"
#include "tbml/util/time.h"

namespace tbml {

Reply Service::volatility_history(const std::string& pair, std::size_t limit, std::optional<std::int64_t> since,
                                  const std::optional<std::string>& horizon) const {
  Impl& d = *impl_;
  d.require_pair(pair);
  const int h = static_cast<int>(d.requested_track(horizon).horizon());
  Database* db = d.storage ? d.storage->db() : nullptr;
  if (!db) throw unavailable("Storage unavailable", d.storage_problem());
  if (d.storage->health().writer.healthy) d.storage->flush(std::chrono::seconds(2));
  const auto all = db->volatility_history(pair, limit, since.value_or(0), h);
  nlohmann::json rows = nlohmann::json::array();
  auto optional = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  for (const auto& r : all) {
    rows.push_back({{"dataTimestamp", r.candle_ts},
                    {"horizon", r.horizon},
                    {"member", r.member},
                    {"modelVersion", r.model_version},
                    {"variance", r.variance},
                    {"sigma", std::sqrt(std::max(0.0, r.variance))},
                    {"quantiles", {{"q10", r.q10}, {"q50", r.q50}, {"q90", r.q90}}},
                    {"ewmaVariance", r.ewma_variance},
                    {"realisedVariance", optional(r.realised_variance)},
                    {"realisedReturn", optional(r.realised_return)},
                    {"resolvedAt", optional(r.resolved_at)},
                    {"timestamp", r.created_at}});
  }
  return Reply::of(history_page_json(pair, static_cast<std::size_t>(h), std::move(rows), limit, since));
}

}  // namespace tbml
