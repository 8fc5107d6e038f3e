#pragma once
// A direction model's life after the service decides it is needed: queue → train (any member: the
// networks or the trees, through train_model) → edge test and comparison with the serving model →
// save → publish in the registry → record the run. The service wires it to storage and the candle path
// through hooks, so this file never sees SQLite or HTTP. One entry point, request_training(), picks the
// job's priority and the model state from the reason and the horizon; nothing else enqueues. Each
// forecast horizon is a separate target with its own registry; TrainOptions::horizon is the default
// one, whose jobs go first.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/market/series.h"
#include "tbml/models/model_registry.h"
#include "tbml/models/training_queue.h"
#include "tbml/training/model_io.h"
#include "tbml/training/trainer.h"

namespace tbml {

// A member of the ensemble, described by data: the type, its name in routes and config, its target and
// the architecture it is trained with. New members (and targets) register here, not in the service.
struct MemberSpec {
  ModelType type = ModelType::kLstm;
  std::string name;                 // to_string(type)
  std::string target = "direction"; // what it forecasts
  nlohmann::json architecture = nlohmann::json::object();
};

struct LifecycleOptions {
  std::vector<MemberSpec> members;   // the enabled ones, in all_model_types() order
  TrainOptions train;                // epochs, batch size, ..., sequence length and the default horizon
  std::size_t min_candles = 400;
  std::size_t max_candles = 5000;
  TrainingQueueOptions queue;
};

// One finished run, as the service stores it (storage's TrainingRunRecord has the same fields).
struct LifecycleRun {
  std::string pair, model;
  std::int64_t started_at = 0, finished_at = 0;
  double duration_s = 0.0;
  nlohmann::json config = nlohmann::json::object();
  nlohmann::json metrics = nlohmann::json::object();
  std::string result;  // accepted | rejected | failed | cancelled
  std::string reason;
  int version = 0;
};

struct LifecycleHooks {
  // A copy of the pair's most recent `max_candles` candles and features; nullopt for an unknown pair.
  std::function<std::optional<Series>(const std::string& pair, std::size_t max_candles)> series;
  std::function<std::size_t(const std::string& pair)> candles;  // how many the pair has now
  // Stores the model and returns the version it was stored as; throws when storage fails (the model
  // still serves from memory).
  std::function<int(const std::string& pair, const std::string& model, std::size_t horizon, const ModelArtifact&)> save;
  std::function<void(const std::string& problem)> save_problem;  // "" after a successful save
  std::function<void(const LifecycleRun&)> record;                // every finished run
  // A run settled for the pair and horizon (a new model serves, or a candidate was rejected): refresh
  // that answer.
  std::function<void(const std::string& pair, std::size_t horizon)> settled;
};

// Priority of a job by its reason: rebuilds first, then requests, then missing models, then periodic;
// within a reason the default horizon's jobs go before the other horizons'.
int priority_of(JobReason reason, bool default_horizon = true);

class ModelLifecycle {
 public:
  // One registry per horizon; it must hold options.train.horizon (the default). Throws
  // std::invalid_argument otherwise.
  ModelLifecycle(LifecycleOptions options, std::map<std::size_t, ModelRegistry*> registries, LifecycleHooks hooks);
  ~ModelLifecycle();
  ModelLifecycle(const ModelLifecycle&) = delete;
  ModelLifecycle& operator=(const ModelLifecycle&) = delete;

  const std::vector<MemberSpec>& members() const { return options_.members; }
  const MemberSpec* member(ModelType type) const;  // null when not enabled

  std::size_t default_horizon() const { return options_.train.horizon; }
  // The horizons trained, the default first, then the others in increasing order.
  const std::vector<std::size_t>& horizons() const { return horizons_; }

  // Queues training of one member for one horizon (0: the default) and moves its state to queued (with
  // a message naming the job). Throws std::invalid_argument for a horizon without a registry.
  EnqueueResult request_training(const std::string& pair, ModelType type, JobReason reason,
                                 const TrainingOverrides& overrides = {}, std::size_t horizon = 0);
  // Queues every enabled member of every horizon that has no model and is not queued or training
  // (auto-training), the default horizon first.
  void ensure_models(const std::string& pair);
  // Queues a retrain of every serving member of the pair, for every horizon, when `interval` has
  // passed since the last one.
  void periodic(const std::string& pair, std::chrono::milliseconds interval);

  // Cancels one job (false: unknown or finished). A queued job never runs, so its model state moves on
  // here (cancelled: ready when a version serves, else untrained); a running one settles when it stops.
  bool cancel(const std::string& job_id);
  std::size_t cancel_pair(const std::string& pair, std::optional<std::size_t> horizon = std::nullopt);
  TrainingQueue& queue() { return *queue_; }
  const TrainingQueue& queue() const { return *queue_; }
  // Stops the workers: running jobs are cancelled after `deadline`.
  void stop(std::chrono::milliseconds deadline);

 private:
  JobResult run(const TrainingJob& job, JobContext& ctx);
  TrainOptions options_for(const TrainingJob& job, const MemberSpec& spec) const;

  ModelRegistry& registry(std::size_t horizon) const;

  LifecycleOptions options_;
  std::map<std::size_t, ModelRegistry*> registries_;
  std::vector<std::size_t> horizons_;
  LifecycleHooks hooks_;
  std::mutex periodic_mutex_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_periodic_;
  std::unique_ptr<TrainingQueue> queue_;  // last: its workers use everything above
};

}  // namespace tbml
