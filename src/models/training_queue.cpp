#include "tbml/models/training_queue.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "tbml/util/heap.h"
#include "tbml/util/thread_priority.h"
#include "tbml/util/time.h"

namespace tbml {

TrainingQueue::TrainingQueue(TrainingQueueOptions options, TrainFunction train)
    : options_(std::move(options)), train_(std::move(train)) {
  if (!train_) throw std::invalid_argument("training queue: train function is empty");
  if (options_.max_concurrent == 0) throw std::invalid_argument("training queue: max_concurrent must be >= 1");
  if (options_.cooldown.count() < 0 || options_.retry_backoff.count() < 0 ||
      options_.max_retry_backoff.count() < 0 || options_.max_retries < 0) {
    throw std::invalid_argument("training queue: cooldown, retries and backoff must not be negative");
  }
  workers_.reserve(options_.max_concurrent);
  for (std::size_t i = 0; i < options_.max_concurrent; ++i) {
    workers_.emplace_back([this] { worker_loop(); });
  }
}

TrainingQueue::~TrainingQueue() { stop(std::chrono::milliseconds(0)); }

std::string TrainingQueue::next_id_locked() { return "job-" + std::to_string(next_id_++); }

namespace {
// One piece of work: a job per (pair, model type, horizon) at a time.
bool same_work(const TrainingJob& job, const std::string& pair, ModelType type, std::size_t horizon) {
  return job.pair == pair && job.type == type && job.horizon == horizon;
}
}  // namespace

bool TrainingQueue::running_key_locked(const TrainingJob& job) const {
  for (const auto& [id, r] : running_) {
    if (same_work(r.job, job.pair, job.type, job.horizon)) return true;
  }
  return false;
}

EnqueueResult TrainingQueue::enqueue(const EnqueueRequest& request) {
  if (request.pair.empty()) throw std::invalid_argument("training queue: pair name is empty");
  std::unique_lock lock(mutex_);
  EnqueueResult result;
  if (stopping_) {
    result.outcome = EnqueueOutcome::kStopped;
    result.message = "training queue is shutting down";
    return result;
  }
  const std::string what = request.pair + "/" + to_string(request.type) +
                           (request.horizon ? " (horizon " + std::to_string(request.horizon) + ")" : "");

  for (Queued& q : queued_) {
    if (!same_work(q.job, request.pair, request.type, request.horizon)) continue;
    q.job.priority = std::max(q.job.priority, request.priority);
    if (request.reason == JobReason::kManual) q.not_before = 0;  // a person asked: skip the backoff
    work_cv_.notify_all();
    result.outcome = EnqueueOutcome::kDeduplicated;
    result.job_id = q.job.id;
    result.deduplicated = true;
    result.message = "a job for " + what + " is already queued";
    return result;
  }
  for (const auto& [id, r] : running_) {
    // A job that is being cancelled no longer counts: a new one may queue behind it.
    if (!same_work(r.job, request.pair, request.type, request.horizon) || r.cancel->load()) continue;
    result.outcome = EnqueueOutcome::kDeduplicated;
    result.job_id = id;
    result.deduplicated = true;
    result.message = "a job for " + what + " is already running";
    return result;
  }

  const std::int64_t now = steady_ms();
  if (is_automatic(request.reason)) {
    auto it = last_finished_.find({request.pair, request.type, request.horizon});
    if (it != last_finished_.end()) {
      const std::int64_t elapsed = now - it->second;
      if (elapsed < options_.cooldown.count()) {
        result.outcome = EnqueueOutcome::kCoolingDown;
        result.message = fmt::format("{} finished training {:.1f} s ago; automatic jobs wait {:.1f} s more",
                                     what, elapsed / 1000.0, (options_.cooldown.count() - elapsed) / 1000.0);
        return result;
      }
    }
  }
  if (queued_.size() >= options_.max_queued) {
    result.outcome = EnqueueOutcome::kQueueFull;
    result.message = fmt::format("training queue is full ({} jobs waiting)", queued_.size());
    return result;
  }

  Queued q;
  q.job.id = next_id_locked();
  q.job.pair = request.pair;
  q.job.type = request.type;
  q.job.horizon = request.horizon;
  q.job.priority = request.priority;
  q.job.overrides = request.overrides;
  q.job.reason = request.reason;
  q.job.status = JobStatus::kQueued;
  q.job.created_at = now_ms();
  q.seq = next_seq_++;
  result.outcome = EnqueueOutcome::kQueued;
  result.job_id = q.job.id;
  queued_.push_back(std::move(q));
  work_cv_.notify_one();
  return result;
}

void TrainingQueue::add_history_locked(TrainingJob job) {
  switch (job.status) {
    case JobStatus::kSucceeded:
    case JobStatus::kRejected: ++totals_.completed; break;
    case JobStatus::kFailed: ++totals_.failed; break;
    case JobStatus::kCancelled: ++totals_.cancelled; break;
    default: break;
  }
  last_finished_[{job.pair, job.type, job.horizon}] = steady_ms();
  history_.push_front(std::move(job));
  while (history_.size() > options_.history) history_.pop_back();
}

void TrainingQueue::cancel_queued_locked(std::size_t index, const std::string& why) {
  TrainingJob job = std::move(queued_[index].job);
  queued_.erase(queued_.begin() + static_cast<std::ptrdiff_t>(index));
  job.status = JobStatus::kCancelled;
  job.finished_at = now_ms();
  job.message = why;
  add_history_locked(std::move(job));
  idle_cv_.notify_all();
}

bool TrainingQueue::cancel(const std::string& id) {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < queued_.size(); ++i) {
    if (queued_[i].job.id == id) {
      cancel_queued_locked(i, "cancelled while queued");
      return true;
    }
  }
  auto it = running_.find(id);
  if (it == running_.end()) return false;
  it->second.cancel->store(true);
  return true;
}

std::size_t TrainingQueue::cancel_pair(const std::string& pair, std::optional<std::size_t> horizon) {
  std::lock_guard lock(mutex_);
  auto matches = [&](const TrainingJob& j) { return j.pair == pair && (!horizon || j.horizon == *horizon); };
  std::size_t n = 0;
  for (std::size_t i = queued_.size(); i-- > 0;) {
    if (matches(queued_[i].job)) {
      cancel_queued_locked(i, "cancelled while queued");
      ++n;
    }
  }
  for (auto& [id, r] : running_) {
    if (matches(r.job)) {
      r.cancel->store(true);
      ++n;
    }
  }
  return n;
}

std::optional<std::size_t> TrainingQueue::pick_locked(std::int64_t now, std::int64_t* next_wakeup) const {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < queued_.size(); ++i) {
    const Queued& q = queued_[i];
    if (running_key_locked(q.job)) continue;  // its predecessor is still winding down
    if (q.not_before > now) {
      *next_wakeup = std::min(*next_wakeup, q.not_before);
      continue;
    }
    if (!best || q.job.priority > queued_[*best].job.priority ||
        (q.job.priority == queued_[*best].job.priority && q.seq < queued_[*best].seq)) {
      best = i;
    }
  }
  return best;
}

void TrainingQueue::worker_loop() {
  if (options_.worker_nice > 0) {
    try {
      lower_current_thread_priority(options_.worker_nice);
    } catch (const std::exception&) {
      // Not fatal: training then competes with serving at equal priority.
    }
  }
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    std::int64_t next_wakeup = std::numeric_limits<std::int64_t>::max();
    const std::int64_t now = steady_ms();
    const std::optional<std::size_t> index = pick_locked(now, &next_wakeup);
    if (!index) {
      if (next_wakeup == std::numeric_limits<std::int64_t>::max()) {
        work_cv_.wait(lock);
      } else {
        work_cv_.wait_for(lock, std::chrono::milliseconds(next_wakeup - now));
      }
      continue;
    }

    TrainingJob job = std::move(queued_[*index].job);
    queued_.erase(queued_.begin() + static_cast<std::ptrdiff_t>(*index));
    job.status = JobStatus::kRunning;
    job.started_at = now_ms();
    job.attempts += 1;
    job.progress = {};
    const std::string id = job.id;
    Running& running = running_[id];
    running.job = job;
    const std::shared_ptr<std::atomic<bool>> cancel = running.cancel;
    lock.unlock();

    const std::int64_t started_at = job.started_at;
    JobContext context(*cancel, [this, id, started_at](int epoch, int epochs, double val_loss, double train_loss) {
      // Built outside the lock; the lock only copies it in (one short lock per epoch or boosting round).
      JobProgress p;
      p.epoch = epoch;
      p.epochs = epochs;
      if (std::isfinite(val_loss)) p.val_loss = val_loss;
      if (std::isfinite(train_loss)) p.train_loss = train_loss;
      p.elapsed_ms = std::max<std::int64_t>(0, now_ms() - started_at);
      if (epoch > 0 && epochs >= epoch) p.eta_ms = p.elapsed_ms * (epochs - epoch) / epoch;
      std::lock_guard progress_lock(mutex_);
      auto it = running_.find(id);
      if (it != running_.end()) it->second.job.progress = p;
    });
    JobResult result;
    try {
      result = train_(job, context);
    } catch (const std::exception& e) {
      result = {JobStatus::kFailed, std::string("training threw: ") + e.what()};
    } catch (...) {
      result = {JobStatus::kFailed, "training threw an unknown exception"};
    }
    // The job's windows, tensors and optimiser state are freed by now, but malloc keeps them resident
    // (a process that trained every model held 440 MiB, 248 MiB once restarted; docs/performance.md).
    release_free_heap();

    lock.lock();
    TrainingJob finished = std::move(running_[id].job);
    running_.erase(id);
    finish_locked(std::move(finished), result, cancel->load());
    idle_cv_.notify_all();
    work_cv_.notify_all();  // a queued job for the same (pair, type) may start now
  }
}

void TrainingQueue::finish_locked(TrainingJob job, const JobResult& result, bool cancel_requested) {
  job.status = result.status;
  job.message = result.message;
  if (job.status == JobStatus::kQueued || job.status == JobStatus::kRunning) {
    job.message = "training function returned status '" + to_string(job.status) + "': " + result.message;
    job.status = JobStatus::kFailed;
  }
  // A failure caused by cancelling (e.g. an interrupted data copy) is a cancellation, not a retry.
  if (cancel_requested && job.status == JobStatus::kFailed) {
    job.status = JobStatus::kCancelled;
    job.message = "cancelled: " + job.message;
  }
  job.finished_at = now_ms();
  if (job.status == JobStatus::kFailed) schedule_retry_locked(job);
  add_history_locked(std::move(job));
}

void TrainingQueue::schedule_retry_locked(TrainingJob& failed) {
  if (stopping_) return;
  if (failed.attempts > options_.max_retries) {
    failed.message += fmt::format(" (gave up after {} attempts)", failed.attempts);
    return;
  }
  if (queued_.size() >= options_.max_queued) {
    failed.message += " (no retry: training queue is full)";
    return;
  }
  // Backoff doubles per failed attempt: base, 2×base, 4×base, ... capped.
  const int shift = std::min(failed.attempts - 1, 30);
  const std::int64_t backoff =
      std::min<std::int64_t>(options_.retry_backoff.count() * (std::int64_t{1} << shift),
                             options_.max_retry_backoff.count());
  Queued q;
  q.job.id = next_id_locked();
  q.job.pair = failed.pair;
  q.job.type = failed.type;
  q.job.horizon = failed.horizon;
  q.job.priority = failed.priority;
  q.job.overrides = failed.overrides;
  q.job.reason = JobReason::kRetry;
  q.job.status = JobStatus::kQueued;
  q.job.created_at = now_ms();
  q.job.attempts = failed.attempts;
  q.job.retry_of = failed.id;
  q.job.message = fmt::format("retry of {} after: {}", failed.id, failed.message);
  q.seq = next_seq_++;
  q.not_before = steady_ms() + backoff;
  failed.message += fmt::format(" (retry queued as {} in {:.1f} s)", q.job.id, backoff / 1000.0);
  queued_.push_back(std::move(q));
  work_cv_.notify_all();
}

std::optional<TrainingJob> TrainingQueue::job(const std::string& id) const {
  std::lock_guard lock(mutex_);
  for (const Queued& q : queued_) {
    if (q.job.id == id) return q.job;
  }
  if (auto it = running_.find(id); it != running_.end()) return it->second.job;
  for (const TrainingJob& j : history_) {
    if (j.id == id) return j;
  }
  return std::nullopt;
}

QueueSummary TrainingQueue::summary() const {
  std::lock_guard lock(mutex_);
  QueueSummary s = totals_;
  s.active = running_.size();
  s.queued = queued_.size();
  return s;
}

QueueSnapshot TrainingQueue::snapshot() const {
  std::lock_guard lock(mutex_);
  QueueSnapshot snap;
  for (const auto& [id, r] : running_) snap.active.push_back(r.job);
  std::sort(snap.active.begin(), snap.active.end(),
            [](const TrainingJob& a, const TrainingJob& b) { return a.started_at < b.started_at; });
  std::vector<const Queued*> order;
  for (const Queued& q : queued_) order.push_back(&q);
  std::sort(order.begin(), order.end(), [](const Queued* a, const Queued* b) {
    if (a->job.priority != b->job.priority) return a->job.priority > b->job.priority;
    return a->seq < b->seq;
  });
  for (const Queued* q : order) snap.queued.push_back(q->job);
  snap.recent.assign(history_.begin(), history_.end());
  snap.summary = totals_;
  snap.summary.active = running_.size();
  snap.summary.queued = queued_.size();
  return snap;
}

bool TrainingQueue::wait_idle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return idle_cv_.wait_for(lock, timeout, [this] { return queued_.empty() && running_.empty(); });
}

bool TrainingQueue::stop(std::chrono::milliseconds deadline) {
  std::lock_guard join_lock(join_mutex_);
  bool in_time = true;
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    while (!queued_.empty()) cancel_queued_locked(queued_.size() - 1, "cancelled: training queue stopped");
    work_cv_.notify_all();
    in_time = idle_cv_.wait_for(lock, deadline, [this] { return running_.empty(); });
    if (!in_time) {
      for (auto& [id, r] : running_) r.cancel->store(true);
    }
  }
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
  return in_time;
}

}  // namespace tbml
