#include "tbml/http/bounded_task_queue.h"

namespace tbml {
namespace {
thread_local bool tl_overflow_connection = false;
}  // namespace

bool on_overflow_connection() { return tl_overflow_connection; }

void BoundedTaskQueue::work(std::deque<std::function<void()>>& queue, bool overflow) {
  tl_overflow_connection = overflow;
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return shutting_down_ || !queue.empty(); });
      if (queue.empty()) return;  // shutting down and drained
      fn = std::move(queue.front());
      queue.pop_front();
      if (!overflow) {
        ++serving_;  // moves from queued to serving
        publish();
      }
    }
    try {
      fn();
    } catch (...) {
      // httplib's connection processing does not throw; never let a worker die if it does.
    }
    std::lock_guard lock(mutex_);
    if (overflow) {
      --overflow_open_;
    } else {
      --serving_;
    }
    publish();
  }
}

}  // namespace tbml
