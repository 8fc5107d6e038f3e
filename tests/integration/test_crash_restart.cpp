// kill -9 at random moments while the service writes (candles, predictions, outcomes), twenty times:
// after every restart the database passes SQLite's integrity check, every stored model loads, and no
// count of stored rows goes backwards.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <random>
#include <thread>

#include "service_fixture.h"

using namespace tbml::testing;

namespace {

std::string integrity_check(const std::string& db_path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string err = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close(db);
    return err;
  }
  std::string result;
  sqlite3_exec(
      db, "PRAGMA integrity_check",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) += values[0] ? values[0] : "";
        return 0;
      },
      &result, nullptr);
  sqlite3_close(db);
  return result;
}

std::int64_t stored(const nlohmann::json& stats, const char* key) {
  const auto& counts = stats["database"]["counts"];
  return counts.contains(key) && counts[key].is_number() ? counts[key].get<std::int64_t>() : -1;
}

}  // namespace

TEST(CrashRestart, TwentyKillsLoseNothingCommitted) {
  const std::string dir = make_temp_dir("tbml-crash");
  const std::string csv = dir + "/btc.csv";
  write_synthetic_csv(csv, 900);
  ASSERT_EQ(train_offline(csv, dir, 1), 0) << "see " << dir << "/train.log";

  DemoService service({"--csv", "BTC=" + csv, "--set", "training.autoTrain=false", "--set", "demo.stepMs=100",
                       "--set", "demo.pollIntervalMs=100", "--set", "storage.flushIntervalMs=20", "--set", "demo.initial=600"},
                      dir);
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> pause_ms(200, 1500);
  std::int64_t candles = 0, predictions = 0;
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(service.wait_healthy(std::chrono::seconds(20))) << "round " << round << "\n" << service.log();
    // Every model loads after a crash (a torn model file would be quarantined and not load).
    bool loaded = wait_until(
        [&] {
          auto status = get(service.port(), "/api/models/BTC/status");
          if (status.status != 200) return false;
          for (const char* m : {"lstm", "gru", "cnn", "transformer"})
            if (!status.body["models"][m]["trained"].get<bool>()) return false;
          return true;
        },
        std::chrono::seconds(20));
    ASSERT_TRUE(loaded) << "round " << round << ": " << get(service.port(), "/api/models/BTC/status").raw;

    auto stats = get(service.port(), "/api/storage/stats");
    ASSERT_EQ(stats.status, 200) << stats.raw;
    std::int64_t c = stored(stats.body, "candles"), p = stored(stats.body, "predictions");
    ASSERT_GE(c, candles) << "round " << round << ": stored candles went backwards\n" << stats.raw;
    ASSERT_GE(p, predictions) << "round " << round << ": stored predictions went backwards\n" << stats.raw;
    candles = c;
    predictions = p;

    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    service.process().signal(SIGKILL);
    ASSERT_GE(service.process().wait(std::chrono::seconds(5)), 0);
    ASSERT_EQ(integrity_check(dir + "/tbml.sqlite"), "ok") << "round " << round;
    service.start();
  }
  ASSERT_TRUE(service.wait_healthy(std::chrono::seconds(20)));
  EXPECT_GT(predictions, 0) << "the service made and stored predictions between the kills";
  EXPECT_EQ(service.process().stop(), 0);
}
