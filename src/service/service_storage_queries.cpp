// The JSON bodies of the storage and metrics routes.
#include <chrono>
#include <cmath>
#include <sstream>

#include "service_impl.h"
#include "tbml/ensemble/prediction_json.h"
#include "tbml/features/feature_pipeline.h"
#include "tbml/service/api_error.h"
#include "tbml/util/time.h"

namespace tbml {

// ---------------------------------------------------------------------------------------------------
// Storage

Reply Service::storage_stats() const {
  Impl& d = *impl_;
  if (!d.storage || !d.storage->available()) throw unavailable("Storage unavailable", d.storage_problem());
  nlohmann::json body = d.storage->stats_json();
  std::lock_guard lock(d.storage_mutex);
  body["baseDir"] = d.cfg.storage.base_dir;
  body["lastSave"] = d.last_save_ms;
  body["timestamp"] = now_ms();
  return Reply::of(std::move(body));
}

Reply Service::storage_save() {
  Impl& d = *impl_;
  Database* db = d.storage ? d.storage->db() : nullptr;
  if (!db) throw unavailable("Storage unavailable", d.storage_problem());
  const auto started = std::chrono::steady_clock::now();
  try {
    if (!d.storage->flush(std::chrono::seconds(10)))
      throw unavailable("Storage unavailable", "the writer did not commit within 10 s: " + d.storage_problem());
    db->checkpoint();
  } catch (const ApiError&) {
    throw;
  } catch (const std::exception& e) {
    throw unavailable("Storage unavailable", e.what());
  }
  std::lock_guard lock(d.storage_mutex);
  d.last_save_ms = now_ms();
  return Reply::of({{"saved", true}, {"durationMs", elapsed_ms(started)}, {"timestamp", d.last_save_ms}});
}

Reply Service::storage_cleanup(const nlohmann::json& body) {
  Impl& d = *impl_;
  BodyErrors errors;
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (it.key() != "maxAgeHours") errors.push_back("Unknown field '" + it.key().substr(0, 40) + "'; expected maxAgeHours");
  }
  double hours = d.cfg.storage.max_age_hours;
  if (body.contains("maxAgeHours")) {
    const auto& v = body["maxAgeHours"];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() <= 0 || v.get<double>() > 24.0 * 365 * 100)
      errors.push_back("maxAgeHours must be a number in (0, 876000]");
    else
      hours = v.get<double>();
  }
  require_valid_body(errors);
  if (!d.storage || !d.storage->available()) throw unavailable("Storage unavailable", d.storage_problem());
  d.storage->flush(std::chrono::seconds(5));
  CleanupResult r;
  try {
    r = d.storage->cleanup(hours);
  } catch (const std::invalid_argument& e) {
    throw bad_request(e.what());
  } catch (const std::exception& e) {
    throw unavailable("Storage unavailable", e.what());
  }
  return Reply::of({{"maxAgeHours", hours}, {"removed", r.to_json()}, {"timestamp", now_ms()}});
}

// ---------------------------------------------------------------------------------------------------
// Metrics

Reply Service::metrics_text() const {
  const Impl& d = *impl_;
  std::ostringstream os;
  os << d.metrics.render_http_and_inference();
  if (d.poller) {
    auto h = d.poller->health();
    os << "# HELP tbml_upstream_polls_total Polls of the core service.\n# TYPE tbml_upstream_polls_total counter\n"
       << "tbml_upstream_polls_total " << h.total_polls << "\n"
       << "# HELP tbml_upstream_poll_errors_total Failed polls of the core service.\n"
       << "# TYPE tbml_upstream_poll_errors_total counter\n"
       << "tbml_upstream_poll_errors_total " << h.total_errors << "\n"
       << "# HELP tbml_upstream_up Whether the latest poll reached core.\n# TYPE tbml_upstream_up gauge\n"
       << "tbml_upstream_up " << (h.reachable ? 1 : 0) << "\n";
  }
  if (d.lifecycle) {
    auto s = d.lifecycle->queue().summary();
    os << "# HELP tbml_training_queue_depth Training jobs waiting.\n# TYPE tbml_training_queue_depth gauge\n"
       << "tbml_training_queue_depth " << s.queued << "\n"
       << "# HELP tbml_training_active Training jobs running.\n# TYPE tbml_training_active gauge\n"
       << "tbml_training_active " << s.active << "\n";
  }
  if (d.storage) {
    os << "# HELP tbml_storage_queue_depth Storage writes waiting.\n# TYPE tbml_storage_queue_depth gauge\n"
       << "tbml_storage_queue_depth " << d.storage->health().writer.queue_depth << "\n";
  }
  os << "# HELP tbml_model_info Serving models.\n# TYPE tbml_model_info gauge\n";
  for (const auto& pair : d.market->pairs()) {
    for (const auto& [h, t] : d.tracks) {
      for (const auto& st : t->registry.status(pair)) {
        if (!st.trained) continue;
        os << "tbml_model_info{pair=\"" << prometheus_label(pair) << "\",model=\"" << to_string(st.type)
           << "\",horizon=\"" << h << "\",version=\"" << st.version << "\"} 1\n";
      }
    }
  }
  os << d.decision_metrics();
  os << "# HELP tbml_uptime_seconds Seconds since start.\n# TYPE tbml_uptime_seconds gauge\n"
     << "tbml_uptime_seconds " << static_cast<double>(now_ms() - d.started_at_ms) / 1000.0 << "\n";
  return Reply::text_of(os.str(), "text/plain; version=0.0.4");
}

}  // namespace tbml
