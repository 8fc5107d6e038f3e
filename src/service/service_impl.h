#pragma once
// The Service's private state, shared by the files that implement it: service.cpp (start-up, shutdown,
// the candle path and training) and service_queries.cpp (the JSON bodies of the routes).
#include <atomic>
#include <chrono>
#include <optional>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>

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
#include "tbml/service/metrics.h"
#include "tbml/service/service.h"
#include "tbml/sim/core_sim_server.h"
#include "tbml/storage/storage.h"
#include "tbml/util/logging.h"
#include "tbml/volatility/volatility_serving.h"

namespace tbml {

// Shared by the route bodies (service_*queries.cpp): milliseconds since `since`, and the 400s for an
// unknown model type or strategy, listing the valid ones.
double elapsed_ms(std::chrono::steady_clock::time_point since);
ModelType require_model_type(const std::string& raw);
Strategy require_strategy(const std::optional<std::string>& raw, Strategy fallback);

// Key of the kv row holding a pair's ensemble settings set through the API.
std::string ensemble_kv_key(const std::string& pair);

// What a pair's ensemble uses now: configured weights and strategy (config, then POST
// /api/ensemble/:pair/weights) and the weights in force after realised skill had its say.
struct PairEnsembleView {
  WeightMap configured;
  Strategy strategy = Strategy::kWeighted;
  WeightDecision decision;
  std::shared_ptr<const StackedFit> stacked;  // the `stacked` strategy's meta-learner (may hold no model)
};

struct Service::Impl {
  explicit Impl(ServiceOptions o);

  // ---- configuration ----
  ServiceOptions options;
  const Config& cfg;
  std::vector<ModelType> enabled;  // enabled model types, in all_model_types() order
  std::int64_t started_at_ms = 0;
  std::shared_ptr<spdlog::logger> log = get_logger("service");

  // ---- parts ----
  std::shared_ptr<MarketData> market;
  std::unique_ptr<CoreSimServer> demo_server;
  std::unique_ptr<Poller> poller;
  ModelRegistry registry;
  std::unique_ptr<volatility::VolatilityServing> volatility;  // the second target: size of the next moves
  std::unique_ptr<ModelLifecycle> lifecycle;  // the training queue and each model's way to serving
  SnapshotStore snapshots;
  OutcomeTracker tracker;
  Metrics metrics;

  // Storage may be unavailable at run time: a fault leaves the service serving, and health says why.
  std::unique_ptr<Storage> storage;
  mutable std::mutex storage_mutex;
  std::string model_save_error;  // the last failed model save, for health (set by the lifecycle)
  std::int64_t last_save_ms = 0;

  std::unique_ptr<EnsembleSettings> ensemble_config;
  mutable std::shared_mutex decisions_mutex;
  std::map<std::string, WeightDecision> decisions;
  std::map<std::string, std::shared_ptr<const StackedFit>> stacked;  // refitted when outcomes resolve

  // Serialises the per-candle prediction path per pair (poller thread vs. a freshly published model).
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
  void start_demo_core();
  void start_poller();
  void start_queue();
  void start_volatility();  // also loads the stored volatility models
  void scheduler_loop();

  // ---- the candle path (service.cpp) ----
  void on_new_candles(const std::string& pair, std::size_t added);
  // Runs the pair's models on its latest window and publishes the snapshot; records it for outcomes.
  SnapshotPtr refresh_prediction(const std::string& pair, bool record);
  // The pair's volatility forecast on the latest candle as served JSON; stores it when `record`.
  nlohmann::json volatility_json(const std::string& pair, const Series& history, bool record);

  // ---- ensemble settings ----
  PairEnsembleView ensemble_view(const std::string& pair) const;
  void update_dynamic_weights(const std::string& pair);

  // ---- storage helpers: never throw, record the error for health ----
  void store(StorageOp op);
  std::string storage_problem() const;

  // The pair's newest `max_candles` candles with their features (nullopt for an unknown pair), and how
  // many it has: what the direction lifecycle and the volatility target train on.
  std::optional<Series> copy_series(const std::string& pair, std::size_t max_candles) const;
  std::size_t candle_count(const std::string& pair) const;

  // ---- helpers for the queries ----
  std::shared_ptr<PairState> require_pair(const std::string& pair) const;  // 404 when unknown
  bool pair_is_stale(const std::string& pair) const;
  nlohmann::json training_state(const std::string& pair) const;
  std::vector<std::string> enabled_names() const;
};

}  // namespace tbml
