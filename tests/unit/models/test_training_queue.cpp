// TrainingQueue: running jobs, priorities, de-duplication, cooldown, bounds and shutdown; the job types'
// JSON and names. Retries and cancellation are in test_training_queue_failures.cpp.
#include "tbml/models/training_queue.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <limits>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tbml/util/thread_priority.h"
#include "tbml/util/time.h"

#include "unit/models/training_queue_fakes.h"

namespace tbml {
namespace {

TEST(TrainingQueue, RunsAJobAndReportsIt) {
  TrainingQueue q(fast_options(), [](const TrainingJob& job, JobContext& ctx) {
    ctx.progress(1, 2, 0.7);
    ctx.progress(2, 2, 0.6);
    return JobResult{JobStatus::kSucceeded, "trained " + job.pair};
  });
  EnqueueRequest r = req("BTC", ModelType::kGru, 3);
  r.overrides.epochs = 2;
  const EnqueueResult res = q.enqueue(r);
  ASSERT_EQ(res.outcome, EnqueueOutcome::kQueued);
  EXPECT_EQ(res.job_id, "job-1");
  EXPECT_FALSE(res.deduplicated);
  ASSERT_TRUE(q.wait_idle(5s));

  const auto job = q.job(res.job_id);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->status, JobStatus::kSucceeded);
  EXPECT_EQ(job->message, "trained BTC");
  EXPECT_EQ(job->attempts, 1);
  EXPECT_EQ(job->progress.epoch, 2);
  ASSERT_TRUE(job->progress.val_loss);
  EXPECT_DOUBLE_EQ(*job->progress.val_loss, 0.6);
  EXPECT_GE(job->finished_at, job->started_at);
  EXPECT_GE(job->started_at, job->created_at);

  const nlohmann::json j = q.snapshot().to_json();
  ASSERT_EQ(j["recent"].size(), 1u);
  const nlohmann::json& rj = j["recent"][0];
  EXPECT_EQ(rj["id"], "job-1");
  EXPECT_EQ(rj["pair"], "BTC");
  EXPECT_EQ(rj["modelType"], "gru");
  EXPECT_EQ(rj["status"], "succeeded");
  EXPECT_EQ(rj["priority"], 3);
  EXPECT_EQ(rj["reason"], "manual");
  EXPECT_TRUE(rj["createdAt"].is_number());
  EXPECT_TRUE(rj["startedAt"].is_number());
  EXPECT_TRUE(rj["finishedAt"].is_number());
  EXPECT_EQ(rj["attempts"], 1);
  EXPECT_EQ(rj["progress"]["epoch"], 2);
  EXPECT_EQ(rj["progress"]["epochs"], 2);
  EXPECT_DOUBLE_EQ(rj["progress"]["valLoss"].get<double>(), 0.6);
  EXPECT_EQ(rj["overrides"]["epochs"], 2);
  EXPECT_EQ(j["summary"]["completed"], 1);
  EXPECT_EQ(j["summary"]["active"], 0);
  EXPECT_EQ(j["summary"]["queued"], 0);
  EXPECT_EQ(j["summary"]["failed"], 0);
}

TEST(TrainingQueue, WorkersRunAtTheConfiguredLowerPriority) {
  const int base = current_thread_nice();  // new threads inherit the creating thread's nice value
  TrainingQueueOptions o = fast_options();
  o.worker_nice = 5;
  std::atomic<int> seen{-100};
  TrainingQueue q(o, [&seen](const TrainingJob&, JobContext&) {
    seen = current_thread_nice();
    return JobResult{JobStatus::kSucceeded, ""};
  });
  ASSERT_EQ(q.enqueue(req("BTC")).outcome, EnqueueOutcome::kQueued);
  ASSERT_TRUE(q.wait_idle(5s));
  EXPECT_EQ(seen.load(), std::min(19, base + 5));
  EXPECT_EQ(current_thread_nice(), base);  // the caller's own priority is untouched
}

TEST(TrainingQueue, HigherPriorityFirstAndFifoWithinPriority) {
  Gate gate;
  Recorder rec;
  TrainingQueue q(fast_options(), [&](const TrainingJob& job, JobContext& ctx) {
    if (job.pair == "BLOCK") gate.wait(ctx);
    rec.add(job.pair);
    return JobResult{JobStatus::kSucceeded, ""};
  });
  q.enqueue(req("BLOCK"));
  ASSERT_TRUE(eventually([&] { return q.summary().active == 1; }));
  q.enqueue(req("LOW1", ModelType::kLstm, 1));
  q.enqueue(req("HIGH1", ModelType::kLstm, 5));
  q.enqueue(req("LOW2", ModelType::kLstm, 1));
  q.enqueue(req("HIGH2", ModelType::kLstm, 5));
  q.enqueue(req("MID", ModelType::kLstm, 3));

  const auto snap = q.snapshot();
  ASSERT_EQ(snap.queued.size(), 5u);
  EXPECT_EQ(snap.queued[0].pair, "HIGH1");
  EXPECT_EQ(snap.queued[4].pair, "LOW2");
  ASSERT_EQ(snap.active.size(), 1u);
  EXPECT_EQ(snap.active[0].status, JobStatus::kRunning);

  gate.open();
  ASSERT_TRUE(q.wait_idle(5s));
  EXPECT_EQ(rec.get(), (std::vector<std::string>{"BLOCK", "HIGH1", "HIGH2", "MID", "LOW1", "LOW2"}));
}

TEST(TrainingQueue, DuplicatesAreFoldedIntoTheExistingJob) {
  Gate gate;
  std::atomic<int> runs{0};
  TrainingQueue q(fast_options(), [&](const TrainingJob& job, JobContext& ctx) {
    ++runs;
    if (job.pair == "BTC") gate.wait(ctx);
    return JobResult{JobStatus::kSucceeded, ""};
  });
  const EnqueueResult running = q.enqueue(req("BTC"));
  ASSERT_TRUE(eventually([&] { return status_of(q, running.job_id) == JobStatus::kRunning; }));
  const EnqueueResult dup_running = q.enqueue(req("BTC"));
  EXPECT_EQ(dup_running.outcome, EnqueueOutcome::kDeduplicated);
  EXPECT_TRUE(dup_running.deduplicated);
  EXPECT_EQ(dup_running.job_id, running.job_id);

  const EnqueueResult queued = q.enqueue(req("ETH", ModelType::kCnn, 1));
  const EnqueueResult dup_queued = q.enqueue(req("ETH", ModelType::kCnn, 9, JobReason::kPeriodic));
  EXPECT_TRUE(dup_queued.deduplicated);
  EXPECT_EQ(dup_queued.job_id, queued.job_id);
  EXPECT_EQ(q.job(queued.job_id)->priority, 9);  // raised
  // Another model type of the same pair is a different job.
  EXPECT_FALSE(q.enqueue(req("ETH", ModelType::kGru)).deduplicated);
  EXPECT_EQ(dup_queued.to_json()["deduplicated"], true);
  EXPECT_EQ(dup_queued.to_json()["jobId"], queued.job_id);

  gate.open();
  ASSERT_TRUE(q.wait_idle(5s));
  EXPECT_EQ(runs.load(), 3);
}

TEST(TrainingQueue, CooldownStopsAutomaticJobsButNotManualOnes) {
  TrainingQueueOptions o = fast_options();
  o.cooldown = 60s;
  TrainingQueue q(o, [](const TrainingJob&, JobContext&) { return JobResult{JobStatus::kRejected, "worse"}; });
  ASSERT_TRUE(q.enqueue(req("BTC")).ok());
  ASSERT_TRUE(q.wait_idle(5s));

  const EnqueueResult periodic = q.enqueue(req("BTC", ModelType::kLstm, 0, JobReason::kPeriodic));
  EXPECT_EQ(periodic.outcome, EnqueueOutcome::kCoolingDown);
  EXPECT_FALSE(periodic.ok());
  EXPECT_TRUE(periodic.job_id.empty());
  EXPECT_NE(periodic.message.find("BTC/lstm"), std::string::npos) << periodic.message;
  EXPECT_EQ(q.enqueue(req("BTC", ModelType::kLstm, 0, JobReason::kAutoNoModel)).outcome,
            EnqueueOutcome::kCoolingDown);
  // Other (pair, type) keys are not affected; manual and rebuild jobs bypass the cooldown.
  EXPECT_EQ(q.enqueue(req("BTC", ModelType::kGru, 0, JobReason::kPeriodic)).outcome, EnqueueOutcome::kQueued);
  EXPECT_EQ(q.enqueue(req("BTC")).outcome, EnqueueOutcome::kQueued);
  ASSERT_TRUE(q.wait_idle(5s));
  EXPECT_EQ(q.enqueue(req("BTC", ModelType::kLstm, 0, JobReason::kRebuild)).outcome, EnqueueOutcome::kQueued);
  ASSERT_TRUE(q.wait_idle(5s));
}

TEST(TrainingQueue, CooldownExpires) {
  TrainingQueueOptions o = fast_options();
  o.cooldown = 100ms;
  TrainingQueue q(o, [](const TrainingJob&, JobContext&) { return JobResult{JobStatus::kSucceeded, ""}; });
  q.enqueue(req("BTC"));
  ASSERT_TRUE(q.wait_idle(5s));
  EXPECT_EQ(q.enqueue(req("BTC", ModelType::kLstm, 0, JobReason::kPeriodic)).outcome,
            EnqueueOutcome::kCoolingDown);
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(q.enqueue(req("BTC", ModelType::kLstm, 0, JobReason::kPeriodic)).outcome, EnqueueOutcome::kQueued);
  ASSERT_TRUE(q.wait_idle(5s));
}

TEST(TrainingQueue, HistoryIsBounded) {
  TrainingQueueOptions o = fast_options();
  o.history = 5;
  TrainingQueue q(o, [](const TrainingJob&, JobContext&) { return JobResult{JobStatus::kSucceeded, ""}; });
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(q.enqueue(req("P" + std::to_string(i))).ok());
  ASSERT_TRUE(q.wait_idle(5s));
  const auto snap = q.snapshot();
  ASSERT_EQ(snap.recent.size(), 5u);
  EXPECT_EQ(snap.summary.completed, 12u);
  EXPECT_FALSE(q.job("job-1"));  // fell out of the history
  EXPECT_TRUE(q.job("job-12"));
}

TEST(TrainingQueue, QueueLengthIsBounded) {
  TrainingQueueOptions o = fast_options();
  o.max_queued = 2;
  Gate gate;
  TrainingQueue q(o, [&](const TrainingJob&, JobContext& ctx) {
    gate.wait(ctx);
    return JobResult{JobStatus::kSucceeded, ""};
  });
  q.enqueue(req("RUN"));
  ASSERT_TRUE(eventually([&] { return q.summary().active == 1; }));
  EXPECT_EQ(q.enqueue(req("A")).outcome, EnqueueOutcome::kQueued);
  EXPECT_EQ(q.enqueue(req("B")).outcome, EnqueueOutcome::kQueued);
  const EnqueueResult full = q.enqueue(req("C"));
  EXPECT_EQ(full.outcome, EnqueueOutcome::kQueueFull);
  EXPECT_FALSE(full.ok());
  EXPECT_NE(full.message.find("full"), std::string::npos);
  EXPECT_EQ(q.enqueue(req("A")).outcome, EnqueueOutcome::kDeduplicated);  // duplicates still answer
  gate.open();
  ASSERT_TRUE(q.wait_idle(5s));
}

TEST(TrainingQueue, MaxConcurrentIsRespected) {
  TrainingQueueOptions o = fast_options();
  o.max_concurrent = 2;
  std::atomic<int> concurrent{0}, max_seen{0};
  TrainingQueue q(o, [&](const TrainingJob&, JobContext&) {
    const int now = ++concurrent;
    int seen = max_seen.load();
    while (now > seen && !max_seen.compare_exchange_weak(seen, now)) {}
    std::this_thread::sleep_for(30ms);
    --concurrent;
    return JobResult{JobStatus::kSucceeded, ""};
  });
  for (int i = 0; i < 6; ++i) q.enqueue(req("P" + std::to_string(i)));
  ASSERT_TRUE(q.wait_idle(5s));
  EXPECT_EQ(max_seen.load(), 2);
  EXPECT_EQ(q.summary().completed, 6u);
}

TEST(TrainingQueue, DestructorWithRunningJobsReturnsPromptly) {
  std::atomic<int> started{0};
  const auto t0 = std::chrono::steady_clock::now();
  {
    TrainingQueueOptions o = fast_options();
    o.max_concurrent = 2;
    TrainingQueue q(o, [&](const TrainingJob& job, JobContext& ctx) {
      ++started;
      return batch_loop(job, ctx);
    });
    for (int i = 0; i < 4; ++i) q.enqueue(req("P" + std::to_string(i)));
    ASSERT_TRUE(eventually([&] { return q.summary().active == 2; }));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(started.load(), 2);  // queued jobs never started
}

TEST(TrainingQueue, StopLetsRunningJobsFinishThenRefusesNewOnes) {
  TrainingQueue q(fast_options(), [](const TrainingJob&, JobContext&) {
    std::this_thread::sleep_for(50ms);
    return JobResult{JobStatus::kSucceeded, ""};
  });
  const EnqueueResult running = q.enqueue(req("BTC"));
  ASSERT_TRUE(eventually([&] { return q.summary().active == 1; }));
  const EnqueueResult queued = q.enqueue(req("ETH"));
  EXPECT_TRUE(q.stop(5s));
  EXPECT_EQ(status_of(q, running.job_id), JobStatus::kSucceeded);
  EXPECT_EQ(status_of(q, queued.job_id), JobStatus::kCancelled);
  EXPECT_EQ(q.enqueue(req("XRP")).outcome, EnqueueOutcome::kStopped);
  EXPECT_TRUE(q.stop(0ms));  // idempotent
}

TEST(TrainingQueue, StopPastTheDeadlineCancelsRunningJobs) {
  TrainingQueue q(fast_options(), batch_loop);
  const EnqueueResult job = q.enqueue(req("BTC"));
  ASSERT_TRUE(eventually([&] { return q.summary().active == 1; }));
  EXPECT_FALSE(q.stop(20ms));
  EXPECT_EQ(status_of(q, job.job_id), JobStatus::kCancelled);
}

TEST(TrainingQueue, WaitIdleTimesOut) {
  Gate gate;
  TrainingQueue q(fast_options(), [&](const TrainingJob&, JobContext& ctx) {
    gate.wait(ctx);
    return JobResult{JobStatus::kSucceeded, ""};
  });
  q.enqueue(req("BTC"));
  EXPECT_FALSE(q.wait_idle(30ms));
  gate.open();
  EXPECT_TRUE(q.wait_idle(5s));
}

TEST(TrainingQueue, InvalidInputIsRejected) {
  EXPECT_THROW(TrainingQueue(fast_options(), nullptr), std::invalid_argument);
  TrainingQueueOptions zero = fast_options();
  zero.max_concurrent = 0;
  EXPECT_THROW(TrainingQueue(zero, batch_loop), std::invalid_argument);
  TrainingQueue q(fast_options(), batch_loop);
  EXPECT_THROW(q.enqueue(req("")), std::invalid_argument);
}

TEST(TrainingOverrides, ParsesAndValidates) {
  const TrainingOverridesRequest r = parse_training_overrides(
      nlohmann::json{{"epochs", 5}, {"batchSize", 32}, {"learningRate", 0.001}, {"patience", 2}});
  ASSERT_TRUE(r.ok());
  const TrainingOverrides& o = r.overrides;
  EXPECT_EQ(*o.epochs, 5);
  EXPECT_EQ(*o.batch_size, 32);
  EXPECT_DOUBLE_EQ(*o.learning_rate, 0.001);
  EXPECT_EQ(*o.patience, 2);
  EXPECT_EQ(o.to_json()["batchSize"], 32);
  EXPECT_FALSE(parse_training_overrides(nullptr).overrides.epochs);
  EXPECT_TRUE(parse_training_overrides(nlohmann::json::object()).overrides.to_json().empty());

  using J = nlohmann::json;
  for (const J& bad : {J::array(), J{{"epochs", 0}}, J{{"epochs", "5"}}, J{{"epochs", 2.5}},
                       J{{"epochs", 18446744073709551615ULL}}, J{{"batchSize", -1}}, J{{"learningRate", 0.0}},
                       J{{"patience", -1}}}) {
    EXPECT_EQ(parse_training_overrides(bad).errors.size(), 1u) << bad.dump();
  }
  const TrainingOverridesRequest unknown = parse_training_overrides(J{{"epoch", 5}});
  ASSERT_EQ(unknown.errors.size(), 1u);
  EXPECT_NE(unknown.errors[0].find("'epoch'"), std::string::npos);
  // Every problem is listed, not only the first.
  const TrainingOverridesRequest several = parse_training_overrides(J{{"epochs", 0}, {"batchSize", "x"}, {"nope", 1}});
  EXPECT_EQ(several.errors.size(), 3u);
  EXPECT_FALSE(several.overrides.epochs);
}

TEST(TrainingQueue, Names) {
  EXPECT_EQ(to_string(JobReason::kAutoNoModel), "auto: no model");
  EXPECT_EQ(to_string(JobReason::kPeriodic), "periodic");
  EXPECT_EQ(to_string(JobReason::kRebuild), "rebuild");
  EXPECT_TRUE(is_automatic(JobReason::kPeriodic));
  EXPECT_FALSE(is_automatic(JobReason::kRebuild));
  EXPECT_EQ(to_string(JobStatus::kRejected), "rejected");
  EXPECT_EQ(to_string(EnqueueOutcome::kCoolingDown), "cooling_down");
}

// Each horizon is a separate piece of work: the same (pair, type) at two horizons is two jobs, the same
// horizon again is folded into the first, and a rebuild of one horizon cancels only its jobs.
TEST(TrainingQueue, HorizonsAreSeparateJobs) {
  Gate gate;
  TrainingQueue q(fast_options(), [&gate](const TrainingJob&, JobContext& ctx) {
    return gate.wait(ctx) ? JobResult{JobStatus::kSucceeded, "ok"} : JobResult{JobStatus::kCancelled, "cancelled"};
  });
  EnqueueRequest h1 = req("BTC", ModelType::kXgboost);
  h1.horizon = 1;
  EnqueueRequest h5 = h1;
  h5.horizon = 5;
  const EnqueueResult a = q.enqueue(h1);
  const EnqueueResult b = q.enqueue(h5);
  ASSERT_EQ(a.outcome, EnqueueOutcome::kQueued);
  ASSERT_EQ(b.outcome, EnqueueOutcome::kQueued);
  EXPECT_NE(a.job_id, b.job_id);
  const EnqueueResult again = q.enqueue(h5);
  EXPECT_EQ(again.outcome, EnqueueOutcome::kDeduplicated);
  EXPECT_EQ(again.job_id, b.job_id);
  EXPECT_EQ(q.job(b.job_id)->horizon, 5u);
  EXPECT_EQ(q.job(b.job_id)->to_json()["horizon"], 5);

  EXPECT_EQ(q.cancel_pair("BTC", 5), 1u);
  gate.open();
  ASSERT_TRUE(q.wait_idle(5s));
  EXPECT_EQ(q.job(a.job_id)->status, JobStatus::kSucceeded);
  EXPECT_EQ(q.job(b.job_id)->status, JobStatus::kCancelled);
}

// The running job shows its epoch, both losses, the time so far and an ETA at the pace so far, while it
// runs; losses that are not finite are unknown (null), not a number.
TEST(TrainingQueue, RunningJobShowsLossAndEta) {
  std::atomic<bool> reported{false}, release{false};
  TrainingQueue q(fast_options(), [&](const TrainingJob&, JobContext& ctx) {
    std::this_thread::sleep_for(60ms);
    ctx.progress(1, 4, 0.7, 0.65);
    reported = true;
    while (!release) std::this_thread::sleep_for(2ms);
    ctx.progress(2, 4, std::numeric_limits<double>::quiet_NaN());
    return JobResult{JobStatus::kSucceeded, ""};
  });
  const EnqueueResult res = q.enqueue(req("BTC", ModelType::kLstm, 1));
  ASSERT_EQ(res.outcome, EnqueueOutcome::kQueued);
  for (int i = 0; i < 500 && !reported; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(reported);
  const nlohmann::json active = q.snapshot().to_json()["active"];
  release = true;
  ASSERT_EQ(active.size(), 1u);
  const nlohmann::json& p = active[0]["progress"];
  EXPECT_EQ(p["epoch"], 1);
  EXPECT_EQ(p["epochs"], 4);
  EXPECT_DOUBLE_EQ(p["trainLoss"].get<double>(), 0.65);
  EXPECT_DOUBLE_EQ(p["valLoss"].get<double>(), 0.7);
  const std::int64_t elapsed = p["elapsedMs"];
  EXPECT_GE(elapsed, 50);
  EXPECT_EQ(p["etaMs"].get<std::int64_t>(), elapsed * 3);  // three epochs left at the pace of the first
  ASSERT_TRUE(q.wait_idle(5s));
  const auto job = q.job(res.job_id);
  EXPECT_EQ(job->progress.epoch, 2);
  EXPECT_FALSE(job->progress.val_loss);
  EXPECT_FALSE(job->progress.train_loss);
  EXPECT_EQ(*job->progress.eta_ms, job->progress.elapsed_ms);  // half done: as long again
}

}  // namespace
}  // namespace tbml
