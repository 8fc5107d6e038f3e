#include "tbml/http/bounded_task_queue.h"

#include "tbml/util/thread_priority.h"

#include <algorithm>
#include <stdexcept>
#include <system_error>

namespace tbml {
namespace {
thread_local bool tl_overflow_connection = false;

void run(std::function<void()>& fn) {
  try {
    fn();
  } catch (...) {
    // httplib's connection processing does not throw; never let a worker die if it does.
  }
  fn = nullptr;  // release what the task holds before taking the lock again
}
}  // namespace

bool on_overflow_connection() { return tl_overflow_connection; }

BoundedTaskQueue::BoundedTaskQueue(WorkerPoolOptions options, Observer observe)
    : options_([&] {
        options.max_workers = std::max<std::size_t>(1, options.max_workers);
        options.min_workers = std::clamp<std::size_t>(options.min_workers, 1, options.max_workers);
        options.max_connections = std::max<std::size_t>(1, options.max_connections);
        options.overflow_workers = std::max<std::size_t>(1, options.overflow_workers);
        return options;
      }()),
      observe_(std::move(observe)) {
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < options_.min_workers; ++i) spawn();
    // Nothing runs yet that could serve a connection or use `this`, so failing here is safe.
    if (workers_.empty()) throw std::runtime_error("cannot start any HTTP worker thread");
    publish();
  }
  for (std::size_t i = 0; i < options_.overflow_workers; ++i) overflow_threads_.emplace_back([this] { refuse(); });
}

BoundedTaskQueue::~BoundedTaskQueue() { shutdown(); }

void BoundedTaskQueue::enqueue(std::function<void()> fn) {
  WorkerList reaped;
  {
    std::lock_guard lock(mutex_);
    reaped.splice(reaped.end(), exited_);
    if (serving_ + main_.size() < options_.max_connections) {
      if (!idle_.empty()) {
        Worker* w = idle_.back();
        idle_.pop_back();
        w->task = std::move(fn);
        ++serving_;
        w->wake.notify_one();
      } else {
        main_.push_back(std::move(fn));
        // Workers still starting will each take one; beyond them the connection needs a new worker.
        if (main_.size() > starting_ && workers_.size() < options_.max_workers && !shutting_down_) spawn();
      }
    } else {
      ++overflow_open_;
      overflow_.push_back(std::move(fn));
      overflow_wake_.notify_one();
    }
    publish();
  }
  for (auto& w : reaped) w.thread.join();
}

void BoundedTaskQueue::shutdown() {
  WorkerList reaped;
  {
    std::unique_lock lock(mutex_);
    if (shutting_down_) return;
    shutting_down_ = true;
    for (Worker* w : idle_) w->wake.notify_one();
    overflow_wake_.notify_all();
    // Busy workers serve what is queued before they exit.
    all_exited_.wait(lock, [this] { return workers_.empty(); });
    reaped.splice(reaped.end(), exited_);
  }
  // Each exited worker joined the ones that exited before it, so these joins cover every main worker.
  for (auto& w : reaped) w.thread.join();
  for (auto& t : overflow_threads_) t.join();
  overflow_threads_.clear();
}

ConnectionCounts BoundedTaskQueue::counts() const {
  std::lock_guard lock(mutex_);
  return counts_locked();
}

ConnectionCounts BoundedTaskQueue::counts_locked() const {
  return {serving_, main_.size(), overflow_open_, workers_.size()};
}

void BoundedTaskQueue::spawn() {
  auto it = workers_.emplace(workers_.end());
  try {
    it->thread = std::thread([this, it] { serve(it); });
  } catch (const std::system_error&) {
    // No thread to be had (EAGAIN): the connection waits in main_ for a running worker.
    workers_.erase(it);
    return;
  }
  ++starting_;
}

void BoundedTaskQueue::serve(WorkerList::iterator self) {
  set_current_thread_slice(options_.worker_slice);  // best effort; 0 leaves the kernel's default
  std::unique_lock lock(mutex_);
  --starting_;
  for (;;) {
    std::function<void()> fn;
    if (!main_.empty()) {
      fn = std::move(main_.front());
      main_.pop_front();
      ++serving_;
      publish();
    } else if (shutting_down_) {
      break;  // drained
    } else {
      idle_.push_back(&*self);
      const bool woken = self->wake.wait_for(lock, options_.idle_timeout,
                                             [&] { return self->task != nullptr || shutting_down_; });
      if (self->task) {  // enqueue took us off idle_ and counted the connection as serving
        fn = std::move(self->task);
        self->task = nullptr;
      } else {
        idle_.erase(std::find(idle_.begin(), idle_.end(), &*self));
        if (!woken && workers_.size() > options_.min_workers) break;  // idle too long
        continue;  // shutting down (drain, then exit) or at the minimum (wait again)
      }
    }
    lock.unlock();
    run(fn);
    lock.lock();
    --serving_;
    publish();
  }
  // Leave workers_ for exited_, and join whoever exited before: a thread's stack is only released (or
  // cached by glibc) once it is joined.
  WorkerList reaped;
  reaped.splice(reaped.end(), exited_);
  exited_.splice(exited_.end(), workers_, self);
  publish();
  if (workers_.empty()) all_exited_.notify_all();
  lock.unlock();
  for (auto& w : reaped) w.thread.join();
}

void BoundedTaskQueue::refuse() {
  tl_overflow_connection = true;
  set_current_thread_slice(options_.worker_slice);
  std::unique_lock lock(mutex_);
  for (;;) {
    overflow_wake_.wait(lock, [this] { return shutting_down_ || !overflow_.empty(); });
    if (overflow_.empty()) return;  // shutting down and drained
    std::function<void()> fn = std::move(overflow_.front());
    overflow_.pop_front();
    lock.unlock();
    run(fn);
    lock.lock();
    --overflow_open_;
    publish();
  }
}

void BoundedTaskQueue::publish() const {
  if (observe_) observe_(counts_locked());
}

}  // namespace tbml
