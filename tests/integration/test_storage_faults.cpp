// A database that another process holds locked: health says so, predictions keep being served from memory,
// the history route answers without waiting for the stuck writer and says how many writes are pending,
// and once the lock goes every queued write lands (nothing dropped).
#include <gtest/gtest.h>

#include <thread>

#include "service_fixture.h"
#include "unit/storage/external_lock.h"

using namespace tbml::testing;

namespace {

std::int64_t data_timestamp(const JsonReply& r) {
  if (r.status != 200 || !r.body.contains("prediction")) return 0;
  const auto& ts = r.body["prediction"]["metadata"]["dataTimestamp"];
  return ts.is_number() ? ts.get<std::int64_t>() : 0;
}

bool history_has(const JsonReply& r, std::int64_t candle_ts) {
  if (r.status != 200) return false;
  for (const auto& row : r.body["history"]) {
    if (row["dataTimestamp"] == candle_ts) return true;
  }
  return false;
}

}  // namespace

TEST(StorageFaults, ALockedDatabaseDegradesHealthKeepsServingAndLosesNothing) {
  const std::string dir = make_temp_dir("tbml-lock");
  const std::string csv = dir + "/btc.csv";
  write_synthetic_csv(csv, 900);
  ASSERT_EQ(train_offline(csv, dir, 1, "gru"), 0) << "see " << dir << "/train.log";
  DemoService service({"--csv", "BTC=" + csv, "--set", "training.autoTrain=false", "--set", "demo.stepMs=200",
                       "--set", "demo.pollIntervalMs=100", "--set", "demo.initial=600"},
                      dir);
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  const int port = service.port();
  ASSERT_TRUE(wait_until([&] { return get(port, "/api/predictions/BTC").status == 200; }, std::chrono::seconds(30)))
      << service.log();

  std::int64_t served_while_locked = 0;
  {
    tbml::test::ExternalWriteLock lock(dir + "/tbml.sqlite");
    // The writer's next commit waits out SQLite's busy timeout (5 s), fails, and health reports it.
    JsonReply health;
    ASSERT_TRUE(wait_until(
        [&] {
          health = get(port, "/api/health");
          return health.status == 200 && health.body["storage"]["ok"] == false;
        },
        std::chrono::seconds(30)))
        << health.raw;
    EXPECT_EQ(health.body["status"], "degraded");
    EXPECT_NE(health.body["storage"]["reason"].get<std::string>().find("locked"), std::string::npos) << health.raw;

    // Predictions move on with new candles although none of them can be stored.
    const auto first = get(port, "/api/predictions/BTC");
    const std::int64_t before = data_timestamp(first);
    ASSERT_GT(before, 0) << first.raw;
    ASSERT_TRUE(wait_until(
        [&] {
          served_while_locked = data_timestamp(get(port, "/api/predictions/BTC"));
          return served_while_locked > before;
        },
        std::chrono::seconds(10)));

    // History answers from what is stored and says what is still queued.
    auto history = get(port, "/api/predictions/BTC/history?limit=50");
    ASSERT_EQ(history.status, 200) << history.raw;
    EXPECT_GT(history.body["pendingWrites"].get<long>(), 0) << history.raw;
    EXPECT_FALSE(history_has(history, served_while_locked)) << "stored although the database is locked?";
  }

  // The lock is gone: the queued writes commit, health recovers, and the prediction made while locked is
  // in the history.
  JsonReply history;
  EXPECT_TRUE(wait_until(
      [&] {
        history = get(port, "/api/predictions/BTC/history?limit=1000");
        return history.status == 200 && history.body["pendingWrites"] == 0 && history_has(history, served_while_locked);
      },
      std::chrono::seconds(30)))
      << history.raw.substr(0, 2000);
  EXPECT_TRUE(wait_until([&] { return get(port, "/api/health").body["storage"]["ok"] == true; },
                         std::chrono::seconds(10)));
  auto stats = get(port, "/api/storage/stats");
  EXPECT_EQ(stats.body["health"]["droppedWrites"], 0) << stats.raw;
  EXPECT_GT(stats.body["health"]["failedCommits"].get<long>(), 0) << stats.raw;
  EXPECT_EQ(service.process().stop(), 0);
}
