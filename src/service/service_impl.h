#pragma once
// The Service's private state, shared by the files that implement it: service.cpp (shutdown, the candle
// path), service_startup.cpp, service_horizons.cpp (the horizon dimension) and service_*queries.cpp (the
// JSON bodies of the routes). Every configured horizon is a HorizonTrack; one lifecycle trains them all.
#include <atomic>
#include <chrono>
#include <optional>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "tbml/config/shard_rule.h"
#include "tbml/ensemble/ensemble_settings.h"
#include "tbml/ensemble/outcome_tracker.h"
#include "tbml/ensemble/prediction_snapshot.h"
#include "tbml/ensemble/stacked.h"
#include "tbml/ensemble/strategy.h"
#include "tbml/ensemble/weights.h"
#include "tbml/market/market_data.h"
#include "tbml/market/poller.h"
#include "tbml/models/model_registry.h"
#include "tbml/models/training_queue.h"
#include "tbml/training/model_lifecycle.h"
#include "tbml/service/horizon_track.h"
#include "tbml/service/horizons.h"
#include "tbml/service/metrics.h"
#include "tbml/service/prediction_answer.h"
#include "tbml/service/service.h"
#include "tbml/storage/storage.h"
#include "tbml/util/logging.h"
#include "tbml/volatility/volatility_serving.h"

namespace tbml {

// Shared by the route bodies (service_*queries.cpp): milliseconds since `since`, and the 400s for an
// unknown model type or strategy, listing the valid ones.
double elapsed_ms(std::chrono::steady_clock::time_point since);
ModelType require_model_type(const std::string& raw);
Strategy require_strategy(const std::optional<std::string>& raw, Strategy fallback);

// The page around a history route's rows: {pair, horizon, history, count, limit, since, timestamp}.
nlohmann::json history_page_json(const std::string& pair, std::size_t horizon, nlohmann::json rows, std::size_t limit,
                                 std::optional<std::int64_t> since);

// Key of the kv row holding a pair's ensemble settings set through the API.
std::string ensemble_kv_key(const std::string& pair);

struct Service::Impl {
  explicit Impl(ServiceOptions o);

  // ---- configuration ----
  ServiceOptions options;
  const Config& cfg;
  std::vector<ModelType> enabled;  // enabled model types, in all_model_types() order
  std::int64_t started_at_ms = 0;
  std::shared_ptr<spdlog::logger> log = get_logger("service");
  // Which pairs this replica serves (cluster.*); every replica also ingests the reference pair, whose
  // candles the others' cross-pair features read, without training or serving it.
  ShardRule shards;
  bool serves(const std::string& pair) const { return shards.owns(pair); }
  bool ingests(const std::string& pair) const { return serves(pair) || pair == cfg.ml.reference_pair; }

  // ---- parts ----
  std::shared_ptr<MarketData> market;
  std::unique_ptr<Poller> poller;
  // One per configured horizon (ml.horizons), built in the constructor and never changed afterwards, so
  // reading the map needs no lock. Each holds its models, answers, outcomes, weights and volatility.
  std::map<std::size_t, std::unique_ptr<HorizonTrack>> tracks;
  std::unique_ptr<ModelLifecycle> lifecycle;  // the training queue and each model's way to serving
  Metrics metrics;

  // Storage may be unavailable at run time: a fault leaves the service serving, and health says why.
  std::unique_ptr<Storage> storage;
  mutable std::mutex storage_mutex;
  std::string model_save_error;  // the last failed model save, for health (set by the lifecycle)
  std::int64_t last_save_ms = 0;

  std::unique_ptr<EnsembleSettings> ensemble_config;  // shared by the horizons

  // Serialises building and publishing snapshots (the poller's candle path, a freshly published model,
  // new ensemble settings), so an older snapshot never replaces a newer one. Read routes never take it.
  std::mutex predict_mutex;

  // ---- background scheduler: auto-training and periodic retraining (retention runs in Storage) ----
  std::thread scheduler;
  std::mutex scheduler_mutex;
  std::condition_variable scheduler_cv;
  bool stopping = false;
  std::atomic<bool> stopped{false};

  // ---- start-up and shutdown (service.cpp) ----
  void open_storage();
  void restore_state();
  void load_models();
  void start_poller();
  void start_queue();
  void start_volatility();  // one per horizon; also loads the stored volatility models
  void scheduler_loop();

  // ---- the horizon dimension (service_horizons.cpp) ----
  HorizonTrack& track(std::size_t horizon) const;  // a configured horizon's; throws std::out_of_range
  HorizonTrack& default_track() const { return track(cfg.ml.horizon); }
  // The horizon a request names (absent: ml.horizon); 400 listing ml.horizons otherwise.
  HorizonTrack& requested_track(const std::optional<std::string>& raw) const;
  // The configured horizons and whether the pair has an answer at each, for the prediction answer.
  std::vector<HorizonAvailability> horizon_availability(const std::string& pair) const;
  nlohmann::json horizons_json(const std::string& pair) const;

  // ---- the candle path (service.cpp) ----
  void on_new_candles(const std::string& pair, std::size_t added);
  // Resolves one horizon's outcomes and volatility forecasts that the new candles complete.
  void resolve_outcomes(HorizonTrack& t, const PairState& state, const std::vector<Candle>& fresh, std::int64_t now);
  // Runs the horizon's models on the pair's latest window and publishes the snapshot; records it for
  // outcomes when `record`.
  // `history`: the pair's last training.maxCandles candles with their rows, copied once by a caller that
  // refreshes every horizon on the same candle (~90 us per copy of 5,000 rows); null = copied here.
  SnapshotPtr refresh_prediction(const std::string& pair, HorizonTrack& t, bool record,
                                 const Series* history = nullptr);
  void refresh_all(const std::string& pair, bool record);  // every horizon, one history copy
  // Combines the snapshot once for every strategy with `settings`, sizes the served decision and
  // publishes it (caller holds predict_mutex).
  void combine_and_publish(const std::shared_ptr<PredictionSnapshot>& snapshot, HorizonTrack& t,
                           const PairEnsembleView& settings);
  // The published snapshot combined again with the current ensemble settings, without running a model
  // (after the settings changed through the API).
  void recombine(const std::string& pair, HorizonTrack& t);
  // The pair's volatility forecast at the horizon on the latest candle as served JSON; stores it when `record`.
  nlohmann::json volatility_json(HorizonTrack& t, const std::string& pair, const Series& history, bool record);

  // ---- the decision stage (service_decision.cpp) ----
  // After a batch of resolutions: the circuit breakers judge the track's window.
  void observe_breakers(HorizonTrack& t, const std::string& pair, const std::vector<OutcomeUpdate>& resolved,
                        std::int64_t now);
  // Before combining: new member versions meet their breaker, benched members and the ensemble breaker's
  // hold are set on the snapshot (inputs of combine_snapshot).
  void apply_breakers(PredictionSnapshot& snapshot, const HorizonTrack& t);
  // After combining: .uncertainty and .sizing of the served decision (configured strategy and weights),
  // and the served answer joins the signal monitor's history.
  void attach_sizing(PredictionSnapshot& snapshot, const HorizonTrack& t, const PairEnsembleView& settings);
  // The members' breaker states live in the kv table ("breakers.<pair>.h<h>"), written when a member is
  // benched or re-admitted and read at start-up, so a restart does not re-admit a benched model.
  void store_breakers(const HorizonTrack& t, const std::string& pair);
  void restore_breakers(const std::string& pair);
  std::vector<std::string> decision_problems() const;  // for health: tripped breakers, signal alerts
  std::string decision_metrics() const;                // Prometheus families of the breakers and the monitor

  // ---- ensemble settings ----
  PairEnsembleView ensemble_view(const std::string& pair, const HorizonTrack& t) const;
  void update_dynamic_weights(const std::string& pair, HorizonTrack& t);

  // ---- storage helpers: never throw, record the error for health ----
  void store(StorageOp op);
  std::string storage_problem() const;

  // The pair's newest `max_candles` candles with their features (nullopt for an unknown pair), and how
  // many it has: what the direction lifecycle and the volatility target train on.
  std::optional<Series> copy_series(const std::string& pair, std::size_t max_candles) const;
  std::size_t candle_count(const std::string& pair) const;

  // ---- sharding (service_shards.cpp) ----
  // GET /api/predictions on a sharded deployment: the peers' ?local=true answers, asked in parallel
  // with cluster.fanoutTimeoutMs each, merged into `answer`; a peer that did not answer is listed.
  void merge_peer_predictions(const PredictionQuery& query, nlohmann::json& answer) const;

  // ---- helpers for the queries ----
  // The bytes of GET /api/predictions/:pair (service_queries.cpp); ApiError as the route answers.
  std::string prediction_text(const std::string& pair, const PredictionQuery& query,
                              std::chrono::steady_clock::time_point started) const;
  std::shared_ptr<PairState> require_pair(const std::string& pair) const;  // 404 when unknown
  bool pair_is_stale(const std::string& pair) const;
  nlohmann::json training_state(const std::string& pair, const HorizonTrack& t) const;
  std::vector<std::string> enabled_names() const;
};

}  // namespace tbml
