#pragma once
// The daemon's parts wired together: poller → pair state → predictor/outcome tracker → snapshots, the
// training queue and model registry, storage. The HTTP layer calls the methods below; each answers one
// route as a Reply or throws ApiError. No method blocks on training or the network.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tbml/config/config.h"

namespace tbml {

struct ServiceOptions {
  Config config;
  // Set by `serve --demo`, which starts the core simulator itself (cli/demo_core): poll this URL instead
  // of core.url, for every pair it serves, every demo.pollIntervalMs.
  std::string demo_core_url;
};

struct PredictionQuery {
  std::optional<std::string> strategy;
  std::optional<std::string> model;  // single model instead of the ensemble
  bool ensemble = true;              // false: the default (first enabled, trained) model only
  std::optional<std::string> horizon;  // one of ml.horizons; absent: ml.horizon (the default answer)
  bool local_only = false;  // GET /api/predictions?local=true: this replica's pairs, no fan-out to peers
};

// What every route method of the Service answers: a status and a JSON body (or, for /metrics, text).
struct Reply {
  int status = 200;
  nlohmann::json body;
  std::string text;  // the body instead of `body` when content_type is not JSON
  std::string content_type = "application/json";

  static Reply of(nlohmann::json body, int status = 200) { return Reply{status, std::move(body), {}, "application/json"}; }
  static Reply text_of(std::string text, std::string content_type) {
    return Reply{200, nullptr, std::move(text), std::move(content_type)};
  }
};

class Service {
 public:
  explicit Service(ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Restores state from storage, loads models, starts the poller, training workers and storage writer.
  void start();
  // Stops polling and training (current batch finishes or is cancelled), flushes storage, giving up on
  // writes that still fail when `deadline_ms` is nearly over. Idempotent.
  void stop(int deadline_ms = 8000);

  const Config& config() const;
  // Throws ApiError 421 (Misdirected Request) naming the owning replica when cluster.* shards the pairs
  // and `pair` (already normalised) belongs to another replica (config/shard_rule.h, docs/scaling.md).
  void require_local_pair(const std::string& pair) const;

  Reply health() const;
  Reply describe() const;
  Reply features(const std::string& pair) const;
  Reply predictions_all(const PredictionQuery& query) const;
  Reply prediction(const std::string& pair, const PredictionQuery& query) const;
  // `horizon` below is the raw query value (or absent): one of ml.horizons, absent meaning ml.horizon,
  // anything else a 400 listing validHorizons. POST routes also take it as a body field "horizon".
  Reply model_predict(const std::string& pair, const std::string& model_type,
                      const std::optional<std::string>& horizon = std::nullopt) const;
  Reply history(const std::string& pair, std::size_t limit, std::optional<std::int64_t> since,
                std::optional<std::string> model, const std::optional<std::string>& horizon = std::nullopt) const;
  // Stored volatility forecasts of one horizon, newest first, with the realised variance once known.
  Reply volatility_history(const std::string& pair, std::size_t limit, std::optional<std::int64_t> since,
                           const std::optional<std::string>& horizon = std::nullopt) const;
  // Trains the default horizon unless a horizon is named.
  Reply train(const std::string& pair, const std::optional<std::string>& model_type, const nlohmann::json& body,
              const std::optional<std::string>& horizon = std::nullopt);
  Reply training_queue() const;
  Reply cancel_job(const std::string& id);
  Reply model_status(const std::string& pair, const std::optional<std::string>& horizon = std::nullopt) const;
  Reply model_compare(const std::string& pair, const std::optional<std::string>& horizon = std::nullopt) const;
  // Rebuilds every horizon unless a horizon is named.
  Reply rebuild(const std::string& pair, const nlohmann::json& body = nlohmann::json::object(),
                const std::optional<std::string>& horizon = std::nullopt);
  // GET /api/sizing/:pair: the position sizing of the served decision (docs/decision.md); 503 before one.
  Reply sizing(const std::string& pair, const std::optional<std::string>& horizon = std::nullopt) const;
  Reply ensemble_stats(const std::string& pair, const std::optional<std::string>& horizon = std::nullopt) const;
  Reply set_weights(const std::string& pair, const nlohmann::json& body);
  Reply storage_stats() const;
  Reply storage_save();
  Reply storage_cleanup(const nlohmann::json& body);
  Reply metrics_text() const;  // Prometheus text

  // Called by the HTTP layer for /metrics.
  void observe_request(const std::string& route, int status, double seconds);
  void observe_connections(std::size_t serving, std::size_t queued, std::size_t overflow, std::size_t workers);


 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tbml
