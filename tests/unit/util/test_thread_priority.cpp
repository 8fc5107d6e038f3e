#include <gtest/gtest.h>

#include <thread>

#include "tbml/util/thread_priority.h"

using namespace tbml;
using namespace std::chrono_literals;

TEST(ThreadPriority, NiceIsRaisedForTheCallingThreadOnly) {
  int before_main = current_thread_nice();
  int inside = -100;
  std::thread t([&] { inside = lower_current_thread_priority(3); });
  t.join();
  EXPECT_EQ(inside, std::min(19, before_main + 3));
  EXPECT_EQ(current_thread_nice(), before_main);
  EXPECT_THROW(lower_current_thread_priority(0), std::invalid_argument);
}

TEST(ThreadPriority, SliceIsSetForTheCallingThreadAndKeepsItsNice) {
  std::chrono::microseconds read_back{-1};
  bool set = false;
  int nice_after = -100;
  int nice_before = 0;
  std::thread t([&] {
    lower_current_thread_priority(2);
    nice_before = current_thread_nice();
    set = set_current_thread_slice(200us);
    read_back = current_thread_slice();
    nice_after = current_thread_nice();
  });
  t.join();
  if (!set || read_back.count() == 0)
    GTEST_SKIP() << "this kernel takes no per-thread slice for SCHED_OTHER (Linux 6.12+ does)";
  EXPECT_EQ(read_back, 200us);
  EXPECT_EQ(nice_after, nice_before);  // sched_setattr must not reset the nice value
  EXPECT_FALSE(set_current_thread_slice(0us));
}
