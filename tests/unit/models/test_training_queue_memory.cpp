// TrainingQueue gives a finished job's freed memory back to the kernel (issue #13): malloc would keep it
// resident, as it did after training every model (440 MiB against 248 MiB for the same models loaded).
#include "tbml/models/training_queue.h"

#include <cstring>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "tbml/util/heap.h"
#include "unit/models/training_queue_fakes.h"
#include "unit/util/foreign_malloc.h"

namespace tbml {
namespace {

constexpr std::size_t kMiB = 1024 * 1024;

TEST(TrainingQueueMemory, AFinishedJobsFreedHeapIsNotResidentAfterIt) {
  if (TBML_FOREIGN_MALLOC) GTEST_SKIP() << "a sanitizer replaces glibc's malloc";
  std::unique_ptr<char[]> model;  // what a job keeps: allocated after its working set, so above it
  std::size_t during = 0;
  TrainingQueue q(fast_options(), [&](const TrainingJob&, JobContext&) {
    std::vector<std::unique_ptr<char[]>> windows;  // the working set: 80 MiB in heap-sized chunks
    for (int i = 0; i < 800; ++i) {
      windows.emplace_back(new char[100 * 1024]);
      std::memset(windows.back().get(), 1, 100 * 1024);
    }
    model.reset(new char[120 * 1024]);
    std::memset(model.get(), 1, 120 * 1024);
    during = resident_bytes();
    return JobResult{JobStatus::kSucceeded, "trained"};
  });
  ASSERT_EQ(q.enqueue(req("BTC", ModelType::kGru, 1)).outcome, EnqueueOutcome::kQueued);
  ASSERT_TRUE(q.wait_idle(5s));
  const std::size_t after = resident_bytes();
  ASSERT_GT(during, 0u);
  EXPECT_LE(after + 60 * kMiB, during) << "during the job " << during / kMiB << " MiB, after it " << after / kMiB;
}

}  // namespace
}  // namespace tbml
