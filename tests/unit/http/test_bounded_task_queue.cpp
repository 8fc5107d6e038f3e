// The API server's worker pool: starts min_workers, grows up to max_workers while connections find no idle
// worker, shrinks back after the idle timeout, keeps admission control (beyond max_connections to the
// overflow workers) and serves every queued connection at shutdown, joining every thread.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "tbml/http/bounded_task_queue.h"
#include "tbml/util/thread_priority.h"

namespace tbml {
namespace {

using namespace std::chrono_literals;

// Holds tasks until opened.
class Gate {
 public:
  void wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return open_; });
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Polls `done` for up to `limit`; a hang fails fast.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 2000ms) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Threads of this process that are running (an exited thread leaves /proc/self/task at once).
std::size_t os_threads() {
  return static_cast<std::size_t>(
      std::distance(std::filesystem::directory_iterator("/proc/self/task"), std::filesystem::directory_iterator{}));
}

// The count before a test's queue; one thread started and joined first, so that a sanitizer's runtime
// thread (started with the first thread) is already in it.
std::size_t baseline() {
  std::thread([] {}).join();
  return os_threads();
}

WorkerPoolOptions pool(std::size_t min, std::size_t max, std::chrono::milliseconds idle) {
  WorkerPoolOptions o;
  o.min_workers = min;
  o.max_workers = max;
  o.idle_timeout = idle;
  o.max_connections = 100;
  o.overflow_workers = 2;
  return o;
}

TEST(BoundedTaskQueue, StartsTheMinimumAndGrowsToTheMaximumUnderBlockedConnections) {
  const std::size_t base = baseline();
  BoundedTaskQueue q(pool(1, 4, 10s));
  EXPECT_EQ(q.counts().workers, 1u);
  EXPECT_EQ(os_threads(), base + 1 + 2);  // one worker, two overflow workers
  Gate gate;
  std::atomic<int> ran{0};
  for (int i = 0; i < 6; ++i) q.enqueue([&] { gate.wait(); ++ran; });
  ASSERT_TRUE(eventually([&] { return q.counts().serving == 4; }));
  const ConnectionCounts c = q.counts();
  EXPECT_EQ(c.workers, 4u);  // not more: the other two wait in the queue
  EXPECT_EQ(c.queued, 2u);
  EXPECT_EQ(os_threads(), base + 4 + 2);
  gate.open();
  ASSERT_TRUE(eventually([&] { return ran == 6 && q.counts().serving == 0; }));
  EXPECT_EQ(q.counts().workers, 4u);  // idle, but the timeout is far off
}

TEST(BoundedTaskQueue, ShrinksToTheMinimumAfterTheIdleTimeoutAndGrowsAgain) {
  const std::size_t base = baseline();
  BoundedTaskQueue q(pool(2, 5, 50ms));
  Gate gate;
  for (int i = 0; i < 5; ++i) q.enqueue([&] { gate.wait(); });
  ASSERT_TRUE(eventually([&] { return q.counts().serving == 5; }));
  EXPECT_EQ(q.counts().workers, 5u);
  gate.open();
  const auto idle_since = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return q.counts().workers == 2; })) << q.counts().workers;
  EXPECT_GE(std::chrono::steady_clock::now() - idle_since, 45ms);
  // The threads really ended (the last one may still wait for its join, but it has left the kernel).
  ASSERT_TRUE(eventually([&] { return os_threads() == base + 2 + 2; })) << os_threads();
  std::this_thread::sleep_for(120ms);
  EXPECT_EQ(q.counts().workers, 2u);  // never below the minimum

  Gate again;
  for (int i = 0; i < 3; ++i) q.enqueue([&] { again.wait(); });
  ASSERT_TRUE(eventually([&] { return q.counts().serving == 3; }));
  EXPECT_EQ(q.counts().workers, 3u);
  again.open();
}

TEST(BoundedTaskQueue, AnIdleWorkerIsHandedTheConnectionRatherThanANewOneStarted) {
  BoundedTaskQueue q(pool(1, 8, 10s));
  std::atomic<int> ran{0};
  for (int i = 0; i < 20; ++i) {
    q.enqueue([&] { ++ran; });
    // serving drops to 0 only once the worker is back among the idle ones.
    ASSERT_TRUE(eventually([&] { return ran == i + 1 && q.counts().serving == 0; }));
  }
  EXPECT_EQ(q.counts().workers, 1u);
}

TEST(BoundedTaskQueue, WorkersRunWithTheConfiguredSchedulerSlice) {
  WorkerPoolOptions o = pool(1, 2, 10s);
  o.worker_slice = 300us;
  BoundedTaskQueue q(o);
  std::atomic<long long> seen{-1};
  q.enqueue([&] { seen = current_thread_slice().count(); });
  ASSERT_TRUE(eventually([&] { return seen.load() >= 0; }));
  if (seen.load() == 0) GTEST_SKIP() << "this kernel takes no per-thread slice for SCHED_OTHER (Linux 6.12+ does)";
  EXPECT_EQ(seen.load(), 300);
  // 0 leaves the kernel's default, whatever that is: not the configured value.
  o.worker_slice = 0us;
  BoundedTaskQueue plain(o);
  std::atomic<long long> default_slice{-1};
  plain.enqueue([&] { default_slice = current_thread_slice().count(); });
  ASSERT_TRUE(eventually([&] { return default_slice.load() >= 0; }));
  EXPECT_NE(default_slice.load(), 300);
}

TEST(BoundedTaskQueue, ConnectionsBeyondMaxConnectionsGoToTheOverflowWorkers) {
  WorkerPoolOptions o = pool(1, 2, 10s);
  o.max_connections = 3;
  std::mutex seen_mutex;
  std::size_t most_workers = 0;
  BoundedTaskQueue q(o, [&](const ConnectionCounts& c) {
    std::lock_guard lock(seen_mutex);
    most_workers = std::max(most_workers, c.workers);
  });
  Gate gate;
  std::atomic<int> served{0}, refused{0};
  auto connection = [&] {
    if (on_overflow_connection()) {
      ++refused;  // the 503 path: answered without waiting
      return;
    }
    gate.wait();
    ++served;
  };
  for (int i = 0; i < 5; ++i) q.enqueue(connection);
  // 2 served + 1 queued are admitted; the other 2 are refused at once, with the admitted ones still blocked.
  // An overflow worker counts its connection until the task has returned, a moment after `refused` moved.
  ASSERT_TRUE(eventually([&] { return refused == 2 && q.counts().serving == 2 && q.counts().overflow == 0; }));
  ConnectionCounts c = q.counts();
  EXPECT_EQ(c.serving, 2u);
  EXPECT_EQ(c.queued, 1u);
  EXPECT_EQ(c.overflow, 0u);
  EXPECT_EQ(c.workers, 2u);
  q.enqueue(connection);  // still full
  ASSERT_TRUE(eventually([&] { return refused == 3; }));
  gate.open();
  ASSERT_TRUE(eventually([&] { return served == 3 && q.counts().serving == 0; }));
  // Once a slot is free, a connection is admitted again.
  q.enqueue(connection);
  ASSERT_TRUE(eventually([&] { return served == 4; }));
  EXPECT_EQ(refused, 3);
  std::lock_guard lock(seen_mutex);
  EXPECT_EQ(most_workers, 2u);
}

TEST(BoundedTaskQueue, ShutdownServesEveryQueuedConnectionAndJoinsEveryThread) {
  const std::size_t base = baseline();
  std::atomic<int> ran{0};
  {
    BoundedTaskQueue q(pool(1, 2, 10s));
    for (int i = 0; i < 10; ++i)
      q.enqueue([&] {
        std::this_thread::sleep_for(2ms);
        ++ran;
      });
    q.shutdown();
    EXPECT_EQ(ran, 10);
    EXPECT_EQ(os_threads(), base);
    q.shutdown();  // idempotent, as is the destructor's
  }
  EXPECT_EQ(os_threads(), base);
}

TEST(BoundedTaskQueue, ShutdownAfterWorkersExitedJoinsThemToo) {
  const std::size_t base = baseline();
  {
    BoundedTaskQueue q(pool(1, 6, 20ms));
    Gate gate;
    for (int i = 0; i < 6; ++i) q.enqueue([&] { gate.wait(); });
    ASSERT_TRUE(eventually([&] { return q.counts().serving == 6; }));
    gate.open();
    ASSERT_TRUE(eventually([&] { return q.counts().workers == 1; }));
  }  // the destructor shuts down: joins the last exited worker and the remaining one
  EXPECT_EQ(os_threads(), base);
}

TEST(BoundedTaskQueue, ConcurrentEnqueuesWhileWorkersComeAndGo) {
  // A 1 ms idle timeout makes workers exit and start all the time, under four concurrent enqueuers.
  const std::size_t base = baseline();
  std::atomic<int> ran{0};
  std::atomic<std::size_t> most_workers{0};
  {
    BoundedTaskQueue q(pool(1, 8, 1ms), [&](const ConnectionCounts& c) {
      std::size_t seen = most_workers.load();
      while (c.workers > seen && !most_workers.compare_exchange_weak(seen, c.workers)) {
      }
    });
    std::vector<std::thread> producers;
    for (int p = 0; p < 4; ++p)
      producers.emplace_back([&] {
        for (int i = 0; i < 300; ++i) {
          q.enqueue([&] { ++ran; });
          if (i % 50 == 0) std::this_thread::sleep_for(2ms);  // let some workers time out
        }
      });
    for (auto& t : producers) t.join();
    ASSERT_TRUE(eventually([&] { return ran == 1200; }));
  }
  EXPECT_EQ(ran, 1200);
  EXPECT_LE(most_workers.load(), 8u);
  EXPECT_EQ(os_threads(), base);
}

}  // namespace
}  // namespace tbml
