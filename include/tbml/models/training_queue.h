#pragma once
// The training queue: a bounded priority queue of training jobs and the worker threads that run them.
// The training itself is injected as a function, so this stage never sees torch and tests can use
// fakes. Rules: one job per (pair, model type, horizon) at a time (duplicates are folded into the existing job),
// a cooldown after a finished job for automatic jobs, retries with backoff after a failure, prompt
// cancellation through a flag the training function checks between batches.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/models/model.h"
#include "tbml/models/version_state.h"

namespace tbml {

// JobStatus is one view of a model version's state machine (models/version_state.h).

// Why a job exists. Cooldown applies only to the automatic ones (auto: no model, periodic).
enum class JobReason { kManual, kAutoNoModel, kPeriodic, kRebuild, kRetry };
std::string to_string(JobReason reason);  // "manual", "auto: no model", "periodic", "rebuild", "retry"
bool is_automatic(JobReason reason);

// Per-job training settings that replace the configured ones (body of POST /api/train/...).
struct TrainingOverrides {
  std::optional<int> epochs;
  std::optional<int> batch_size;
  std::optional<double> learning_rate;
  std::optional<int> patience;
  nlohmann::json to_json() const;  // camelCase keys, only the ones that are set
};

// Parses null or an object with epochs, batchSize, learningRate, patience; every unknown key, wrong type
// or out-of-range value is one message in `errors` (the style of every request body: see
// service/api_error.h, require_valid_body), naming the key.
struct TrainingOverridesRequest {
  TrainingOverrides overrides;  // the valid keys (only meaningful when ok())
  std::vector<std::string> errors;
  bool ok() const { return errors.empty(); }
};
TrainingOverridesRequest parse_training_overrides(const nlohmann::json& body);

// The running job's last report: epochs for the networks, boosting rounds for the trees. The ETA assumes
// every remaining epoch runs at the mean pace so far; early stopping usually ends the job sooner.
struct JobProgress {
  int epoch = 0;
  int epochs = 0;
  std::optional<double> val_loss;
  std::optional<double> train_loss;
  std::int64_t elapsed_ms = 0;          // since the job started, at the last report
  std::optional<std::int64_t> eta_ms;   // time left at that pace, from the last report
};

struct TrainingJob {
  std::string id;  // "job-<n>"
  std::string pair;
  ModelType type = ModelType::kLstm;
  std::size_t horizon = 0;  // candles ahead the model forecasts (0: the trainer's default)
  int priority = 0;  // higher runs first, FIFO within a priority
  TrainingOverrides overrides;
  JobReason reason = JobReason::kManual;
  JobStatus status = JobStatus::kQueued;
  std::int64_t created_at = 0;  // epoch ms
  std::int64_t started_at = 0;  // 0 until started
  std::int64_t finished_at = 0;
  int attempts = 0;  // attempts started for this piece of work, including earlier failed jobs
  JobProgress progress;
  std::string message;
  std::string retry_of;  // id of the failed job this one retries
  nlohmann::json to_json() const;
};

// What the training function reports back.
struct JobResult {
  JobStatus status = JobStatus::kSucceeded;  // succeeded, rejected, failed or cancelled
  std::string message;
};

// Handed to the training function: check cancelled() between batches, report progress per epoch.
// Losses that are not finite are reported as unknown.
class JobContext {
 public:
  using ProgressFn = std::function<void(int epoch, int epochs, double val_loss, double train_loss)>;
  JobContext(const std::atomic<bool>& cancel_flag, ProgressFn on_progress);
  bool cancelled() const { return cancel_flag_.load(std::memory_order_relaxed); }
  void progress(int epoch, int epochs, double val_loss,
                double train_loss = std::numeric_limits<double>::quiet_NaN());

 private:
  const std::atomic<bool>& cancel_flag_;
  ProgressFn on_progress_;
};

using TrainFunction = std::function<JobResult(const TrainingJob&, JobContext&)>;

struct TrainingQueueOptions {
  std::size_t max_concurrent = 1;
  std::size_t max_queued = 64;  // queued jobs (not running); enqueue beyond answers kQueueFull
  std::size_t history = 100;    // finished jobs kept for snapshot()
  std::chrono::milliseconds cooldown{std::chrono::minutes(10)};  // automatic jobs only
  int max_retries = 2;                                            // after the first failed attempt
  std::chrono::milliseconds retry_backoff{std::chrono::seconds(30)};  // doubles per attempt
  std::chrono::milliseconds max_retry_backoff{std::chrono::minutes(10)};
  int worker_nice = 0;  // added to each worker thread's nice value (0: unchanged), so serving goes first
};

struct EnqueueRequest {
  std::string pair;
  ModelType type = ModelType::kLstm;
  std::size_t horizon = 0;  // each horizon is a separate piece of work
  int priority = 0;
  TrainingOverrides overrides;
  JobReason reason = JobReason::kManual;
};

enum class EnqueueOutcome { kQueued, kDeduplicated, kCoolingDown, kQueueFull, kStopped };
std::string to_string(EnqueueOutcome outcome);  // "queued", "deduplicated", "cooling_down", ...

struct EnqueueResult {
  EnqueueOutcome outcome = EnqueueOutcome::kQueued;
  std::string job_id;         // the new or the existing job; empty when not queued
  bool deduplicated = false;  // job_id names a job that already existed
  std::string message;        // why it was not queued (cooldown time left, queue full, ...)
  bool ok() const { return outcome == EnqueueOutcome::kQueued || outcome == EnqueueOutcome::kDeduplicated; }
  nlohmann::json to_json() const;  // {"jobId","deduplicated","outcome","message"}
};

struct QueueSummary {
  std::size_t active = 0;
  std::size_t queued = 0;
  std::size_t completed = 0;  // since start: succeeded + rejected
  std::size_t failed = 0;
  std::size_t cancelled = 0;
  nlohmann::json to_json() const;
};

struct QueueSnapshot {
  std::vector<TrainingJob> active;  // running, oldest start first
  std::vector<TrainingJob> queued;  // in the order they will run
  std::vector<TrainingJob> recent;  // finished, newest first
  QueueSummary summary;
  // {"active":[..],"queued":[..],"recent":[..],"summary":{..}} for GET /api/training/queue.
  nlohmann::json to_json() const;
};

class TrainingQueue {
 public:
  // Starts options.max_concurrent worker threads. Throws std::invalid_argument on a null function,
  // zero workers, or negative durations.
  TrainingQueue(TrainingQueueOptions options, TrainFunction train);
  // Cancels queued and running jobs and joins the workers (returns as soon as running jobs notice).
  ~TrainingQueue();
  TrainingQueue(const TrainingQueue&) = delete;
  TrainingQueue& operator=(const TrainingQueue&) = delete;

  // Throws std::invalid_argument on an empty pair. A duplicate of a queued or running job returns
  // that job (raising a queued job's priority to the request's, and starting a waiting retry now when
  // the request is manual).
  EnqueueResult enqueue(const EnqueueRequest& request);

  // A queued job is removed at once; a running job gets its cancel flag set. False for unknown or
  // finished jobs.
  bool cancel(const std::string& id);
  // Cancels every queued and running job of the pair (rebuild), of one horizon when given; returns how many.
  std::size_t cancel_pair(const std::string& pair, std::optional<std::size_t> horizon = std::nullopt);

  std::optional<TrainingJob> job(const std::string& id) const;
  QueueSnapshot snapshot() const;
  QueueSummary summary() const;

  // Waits until nothing is queued or running. False on timeout.
  bool wait_idle(std::chrono::milliseconds timeout) const;
  // Stops accepting jobs, cancels the queued ones, lets running jobs finish until `deadline` passes,
  // then cancels them and joins the workers. True when the running jobs finished within the deadline.
  // Idempotent.
  bool stop(std::chrono::milliseconds deadline);

 private:
  struct Queued {
    TrainingJob job;
    std::uint64_t seq = 0;
    std::int64_t not_before = 0;  // steady ms; retries wait out their backoff
  };
  struct Running {
    TrainingJob job;
    std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
  };

  void worker_loop();
  // Index in queued_ of the next job that may start now, and the earliest steady ms a waiting one can.
  std::optional<std::size_t> pick_locked(std::int64_t now, std::int64_t* next_wakeup) const;
  void finish_locked(TrainingJob job, const JobResult& result, bool cancel_requested);
  void schedule_retry_locked(TrainingJob& failed);
  void add_history_locked(TrainingJob job);
  void cancel_queued_locked(std::size_t index, const std::string& why);
  bool running_key_locked(const TrainingJob& job) const;
  std::string next_id_locked();

  const TrainingQueueOptions options_;
  const TrainFunction train_;

  mutable std::mutex mutex_;
  mutable std::condition_variable work_cv_;  // workers: new job, stop, key freed
  mutable std::condition_variable idle_cv_;  // wait_idle / stop: a job finished
  std::vector<Queued> queued_;
  std::map<std::string, Running> running_;  // by job id
  std::deque<TrainingJob> history_;         // newest first
  std::map<std::tuple<std::string, ModelType, std::size_t>, std::int64_t> last_finished_;  // steady ms
  QueueSummary totals_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t next_id_ = 1;
  bool stopping_ = false;

  std::mutex join_mutex_;  // serialises stop() calls
  std::vector<std::thread> workers_;
};

}  // namespace tbml
