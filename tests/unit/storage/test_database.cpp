#include <gtest/gtest.h>

#include "tbml/storage/database.h"
#include "unit/storage/external_lock.h"
#include "unit/storage/temp_dir.h"

namespace tbml {
namespace {

constexpr std::int64_t kHour = 3600 * 1000;

Candle candle(std::int64_t ts, double close) {
  Candle c;
  c.timestamp = ts;
  c.open = close - 1;
  c.high = close + 2;
  c.low = close - 2;
  c.close = close;
  c.volume = 10;
  return c;
}

PredictionRecord prediction(const std::string& pair, const std::string& model,
                            std::int64_t candle_ts, std::int64_t created_at, double p = 0.6) {
  PredictionRecord r;
  r.pair = pair;
  r.model = model;
  r.strategy = "weighted";
  r.probability = p;
  r.confidence = std::abs(p - 0.5) * 2;
  r.direction = p >= 0.5 ? "up" : "down";
  r.candle_ts = candle_ts;
  r.horizon = 5;
  r.model_version = 3;
  r.created_at = created_at;
  return r;
}

TrainingRunRecord run(const std::string& pair, std::int64_t finished_at) {
  TrainingRunRecord r;
  r.pair = pair;
  r.model = "lstm";
  r.started_at = finished_at - 1000;
  r.finished_at = finished_at;
  r.duration_s = 1.0;
  r.config = {{"epochs", 3}};
  r.metrics = {{"validation", {{"accuracy", 0.55}}}};
  r.result = "accepted";
  r.version = 2;
  return r;
}

TEST(Database, CreatesSchemaAndReopensWithoutRemigrating) {
  test::TempDir dir;
  {
    Database db(dir.path() / "nested" / "ml");
    EXPECT_EQ(db.schema_version(), Database::latest_schema_version());
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "nested" / "ml" / "tbml.sqlite"));
    db.put_kv("k", "v1", 1);
  }
  Database again(dir.path() / "nested" / "ml");
  EXPECT_EQ(again.schema_version(), Database::latest_schema_version());
  EXPECT_EQ(again.get_kv("k").value_or(""), "v1");
  EXPECT_EQ(again.integrity_check(), "ok");
  EXPECT_EQ(again.stats().schema_version, Database::latest_schema_version());
}

TEST(Database, CandlesUpsertDedupeAndLoadNewestAscending) {
  test::TempDir dir;
  Database db(dir.path());
  std::vector<Candle> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(candle(1000 + i * 60, 100 + i));
  db.upsert_candles("BTC", batch);
  // Overlapping batch: two repeats (one with a corrected close) and one new candle.
  db.upsert_candles(
      "BTC", {candle(1000 + 8 * 60, 999), candle(1000 + 9 * 60, 109), candle(1000 + 10 * 60, 110)});
  db.upsert_candles("ETH", {candle(5, 1)});

  auto newest = db.load_candles("BTC", 3);
  ASSERT_EQ(newest.size(), 3u);
  EXPECT_EQ(newest[0].timestamp, 1000 + 8 * 60);
  EXPECT_EQ(newest[1].timestamp, 1000 + 9 * 60);
  EXPECT_EQ(newest[2].timestamp, 1000 + 10 * 60);
  EXPECT_DOUBLE_EQ(newest[0].close, 999);
  EXPECT_DOUBLE_EQ(newest[0].high, 1001);
  EXPECT_EQ(db.load_candles("BTC", 100).size(), 11u);
  EXPECT_TRUE(db.load_candles("BTC", 0).empty());
  EXPECT_TRUE(db.load_candles("XRP", 10).empty());
  EXPECT_EQ(db.pairs_with_candles(), (std::vector<std::string>{"BTC", "ETH"}));
  auto stats = db.stats();
  EXPECT_EQ(stats.candles, 12);
  ASSERT_EQ(stats.pairs.size(), 2u);
  EXPECT_EQ(stats.pairs[0].pair, "BTC");
  EXPECT_EQ(stats.pairs[0].candles, 11);
  EXPECT_GT(stats.db_bytes, 0u);
}

TEST(Database, RejectsInvalidInputBeforeWriting) {
  test::TempDir dir;
  Database db(dir.path());
  EXPECT_THROW(db.upsert_candles("btc'; DROP TABLE candles;--", {candle(1, 1)}),
               std::invalid_argument);
  auto bad = prediction("BTC", "lstm", 1, 1);
  bad.probability = std::nan("");
  EXPECT_THROW(db.record_prediction(bad), std::invalid_argument);
  auto bad_run = run("BTC", 5);
  bad_run.result = "great";
  EXPECT_THROW(db.record_training_run(bad_run), std::invalid_argument);
  EXPECT_THROW(db.cleanup(0, 1000), std::invalid_argument);
  EXPECT_THROW(db.cleanup_candles(-1, 1000), std::invalid_argument);
  // A batch with one bad op writes nothing.
  EXPECT_THROW(db.apply({CandleBatch{"BTC", {candle(1, 1)}}, bad}), std::invalid_argument);
  EXPECT_EQ(db.stats().candles, 0);
}

// Each horizon's prediction for a candle is its own row with its own outcome (close[t+h] > close[t]).
TEST(Database, PredictionsPerHorizon) {
  test::TempDir dir;
  Database db(dir.path());
  PredictionRecord h1 = prediction("BTC", "ensemble", 100, 1000, 0.7);
  h1.horizon = 1;
  PredictionRecord h24 = prediction("BTC", "ensemble", 100, 1000, 0.2);
  h24.horizon = 24;
  db.record_prediction(h1);
  db.record_prediction(h24);
  EXPECT_EQ(db.history({"BTC", 100, 0, ""}).size(), 2u);
  HistoryQuery only24{"BTC", 100, 0, "", 24};
  const auto rows = db.history(only24);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].horizon, 24);
  EXPECT_DOUBLE_EQ(rows[0].probability, 0.2);

  OutcomeUpdate u{"BTC", "", 100, true, 5000};
  u.horizon = 1;
  EXPECT_EQ(db.resolve_outcome(u), 1);  // horizon 24's outcome is not known yet
  EXPECT_TRUE(db.find_prediction("BTC", "ensemble", 100, 1)->outcome.value_or(false));
  EXPECT_FALSE(db.find_prediction("BTC", "ensemble", 100, 24)->outcome.has_value());
  u.horizon = 24;
  u.outcome = false;
  EXPECT_EQ(db.resolve_outcome(u), 1);
  EXPECT_FALSE(db.find_prediction("BTC", "ensemble", 100, 24)->outcome.value_or(true));
}

TEST(Database, PredictionRecordResolveAndHistory) {
  test::TempDir dir;
  Database db(dir.path());
  for (int i = 0; i < 5; ++i) {
    db.record_prediction(prediction("BTC", "ensemble", 100 * i, 1000 + i));
    db.record_prediction(prediction("BTC", "lstm", 100 * i, 1000 + i, 0.3));
  }
  db.record_prediction(prediction("ETH", "ensemble", 100, 1000));
  // Same candle again: replaced, not duplicated.
  db.record_prediction(prediction("BTC", "ensemble", 400, 2000, 0.9));

  auto all = db.history({"BTC", 100, 0, ""});
  ASSERT_EQ(all.size(), 10u);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_GE(all[i - 1].candle_ts, all[i].candle_ts);
  auto ensemble = db.history({"BTC", 2, 0, "ensemble"});
  ASSERT_EQ(ensemble.size(), 2u);
  EXPECT_EQ(ensemble[0].candle_ts, 400);
  EXPECT_DOUBLE_EQ(ensemble[0].probability, 0.9);
  EXPECT_EQ(ensemble[0].model_version, 3);
  EXPECT_EQ(ensemble[1].candle_ts, 300);
  auto since = db.history({"BTC", 100, 300, "lstm"});
  ASSERT_EQ(since.size(), 2u);
  EXPECT_EQ(since[1].candle_ts, 300);

  EXPECT_EQ(db.resolve_outcome({"BTC", "ensemble", 200, true, 5000}), 1);
  EXPECT_EQ(db.resolve_outcome({"BTC", "", 300, false, 6000}), 2);  // every model for the candle
  EXPECT_EQ(db.resolve_outcome({"BTC", "", 300, true, 7000}), 0);   // first outcome stays
  auto p = db.find_prediction("BTC", "ensemble", 200);
  ASSERT_TRUE(p.has_value());
  ASSERT_TRUE(p->outcome.has_value());
  EXPECT_TRUE(*p->outcome);
  EXPECT_EQ(p->resolved_at.value_or(0), 5000);
  auto lstm = db.find_prediction("BTC", "lstm", 300);
  ASSERT_TRUE(lstm && lstm->outcome);
  EXPECT_FALSE(*lstm->outcome);
  EXPECT_FALSE(db.find_prediction("BTC", "lstm", 0)->outcome.has_value());
  // Re-recording a resolved prediction keeps its outcome.
  db.record_prediction(prediction("BTC", "ensemble", 200, 9000, 0.1));
  EXPECT_TRUE(db.find_prediction("BTC", "ensemble", 200)->outcome.value_or(false));

  auto stats = db.stats();
  EXPECT_EQ(stats.predictions, 11);
  EXPECT_EQ(stats.pairs[0].resolved, 3);
}

TEST(Database, CleanupBoundaries) {
  test::TempDir dir;
  Database db(dir.path());
  const std::int64_t now = 1'000 * kHour;
  const std::int64_t limit = now - 24 * kHour;
  db.record_prediction(prediction("BTC", "lstm", 1, limit - 1));  // just older: removed
  db.record_prediction(prediction("BTC", "lstm", 2, limit));      // exactly at the limit: kept
  db.record_prediction(prediction("BTC", "lstm", 3, limit + 1));  // just newer: kept
  db.record_training_run(run("BTC", limit - 1));
  db.record_training_run(run("BTC", limit));
  db.record_training_run(run("BTC", limit + 1));
  db.upsert_candles("BTC", {candle(limit - 1, 1), candle(limit, 2), candle(limit + 1, 3)});
  db.record_weights({0, "BTC", limit - 10, "weighted", {{"lstm", 1.0}}, "old"});
  db.record_weights({0, "BTC", limit - 5, "weighted", {{"lstm", 0.5}}, "still in force"});
  db.record_weights({0, "ETH", limit - 5, "average", {{"gru", 0.5}}, "only one"});

  auto removed = db.cleanup(24, now);
  EXPECT_EQ(removed.predictions, 1);
  EXPECT_EQ(removed.training_runs, 1);
  EXPECT_EQ(removed.weight_changes, 1);
  EXPECT_EQ(db.history({"BTC", 100, 0, ""}).size(), 2u);
  EXPECT_EQ(db.training_runs("BTC", 100).size(), 2u);
  EXPECT_EQ(db.latest_weights("BTC")->reason, "still in force");
  EXPECT_TRUE(db.latest_weights("ETH").has_value());
  EXPECT_EQ(db.stats().candles, 3);  // candles have their own retention
  EXPECT_EQ(db.cleanup_candles(24, now), 1);
  EXPECT_EQ(db.load_candles("BTC", 10).front().timestamp, limit);
  EXPECT_EQ(db.cleanup(24, now).predictions, 0);
  db.checkpoint();
  EXPECT_EQ(db.stats().wal_bytes, 0u);
}

TEST(Database, TrainingRunsAndWeightsSurviveReopen) {
  test::TempDir dir;
  {
    Database db(dir.path());
    EXPECT_GT(db.record_training_run(run("BTC", 10000)), 0);
    auto failed = run("ETH", 20000);
    failed.result = "failed";
    failed.reason = "loss diverged";
    db.record_training_run(failed);
    db.record_weights({0, "BTC", 5, "weighted", {{"lstm", 1.0}, {"gru", 0.9}}, "default"});
    db.record_weights({0, "BTC", 6, "average", {{"lstm", 0.2}, {"cnn", 0.8}}, "accuracy"});
  }
  Database db(dir.path());
  auto runs = db.training_runs("", 10);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].pair, "ETH");
  EXPECT_EQ(runs[0].result, "failed");
  EXPECT_EQ(runs[0].reason, "loss diverged");
  EXPECT_EQ(runs[1].config["epochs"], 3);
  EXPECT_DOUBLE_EQ(runs[1].metrics["validation"]["accuracy"].get<double>(), 0.55);
  EXPECT_EQ(db.training_runs("BTC", 10).size(), 1u);
  auto w = db.latest_weights("BTC");
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->strategy, "average");
  EXPECT_EQ(w->weights, (std::map<std::string, double>{{"lstm", 0.2}, {"cnn", 0.8}}));
  EXPECT_FALSE(db.latest_weights("XRP").has_value());
}

TEST(Database, ReadsDoNotWaitForAnOpenWriteTransaction) {
  test::TempDir dir;
  Database db(dir.path());
  db.upsert_candles("BTC", {candle(1, 1)});
  // Another process holding the write lock (as the writer thread would mid-batch).
  Database other(DatabaseOptions{dir.path(), 50, 0});
  test::ExternalWriteLock lock(dir.path() / "tbml.sqlite");
  EXPECT_EQ(db.load_candles("BTC", 10).size(), 1u);
  EXPECT_FALSE(db.get_kv("external").has_value());
  try {
    other.put_kv("a", "b", 1);
    ADD_FAILURE() << "write should fail while locked";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.fault(), StorageFault::kLocked);
    EXPECT_NE(std::string(e.what()).find("database is locked"), std::string::npos);
  }
  lock.release();
  EXPECT_EQ(db.get_kv("external").value_or(""), "held");
  other.put_kv("a", "b", 1);
  EXPECT_EQ(db.get_kv("a").value_or(""), "b");
}

TEST(Database, ReportsDiskFullWithoutDamagingCommittedRows) {
  test::TempDir dir;
  {
    Database db(dir.path());
    db.upsert_candles("BTC", {candle(1, 1)});
  }
  Database db(DatabaseOptions{dir.path(), 100, 12});  // a quota of 12 pages
  std::vector<Candle> many;
  for (int i = 0; i < 5000; ++i) many.push_back(candle(1000 + i, i));
  try {
    db.upsert_candles("BTC", many);
    ADD_FAILURE() << "expected the page quota to be hit";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.fault(), StorageFault::kDiskFull);
  }
  EXPECT_EQ(db.stats().candles, 1);
  EXPECT_EQ(db.integrity_check(), "ok");
}

}  // namespace
}  // namespace tbml
