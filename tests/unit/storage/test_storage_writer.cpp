#include <gtest/gtest.h>

#include <thread>

#include "tbml/storage/storage_writer.h"
#include "tbml/util/time.h"
#include "unit/storage/external_lock.h"
#include "unit/storage/temp_dir.h"

namespace tbml {
namespace {

using namespace std::chrono_literals;

PredictionRecord prediction(std::int64_t candle_ts) {
  PredictionRecord r;
  r.pair = "BTC";
  r.model = "ensemble";
  r.strategy = "weighted";
  r.probability = 0.6;
  r.confidence = 0.2;
  r.direction = "up";
  r.candle_ts = candle_ts;
  r.horizon = 5;
  r.created_at = 1000 + candle_ts;
  return r;
}

StorageWriterOptions fast_options() {
  StorageWriterOptions o;
  o.batch_size = 100;
  o.flush_interval_ms = 20;
  o.retry_initial_ms = 10;
  o.retry_max_ms = 40;
  o.stop_timeout_ms = 300;
  return o;
}

TEST(StorageWriter, BatchesAndFlushMakesEverythingVisible) {
  test::TempDir dir;
  Database db(dir.path());
  StorageWriter writer(db, fast_options());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(writer.enqueue(prediction(i)));
  ASSERT_TRUE(writer.enqueue(CandleBatch{"BTC", {Candle{1, 1, 1, 1, 1, 1}}}));
  ASSERT_TRUE(writer.flush(5s));
  EXPECT_EQ(db.stats().predictions, 1000);
  EXPECT_EQ(db.stats().candles, 1);
  auto s = writer.status();
  EXPECT_TRUE(s.healthy);
  EXPECT_EQ(s.committed_ops, 1001u);
  EXPECT_EQ(s.queue_depth, 0u);
  EXPECT_GT(s.last_commit_at, 0);
  EXPECT_EQ(s.dropped_ops, 0u);
}

TEST(StorageWriter, CommitsOnTheFlushIntervalWithoutAnExplicitFlush) {
  test::TempDir dir;
  Database db(dir.path());
  StorageWriter writer(db, fast_options());
  ASSERT_TRUE(writer.enqueue(prediction(1)));
  const auto deadline = steady_ms() + 2000;
  while (db.stats().predictions == 0 && steady_ms() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(db.stats().predictions, 1);
}

TEST(StorageWriter, RefusesInvalidOpsAtEnqueue) {
  test::TempDir dir;
  Database db(dir.path());
  StorageWriter writer(db, fast_options());
  auto bad = prediction(1);
  bad.pair = "../etc";
  EXPECT_THROW(writer.enqueue(bad), std::invalid_argument);
  EXPECT_THROW(writer.enqueue(KvPut{"", "x", 1}), std::invalid_argument);
  EXPECT_TRUE(writer.flush(1s));
  EXPECT_EQ(writer.status().queue_depth, 0u);
}

TEST(StorageWriter, KeepsOpsThroughALockedDatabaseAndRecovers) {
  test::TempDir dir;
  Database db(DatabaseOptions{dir.path(), 20, 0});
  StorageWriter writer(db, fast_options());
  ASSERT_TRUE(writer.enqueue(prediction(0)));
  ASSERT_TRUE(writer.flush(2s));
  {
    test::ExternalWriteLock lock(db.file());
    for (int i = 1; i <= 50; ++i) ASSERT_TRUE(writer.enqueue(prediction(i)));
    EXPECT_FALSE(writer.flush(300ms));
    auto s = writer.status();
    EXPECT_FALSE(s.healthy);
    EXPECT_NE(s.last_error.find("database is locked"), std::string::npos) << s.last_error;
    EXPECT_GE(s.failed_commits, 1u);
    EXPECT_EQ(s.queue_depth, 50u);
    EXPECT_EQ(db.stats().predictions, 1);  // reads still served meanwhile
    lock.release();
    ASSERT_TRUE(writer.flush(3s));
  }
  auto s = writer.status();
  EXPECT_TRUE(s.healthy);
  EXPECT_EQ(s.dropped_ops, 0u);
  EXPECT_EQ(db.stats().predictions, 51);
  EXPECT_EQ(db.integrity_check(), "ok");
}

TEST(StorageWriter, DropsOnlyWhatItNeverAcceptedWhenTheQueueIsFull) {
  test::TempDir dir;
  Database db(DatabaseOptions{dir.path(), 20, 0});
  auto options = fast_options();
  options.max_queue = 5;
  options.enqueue_timeout_ms = 10;
  StorageWriter writer(db, options);
  test::ExternalWriteLock lock(db.file());
  int accepted = 0;
  for (int i = 0; i < 8; ++i) accepted += writer.enqueue(prediction(i)) ? 1 : 0;
  EXPECT_EQ(accepted, 5);
  EXPECT_EQ(writer.status().dropped_ops, 3u);
  lock.release();
  ASSERT_TRUE(writer.flush(3s));
  EXPECT_EQ(db.stats().predictions, 5);
}

TEST(StorageWriter, ReportsDiskFullAndGivesUpOnlyAtStop) {
  test::TempDir dir;
  { Database create(dir.path()); }
  Database db(
      DatabaseOptions{dir.path(), 20, 12});  // a 12-page quota: the schema fits, 5000 rows not
  std::vector<Candle> many;
  for (int i = 0; i < 5000; ++i) many.push_back(Candle{i, 1, 2, 0.5, 1.5, 10});
  StorageWriter writer(db, fast_options());
  ASSERT_TRUE(writer.enqueue(CandleBatch{"BTC", many}));
  EXPECT_FALSE(writer.flush(200ms));
  auto s = writer.status();
  EXPECT_FALSE(s.healthy);
  EXPECT_NE(s.last_error.find("disk full"), std::string::npos) << s.last_error;
  writer.stop();
  EXPECT_EQ(writer.status().dropped_ops, 1u);
  EXPECT_FALSE(writer.enqueue(prediction(1)));  // stopped
  EXPECT_EQ(db.integrity_check(), "ok");
}

TEST(StorageWriter, StopGivesUpOnFailingWritesAtTheCallersDeadline) {
  test::TempDir dir;
  { Database create(dir.path()); }
  Database db(DatabaseOptions{dir.path(), 20, 12});  // disk full for 5000 rows, as above
  std::vector<Candle> many;
  for (int i = 0; i < 5000; ++i) many.push_back(Candle{i, 1, 2, 0.5, 1.5, 10});
  StorageWriterOptions options = fast_options();
  options.stop_timeout_ms = 120'000;  // the writer's own limit: far beyond any shutdown deadline
  StorageWriter writer(db, options);
  ASSERT_TRUE(writer.enqueue(CandleBatch{"BTC", many}));
  EXPECT_FALSE(writer.flush(100ms));
  const auto t0 = std::chrono::steady_clock::now();
  writer.stop(200ms);
  // Without the caller's deadline stop() would retry for two minutes.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 60s);
  EXPECT_EQ(writer.status().dropped_ops, 1u);
  EXPECT_EQ(db.integrity_check(), "ok");
}

TEST(StorageWriter, StopDrainsTheQueue) {
  test::TempDir dir;
  Database db(dir.path());
  {
    auto options = fast_options();
    options.flush_interval_ms = 10000;  // only stop() can commit these
    options.batch_size = 1000;
    StorageWriter writer(db, options);
    for (int i = 0; i < 300; ++i) ASSERT_TRUE(writer.enqueue(prediction(i)));
  }
  EXPECT_EQ(db.stats().predictions, 300);
}

TEST(StorageWriter, FlushFromManyThreads) {
  test::TempDir dir;
  Database db(dir.path());
  StorageWriter writer(db, fast_options());
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&writer, t] {
      for (int i = 0; i < 250; ++i) {
        EXPECT_TRUE(writer.enqueue(prediction(t * 1000 + i)));
        if (i % 50 == 0) {
          EXPECT_TRUE(writer.flush(5s));
        }
      }
    });
  }
  for (auto& p : producers) p.join();
  ASSERT_TRUE(writer.flush(5s));
  EXPECT_EQ(db.stats().predictions, 1000);
}

}  // namespace
}  // namespace tbml
