#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "tbml/storage/storage.h"
#include "tbml/util/atomic_file.h"
#include "tbml/util/time.h"
#include "unit/storage/temp_dir.h"

namespace tbml {
namespace {

namespace fs = std::filesystem;

StorageOptions options_for(const fs::path& dir) {
  StorageOptions o;
  o.base_dir = dir;
  o.writer.flush_interval_ms = 20;
  return o;
}

PredictionRecord prediction(std::int64_t created_at) {
  PredictionRecord r;
  r.pair = "SOL";
  r.model = "gru";
  r.probability = 0.4;
  r.confidence = 0.2;
  r.direction = "down";
  r.candle_ts = created_at;
  r.horizon = 5;
  r.created_at = created_at;
  return r;
}

TEST(Storage, WritesFlushesReportsAndCleansUp) {
  test::TempDir dir;
  Storage storage(options_for(dir.path()));
  ASSERT_TRUE(storage.available());
  const std::int64_t now = now_ms();
  ASSERT_TRUE(storage.enqueue(prediction(now - 200LL * 3600 * 1000)));  // older than 168 h
  ASSERT_TRUE(storage.enqueue(prediction(now)));
  ASSERT_TRUE(storage.flush());
  storage.models().save("SOL", "gru", {}, "weights");

  auto stats = storage.stats_json();
  EXPECT_EQ(stats["database"]["counts"]["predictions"], 2);
  EXPECT_EQ(stats["database"]["pairs"]["SOL"]["predictions"], 2);
  EXPECT_EQ(stats["models"]["count"], 1);
  EXPECT_EQ(stats["health"]["healthy"], true);
  EXPECT_TRUE(storage.health().healthy);

  EXPECT_THROW(storage.cleanup(-1), std::invalid_argument);
  EXPECT_EQ(storage.cleanup(168).predictions, 1);
  EXPECT_EQ(storage.db()->stats().predictions, 1);
  storage.shutdown();
  storage.shutdown();
  EXPECT_FALSE(storage.enqueue(prediction(now)));
}

TEST(Storage, ScheduledRetentionRemovesOldHistory) {
  test::TempDir dir;
  auto options = options_for(dir.path());
  options.max_age_hours = 1;
  options.candle_max_age_hours = 1;
  options.cleanup_interval = std::chrono::milliseconds(30);
  Storage storage(options);
  const std::int64_t old = now_ms() - 2LL * 3600 * 1000;
  ASSERT_TRUE(storage.enqueue(prediction(old)));
  ASSERT_TRUE(storage.enqueue(prediction(now_ms())));
  ASSERT_TRUE(storage.enqueue(CandleBatch{"SOL", {Candle{old, 1, 1, 1, 1, 1}}}));
  ASSERT_TRUE(storage.flush());
  const auto deadline = steady_ms() + 3000;
  while ((storage.db()->stats().predictions > 1 || storage.db()->stats().candles > 0) &&
         steady_ms() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(storage.db()->stats().predictions, 1);
  EXPECT_EQ(storage.db()->stats().candles, 0);
}

TEST(Storage, StartUpCleansTempFilesAndQuarantinesBadModels) {
  test::TempDir dir;
  {
    ModelStore store(dir.path());
    store.save("BTC", "lstm", {}, "good");
    store.save("BTC", "lstm", {}, "will be damaged");
  }
  const fs::path type_dir = dir.path() / "models" / "BTC" / "lstm";
  std::ofstream(type_dir / "v2" / "weights.pt", std::ios::trunc) << "damaged";
  fs::create_directory(type_dir / ("v3.9" + std::string(kTempSuffix)));
  Storage storage(options_for(dir.path()));
  EXPECT_FALSE(fs::exists(type_dir / ("v3.9" + std::string(kTempSuffix))));
  EXPECT_FALSE(fs::exists(type_dir / "v2"));
  EXPECT_EQ(storage.models().load_latest("BTC", "lstm")->weights, "good");
}

TEST(Storage, UnreadableDatabaseIsQuarantinedAndReplaced) {
  test::TempDir dir;
  std::ofstream(dir.path() / "tbml.sqlite") << std::string(8192, 'x');
  Storage storage(options_for(dir.path()));
  ASSERT_TRUE(storage.available());
  EXPECT_EQ(storage.db()->integrity_check(), "ok");
  bool quarantined = false;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    quarantined |= e.path().filename().string().rfind("tbml.sqlite.bad-", 0) == 0;
  }
  EXPECT_TRUE(quarantined);
}

TEST(Storage, KeepsRunningWithoutADatabaseAndSaysWhy) {
  test::TempDir dir;
  std::ofstream(dir.path() / "not-a-folder") << "x";
  Storage storage(options_for(dir.path() / "not-a-folder"));
  EXPECT_FALSE(storage.available());
  EXPECT_FALSE(storage.enqueue(prediction(1)));
  EXPECT_THROW(storage.enqueue(KvPut{"", "", 0}), std::invalid_argument);
  EXPECT_FALSE(storage.flush(std::chrono::milliseconds(10)));
  EXPECT_THROW(storage.cleanup(24), StorageError);
  auto health = storage.health();
  EXPECT_FALSE(health.healthy);
  EXPECT_NE(health.reason.find("database unavailable"), std::string::npos) << health.reason;
  EXPECT_EQ(storage.stats_json()["health"]["healthy"], false);
}

}  // namespace
}  // namespace tbml
