// TrainingQueue: failed jobs are retried with backoff, cancelled jobs stop promptly and are not retried.
#include "tbml/models/training_queue.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "unit/models/training_queue_fakes.h"

namespace tbml {
namespace {

TEST(TrainingQueue, ThrowingJobIsRetried) {
  std::atomic<int> calls{0};
  TrainingQueue q(fast_options(), [&](const TrainingJob&, JobContext&) -> JobResult {
    if (++calls == 1) throw std::runtime_error("disk full");
    return {JobStatus::kSucceeded, "ok"};
  });
  const EnqueueResult first = q.enqueue(req("BTC", ModelType::kLstm, 4));
  ASSERT_TRUE(q.wait_idle(5s));
  EXPECT_EQ(calls.load(), 2);

  const auto failed = q.job(first.job_id);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, JobStatus::kFailed);
  EXPECT_NE(failed->message.find("disk full"), std::string::npos) << failed->message;
  EXPECT_NE(failed->message.find("retry queued as job-2"), std::string::npos) << failed->message;

  const auto retry = q.job("job-2");
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, JobStatus::kSucceeded);
  EXPECT_EQ(retry->reason, JobReason::kRetry);
  EXPECT_EQ(retry->attempts, 2);
  EXPECT_EQ(retry->priority, 4);
  EXPECT_EQ(retry->retry_of, first.job_id);
  EXPECT_EQ(retry->to_json()["reason"], "retry");
  const QueueSummary s = q.summary();
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.completed, 1u);
}

TEST(TrainingQueue, RetriesStopAfterTheLimit) {
  TrainingQueueOptions o = fast_options();
  o.max_retries = 2;
  std::atomic<int> calls{0};
  TrainingQueue q(o, [&](const TrainingJob&, JobContext&) {
    ++calls;
    return JobResult{JobStatus::kFailed, "no data"};
  });
  q.enqueue(req("BTC"));
  ASSERT_TRUE(q.wait_idle(5s));
  EXPECT_EQ(calls.load(), 3);
  const auto snap = q.snapshot();
  ASSERT_EQ(snap.recent.size(), 3u);
  EXPECT_EQ(snap.recent[0].attempts, 3);
  EXPECT_NE(snap.recent[0].message.find("gave up after 3 attempts"), std::string::npos)
      << snap.recent[0].message;
  EXPECT_EQ(snap.summary.failed, 3u);
}

TEST(TrainingQueue, RetryWaitsForItsBackoff) {
  TrainingQueueOptions o = fast_options();
  o.retry_backoff = 60s;
  o.max_retry_backoff = 60s;
  std::atomic<int> calls{0};
  TrainingQueue q(o, [&](const TrainingJob&, JobContext&) {
    return ++calls == 1 ? JobResult{JobStatus::kFailed, "flaky"} : JobResult{JobStatus::kSucceeded, ""};
  });
  q.enqueue(req("BTC"));
  ASSERT_TRUE(eventually([&] { return q.summary().failed == 1; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(calls.load(), 1);
  ASSERT_EQ(q.snapshot().queued.size(), 1u);
  // A manual request for the same model folds into the retry and skips the backoff.
  const EnqueueResult manual = q.enqueue(req("BTC"));
  EXPECT_TRUE(manual.deduplicated);
  ASSERT_TRUE(q.wait_idle(5s));
  EXPECT_EQ(calls.load(), 2);
}

TEST(TrainingQueue, CancelQueuedJobRemovesItAtOnce) {
  Gate gate;
  Recorder rec;
  TrainingQueue q(fast_options(), [&](const TrainingJob& job, JobContext& ctx) {
    rec.add(job.pair);
    if (job.pair == "BLOCK") gate.wait(ctx);
    return JobResult{JobStatus::kSucceeded, ""};
  });
  q.enqueue(req("BLOCK"));
  ASSERT_TRUE(eventually([&] { return q.summary().active == 1; }));
  const EnqueueResult victim = q.enqueue(req("BTC"));
  EXPECT_TRUE(q.cancel(victim.job_id));
  EXPECT_EQ(status_of(q, victim.job_id), JobStatus::kCancelled);
  EXPECT_TRUE(q.snapshot().queued.empty());
  EXPECT_FALSE(q.cancel(victim.job_id));  // already finished
  EXPECT_FALSE(q.cancel("job-999"));
  gate.open();
  ASSERT_TRUE(q.wait_idle(5s));
  EXPECT_EQ(rec.get(), std::vector<std::string>{"BLOCK"});
  EXPECT_EQ(q.summary().cancelled, 1u);
}

TEST(TrainingQueue, CancelRunningJobStopsItPromptly) {
  TrainingQueue q(fast_options(), batch_loop);
  const EnqueueResult job = q.enqueue(req("BTC"));
  ASSERT_TRUE(eventually([&] { return status_of(q, job.job_id) == JobStatus::kRunning; }));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(q.cancel(job.job_id));
  ASSERT_TRUE(q.wait_idle(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  const auto done = q.job(job.job_id);
  EXPECT_EQ(done->status, JobStatus::kCancelled);
  EXPECT_NE(done->message.find("stopped at batch"), std::string::npos);
}

TEST(TrainingQueue, CancelledFailureIsNotRetried) {
  std::atomic<int> calls{0};
  TrainingQueue q(fast_options(), [&](const TrainingJob& job, JobContext& ctx) -> JobResult {
    ++calls;
    while (!ctx.cancelled()) std::this_thread::sleep_for(1ms);
    throw std::runtime_error("interrupted");
  });
  const EnqueueResult job = q.enqueue(req("BTC"));
  ASSERT_TRUE(eventually([&] { return status_of(q, job.job_id) == JobStatus::kRunning; }));
  q.cancel(job.job_id);
  ASSERT_TRUE(q.wait_idle(5s));
  EXPECT_EQ(status_of(q, job.job_id), JobStatus::kCancelled);
  EXPECT_EQ(calls.load(), 1);
}

TEST(TrainingQueue, NewJobWaitsForACancelledOneOfTheSameModel) {
  TrainingQueueOptions o = fast_options();
  o.max_concurrent = 2;
  std::atomic<int> concurrent{0}, max_concurrent{0};
  std::atomic<bool> release{false};
  TrainingQueue q(o, [&](const TrainingJob&, JobContext& ctx) {
    const int now = ++concurrent;
    int seen = max_concurrent.load();
    while (now > seen && !max_concurrent.compare_exchange_weak(seen, now)) {}
    while (!release.load()) std::this_thread::sleep_for(1ms);  // ignores cancel until released
    --concurrent;
    return JobResult{ctx.cancelled() ? JobStatus::kCancelled : JobStatus::kSucceeded, ""};
  });
  const EnqueueResult first = q.enqueue(req("BTC"));
  ASSERT_TRUE(eventually([&] { return status_of(q, first.job_id) == JobStatus::kRunning; }));
  q.cancel(first.job_id);
  const EnqueueResult second = q.enqueue(req("BTC"));
  EXPECT_FALSE(second.deduplicated);  // the cancelled job does not absorb the new request
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(status_of(q, second.job_id), JobStatus::kQueued);  // a free worker did not start it
  release = true;
  ASSERT_TRUE(q.wait_idle(5s));
  EXPECT_EQ(max_concurrent.load(), 1);
  EXPECT_EQ(status_of(q, second.job_id), JobStatus::kSucceeded);
}

TEST(TrainingQueue, CancelPairCancelsQueuedAndRunning) {
  TrainingQueueOptions o = fast_options();
  TrainingQueue q(o, batch_loop);
  const EnqueueResult a = q.enqueue(req("BTC", ModelType::kLstm));
  ASSERT_TRUE(eventually([&] { return q.summary().active == 1; }));
  const EnqueueResult b = q.enqueue(req("BTC", ModelType::kGru));
  const EnqueueResult c = q.enqueue(req("ETH", ModelType::kGru));
  EXPECT_EQ(q.cancel_pair("BTC"), 2u);
  ASSERT_TRUE(eventually([&] { return status_of(q, a.job_id) == JobStatus::kCancelled; }));
  EXPECT_EQ(status_of(q, b.job_id), JobStatus::kCancelled);
  ASSERT_TRUE(eventually([&] { return status_of(q, c.job_id) == JobStatus::kRunning; }));
  q.cancel(c.job_id);
  ASSERT_TRUE(q.wait_idle(5s));
}

}  // namespace
}  // namespace tbml
