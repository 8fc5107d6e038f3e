#pragma once
// httplib's task queue with admission control (server.maxConnections) and an elastic worker pool
// (server.minThreads up to server.threads): the API server's worker pool, shared with bench_http_ceiling so
// that the ceiling runs the same workers.
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace tbml {

// True on the threads that serve connections beyond server.maxConnections: their requests get a fast 503.
bool on_overflow_connection();

struct WorkerPoolOptions {
  // server.threads: httplib keeps a kept-alive connection on one worker until it closes, so this is how
  // many connections are served at once.
  std::size_t max_workers = 256;
  // server.minThreads: workers kept while idle. Every thread costs ~120 KiB resident (static TLS of the
  // loaded libraries), so idle workers beyond this exit after idle_timeout.
  std::size_t min_workers = 8;
  std::chrono::milliseconds idle_timeout{30000};  // server.threadIdleTimeoutMs
  // server.maxConnections: connections queued or being served; beyond it they go to the overflow workers.
  std::size_t max_connections = 512;
  std::size_t overflow_workers = 2;
  // server.workerSliceUs: each worker asks the kernel for this time slice (0: the kernel's default). Under
  // EEVDF a woken thread with a shorter slice than the running one preempts it at once, so a request does
  // not wait for a training step or a poll to use up its slice (1.4 ms here) on the core (docs/performance.md,
  // "While a model trains").
  std::chrono::microseconds worker_slice{100};
};

// The pool's state, as /metrics shows it.
struct ConnectionCounts {
  std::size_t serving = 0;   // handed to a main worker
  std::size_t queued = 0;    // admitted, waiting for a worker
  std::size_t overflow = 0;  // over max_connections: queued for or being refused by an overflow worker
  std::size_t workers = 0;   // main workers alive (busy or idle), between min_workers and max_workers
};

// httplib's task queue with admission control. Each task is one accepted connection; httplib hides the
// socket inside the task, so a connection can't simply be dropped (that would leak the socket). Instead,
// connections beyond `max_connections` (queued + being served) go to a small fixed pool whose threads
// answer every request with 503 before the body is read, and the connection is closed by the client.
//
// Main workers are elastic: min_workers start with the queue; a connection that finds no idle worker
// starts one (up to max_workers), and a worker idle for idle_timeout exits while more than min_workers are
// alive. Idle workers are handed connections last-idle-first, so under light traffic the same few stay
// busy and the rest time out. An exited worker is joined by the next worker that exits, the next enqueue
// or shutdown, so no thread outlives the queue and at most one exited thread's stack waits for its join.
class BoundedTaskQueue : public httplib::TaskQueue {
 public:
  using Observer = std::function<void(const ConnectionCounts&)>;

  // `observe` is told every change of the counts (under the queue's lock; keep it short).
  explicit BoundedTaskQueue(WorkerPoolOptions options, Observer observe = {});
  ~BoundedTaskQueue() override;
  BoundedTaskQueue(const BoundedTaskQueue&) = delete;
  BoundedTaskQueue& operator=(const BoundedTaskQueue&) = delete;

  void enqueue(std::function<void()> fn) override;

  // Called by httplib after the listening socket is closed: every queued connection is still served, then
  // every thread is joined. Idempotent (the destructor calls it too).
  void shutdown() override;

  ConnectionCounts counts() const;

 private:
  struct Worker {
    std::thread thread;
    std::condition_variable wake;
    std::function<void()> task;  // handed over by enqueue while the worker is idle
  };
  using WorkerList = std::list<Worker>;

  void serve(WorkerList::iterator self);
  void refuse();
  void spawn();  // under mutex_
  ConnectionCounts counts_locked() const;  // under mutex_
  void publish() const;  // under mutex_

  const WorkerPoolOptions options_;
  const Observer observe_;
  mutable std::mutex mutex_;
  std::deque<std::function<void()>> main_;  // admitted, no idle worker yet (so idle_ is empty)
  std::deque<std::function<void()>> overflow_;
  WorkerList workers_;             // alive main workers; stable addresses for idle_ and the threads
  WorkerList exited_;              // main workers that returned, to be joined
  std::vector<Worker*> idle_;      // waiting for a task, most recently idle last
  std::size_t starting_ = 0;       // spawned, not yet running: they will take queued connections
  std::size_t serving_ = 0;
  std::size_t overflow_open_ = 0;  // queued in overflow_ or being refused
  bool shutting_down_ = false;
  std::condition_variable overflow_wake_;
  std::condition_variable all_exited_;  // shutdown waits here for workers_ to empty
  std::vector<std::thread> overflow_threads_;
};

}  // namespace tbml
