#include "tbml/util/thread_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tbml {

namespace {

// PRIO_PROCESS with a thread id addresses that one thread on Linux.
id_t current_tid() { return static_cast<id_t>(::syscall(SYS_gettid)); }

}  // namespace

int current_thread_nice() {
  errno = 0;  // -1 is a valid nice value, so errno tells failure apart
  const int nice = ::getpriority(PRIO_PROCESS, current_tid());
  if (nice == -1 && errno != 0) throw std::runtime_error(std::string("getpriority: ") + std::strerror(errno));
  return nice;
}

int lower_current_thread_priority(int increment) {
  if (increment <= 0) throw std::invalid_argument("nice increment must be positive");
  const int target = std::min(19, current_thread_nice() + increment);
  if (::setpriority(PRIO_PROCESS, current_tid(), target) != 0)
    throw std::runtime_error(std::string("setpriority: ") + std::strerror(errno));
  return target;
}

}  // namespace tbml
