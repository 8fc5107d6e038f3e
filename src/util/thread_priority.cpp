#include "tbml/util/thread_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace tbml {

namespace {

// PRIO_PROCESS with a thread id addresses that one thread on Linux.
id_t current_tid() { return static_cast<id_t>(::syscall(SYS_gettid)); }

// The kernel's struct sched_attr (include/uapi/linux/sched/types.h); glibc 2.36 has no wrapper for
// sched_setattr, and <linux/sched/types.h> clashes with <sched.h>.
struct SchedAttr {
  std::uint32_t size;
  std::uint32_t sched_policy;
  std::uint64_t sched_flags;
  std::int32_t sched_nice;
  std::uint32_t sched_priority;
  std::uint64_t sched_runtime;
  std::uint64_t sched_deadline;
  std::uint64_t sched_period;
  std::uint32_t sched_util_min;
  std::uint32_t sched_util_max;
};
constexpr std::uint32_t kSchedOther = 0;

// The calling thread's nice value, or nullopt (errno says why).
std::optional<int> read_nice() {
  errno = 0;  // -1 is a valid nice value, so errno tells failure apart
  const int nice = ::getpriority(PRIO_PROCESS, current_tid());
  if (nice == -1 && errno != 0) return std::nullopt;
  return nice;
}

}  // namespace

int current_thread_nice() {
  const std::optional<int> nice = read_nice();
  if (!nice) throw std::runtime_error(std::string("getpriority: ") + std::strerror(errno));
  return *nice;
}

int lower_current_thread_priority(int increment) {
  if (increment <= 0) throw std::invalid_argument("nice increment must be positive");
  const int target = std::min(19, current_thread_nice() + increment);
  if (::setpriority(PRIO_PROCESS, current_tid(), target) != 0)
    throw std::runtime_error(std::string("setpriority: ") + std::strerror(errno));
  return target;
}

bool set_current_thread_slice(std::chrono::microseconds slice) {
#if defined(SYS_sched_setattr)
  if (slice.count() <= 0) return false;
  const std::optional<int> nice = read_nice();  // without throwing: callers are thread entry points
  if (!nice) return false;
  SchedAttr attr{};
  attr.size = sizeof attr;
  attr.sched_policy = kSchedOther;
  attr.sched_nice = *nice;  // sched_setattr sets the nice value too: keep it
  attr.sched_runtime = static_cast<std::uint64_t>(slice.count()) * 1000u;
  return ::syscall(SYS_sched_setattr, 0, &attr, 0u) == 0;
#else
  (void)slice;
  return false;
#endif
}

std::chrono::microseconds current_thread_slice() {
#if defined(SYS_sched_getattr)
  SchedAttr attr{};
  if (::syscall(SYS_sched_getattr, 0, &attr, static_cast<unsigned>(sizeof attr), 0u) != 0) return std::chrono::microseconds(0);
  return std::chrono::microseconds(static_cast<std::int64_t>(attr.sched_runtime / 1000u));
#else
  return std::chrono::microseconds(0);
#endif
}

}  // namespace tbml
