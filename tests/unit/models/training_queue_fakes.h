#pragma once
// Shared by the training queue tests (test_training_queue.cpp: scheduling, bounds and shutdown;
// test_training_queue_failures.cpp: retries and cancellation): a gate, a recorder and fake training
// functions. Test-only; each test program includes it once.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tbml/models/training_queue.h"

namespace tbml {
namespace {

using namespace std::chrono_literals;

// A latch the fake training function waits on, so tests decide when a job may finish.
class Gate {
 public:
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  // Waits until opened or the job is cancelled; false when cancelled.
  bool wait(const JobContext& ctx) {
    std::unique_lock lock(mutex_);
    while (!open_) {
      if (ctx.cancelled()) return false;
      cv_.wait_for(lock, 2ms);
    }
    return true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Records the order in which jobs ran (pair names).
struct Recorder {
  std::mutex mutex;
  std::vector<std::string> order;
  void add(const std::string& s) {
    std::lock_guard lock(mutex);
    order.push_back(s);
  }
  std::vector<std::string> get() {
    std::lock_guard lock(mutex);
    return order;
  }
};

TrainingQueueOptions fast_options() {
  TrainingQueueOptions o;
  o.cooldown = 0ms;
  o.retry_backoff = 5ms;
  o.max_retry_backoff = 20ms;
  return o;
}

EnqueueRequest req(const std::string& pair, ModelType type = ModelType::kLstm, int priority = 0,
                   JobReason reason = JobReason::kManual) {
  EnqueueRequest r;
  r.pair = pair;
  r.type = type;
  r.priority = priority;
  r.reason = reason;
  return r;
}

// Polls until `pred` holds or 5 s pass.
template <class Pred>
bool eventually(Pred pred) {
  const auto end = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return pred();
}

JobStatus status_of(const TrainingQueue& q, const std::string& id) {
  auto job = q.job(id);
  return job ? job->status : JobStatus::kQueued;
}

// The fake trainer loops over "batches" and checks cancelled() between them, like the real one.
JobResult batch_loop(const TrainingJob&, JobContext& ctx) {
  for (int batch = 0; batch < 100000; ++batch) {  // 100 s if never cancelled
    if (ctx.cancelled()) return {JobStatus::kCancelled, "stopped at batch " + std::to_string(batch)};
    std::this_thread::sleep_for(1ms);
  }
  return {JobStatus::kSucceeded, "all batches"};
}

}  // namespace
}  // namespace tbml
