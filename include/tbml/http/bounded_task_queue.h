#pragma once
// httplib's task queue with admission control (server.maxConnections): the API server's worker pool, shared
// with bench_http_ceiling so that the ceiling runs the same workers.
#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tbml {

// True on the threads that serve connections beyond server.maxConnections: their requests get a fast 503.
bool on_overflow_connection();

// httplib's task queue with admission control. Each task is one accepted connection; httplib hides the
// socket inside the task, so a connection can't simply be dropped (that would leak the socket). Instead,
// connections beyond `max_connections` (queued + being served) go to a small separate pool whose threads
// answer every request with 503 before the body is read, and the connection is closed by the client.
class BoundedTaskQueue : public httplib::TaskQueue {
 public:
  // `observe(serving, queued, overflow)` is told every change of the connection counts (for /metrics).
  using Observer = std::function<void(std::size_t, std::size_t, std::size_t)>;

  BoundedTaskQueue(std::size_t workers, std::size_t max_connections, std::size_t overflow_workers, Observer observe)
      : max_connections_(std::max<std::size_t>(1, max_connections)), observe_(std::move(observe)) {
    for (std::size_t i = 0; i < std::max<std::size_t>(1, workers); ++i)
      threads_.emplace_back([this] { work(main_, false); });
    for (std::size_t i = 0; i < std::max<std::size_t>(1, overflow_workers); ++i)
      threads_.emplace_back([this] { work(overflow_, true); });
  }

  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard lock(mutex_);
      if (serving_ + main_.size() < max_connections_) {
        main_.push_back(std::move(fn));
      } else {
        ++overflow_open_;
        overflow_.push_back(std::move(fn));
      }
      publish();
    }
    cv_.notify_all();
  }

  // Called by httplib after the listening socket is closed: every queued connection is still served.
  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      shutting_down_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void work(std::deque<std::function<void()>>& queue, bool overflow);

  // Under mutex_.
  void publish() const {
    if (observe_) observe_(serving_, main_.size(), overflow_open_);
  }

  const std::size_t max_connections_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> main_;
  std::deque<std::function<void()>> overflow_;
  const Observer observe_;
  std::size_t serving_ = 0;        // being served by a main worker; with main_ the admitted connections
  std::size_t overflow_open_ = 0;  // queued in overflow_ or being refused
  bool shutting_down_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tbml
