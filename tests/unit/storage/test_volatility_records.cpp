// Volatility forecasts in the history database: write, read, resolve, replace, validate, retain,
// count, migrate.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "tbml/storage/database.h"
#include "tbml/storage/storage.h"
#include "tbml/storage/storage_writer.h"
#include "tbml/util/time.h"
#include "unit/storage/schema_v1.h"
#include "unit/storage/temp_dir.h"

namespace tbml {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t kHour = 3600 * 1000;

VolatilityForecastRecord forecast(const std::string& pair, std::int64_t candle_ts, int horizon,
                                  std::int64_t created_at, double variance = 4e-4) {
  VolatilityForecastRecord f;
  f.pair = pair;
  f.candle_ts = candle_ts;
  f.horizon = horizon;
  f.member = "garch";
  f.model_version = 2;
  f.variance = variance;
  f.q10 = -1.2816 * std::sqrt(variance);
  f.q50 = 0.0001;
  f.q90 = 1.2816 * std::sqrt(variance);
  f.ewma_variance = 5e-4;
  f.created_at = created_at;
  return f;
}

VolatilityOutcomeUpdate outcome(const std::string& pair, std::int64_t candle_ts, int horizon,
                                double realised_variance, double realised_return,
                                std::int64_t resolved_at) {
  return {pair, candle_ts, horizon, realised_variance, realised_return, resolved_at};
}

TEST(VolatilityRecords, WritesAndReadsBackNewestFirst) {
  test::TempDir dir;
  Database db(dir.path());
  for (int i = 0; i < 5; ++i) {
    db.record_volatility_forecast(forecast("BTC", 100 * i, 24, 1000 + i));
    db.record_volatility_forecast(forecast("BTC", 100 * i, 1, 1000 + i, 1e-5));
  }
  db.record_volatility_forecast(forecast("ETH", 300, 24, 1000));

  auto all = db.volatility_history("BTC", 100, 0);
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all[0].candle_ts, 400);
  EXPECT_EQ(all[0].horizon, 1);  // same candle: shortest horizon first
  EXPECT_EQ(all[1].candle_ts, 400);
  EXPECT_EQ(all[1].horizon, 24);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_GE(all[i - 1].candle_ts, all[i].candle_ts);

  const auto& row = all[1];
  const auto expected = forecast("BTC", 400, 24, 1004);
  EXPECT_EQ(row.pair, "BTC");
  EXPECT_EQ(row.member, "garch");
  EXPECT_EQ(row.model_version, 2);
  EXPECT_DOUBLE_EQ(row.variance, expected.variance);
  EXPECT_DOUBLE_EQ(row.q10, expected.q10);
  EXPECT_DOUBLE_EQ(row.q50, expected.q50);
  EXPECT_DOUBLE_EQ(row.q90, expected.q90);
  EXPECT_DOUBLE_EQ(row.ewma_variance, 5e-4);
  EXPECT_EQ(row.created_at, 1004);
  EXPECT_FALSE(row.realised_variance || row.realised_return || row.resolved_at);

  EXPECT_EQ(db.volatility_history("BTC", 3, 0).size(), 3u);
  EXPECT_EQ(db.volatility_history("BTC", 0, 0).size(), 1u);  // limit clamped to at least 1
  auto since = db.volatility_history("BTC", 100, 300);
  ASSERT_EQ(since.size(), 4u);
  EXPECT_EQ(since.back().candle_ts, 300);
  EXPECT_EQ(db.volatility_history("ETH", 100, 0).size(), 1u);
  EXPECT_TRUE(db.volatility_history("XRP", 100, 0).empty());
  // One horizon: the limit counts that horizon's rows only.
  const auto day = db.volatility_history("BTC", 3, 0, 24);
  ASSERT_EQ(day.size(), 3u);
  for (const auto& r : day) EXPECT_EQ(r.horizon, 24);
  EXPECT_EQ(day[0].candle_ts, 400);
  EXPECT_EQ(db.volatility_history("BTC", 100, 0, 1).size(), 5u);
  EXPECT_TRUE(db.volatility_history("BTC", 100, 0, 5).empty());
  EXPECT_TRUE(db.find_volatility_forecast("BTC", 24, 200).has_value());
  EXPECT_FALSE(db.find_volatility_forecast("BTC", 12, 200).has_value());
}

TEST(VolatilityRecords, OutcomeResolvesOnceAndLeavesThePendingList) {
  test::TempDir dir;
  Database db(dir.path());
  for (int i = 0; i < 4; ++i) {
    db.record_volatility_forecast(forecast("BTC", 100 * i, 24, 1000));
    db.record_volatility_forecast(forecast("BTC", 100 * i, 1, 1000));
  }
  EXPECT_EQ(db.resolve_volatility(outcome("BTC", 100, 24, 3e-4, -0.02, 9000)), 1);
  EXPECT_EQ(db.resolve_volatility(outcome("BTC", 100, 24, 9e-4, 0.05, 9500)), 0);  // first stays
  EXPECT_EQ(db.resolve_volatility(outcome("BTC", 100, 12, 3e-4, 0.0, 9000)), 0);   // no forecast
  EXPECT_EQ(db.resolve_volatility(outcome("ETH", 100, 24, 3e-4, 0.0, 9000)), 0);
  // Through the op path too, as the writer thread applies it; a zero realised variance is valid.
  db.apply({outcome("BTC", 0, 1, 0.0, 0.0, 9100)});

  auto row = db.find_volatility_forecast("BTC", 24, 100);
  ASSERT_TRUE(row && row->realised_variance && row->realised_return && row->resolved_at);
  EXPECT_DOUBLE_EQ(*row->realised_variance, 3e-4);
  EXPECT_DOUBLE_EQ(*row->realised_return, -0.02);
  EXPECT_EQ(*row->resolved_at, 9000);
  EXPECT_DOUBLE_EQ(db.find_volatility_forecast("BTC", 1, 0)->realised_variance.value_or(-1), 0.0);
  EXPECT_FALSE(db.find_volatility_forecast("BTC", 1, 100)->resolved_at.has_value());

  auto pending = db.load_pending_volatility("BTC", 24, 0);
  ASSERT_EQ(pending.size(), 3u);  // 0, 200, 300; oldest first
  EXPECT_EQ(pending[0].candle_ts, 0);
  EXPECT_EQ(pending[1].candle_ts, 200);
  EXPECT_EQ(pending[2].candle_ts, 300);
  EXPECT_EQ(db.load_pending_volatility("BTC", 24, 250).size(), 1u);
  auto every = db.load_pending_volatility("BTC", 0, 0);
  ASSERT_EQ(every.size(), 6u);
  EXPECT_EQ(every[0].candle_ts, 0);
  EXPECT_EQ(every[0].horizon, 24);  // (0, 1) is resolved
  EXPECT_EQ(every[1].candle_ts, 100);
  EXPECT_EQ(every[1].horizon, 1);
  EXPECT_TRUE(db.load_pending_volatility("ETH", 0, 0).empty());
}

TEST(VolatilityRecords, RepeatReplacesTheForecastAndKeepsItsOutcome) {
  test::TempDir dir;
  Database db(dir.path());
  db.record_volatility_forecast(forecast("BTC", 100, 24, 1000));
  db.record_volatility_forecast(forecast("BTC", 200, 24, 1000));
  ASSERT_EQ(db.resolve_volatility(outcome("BTC", 100, 24, 2e-4, 0.01, 5000)), 1);

  auto again = forecast("BTC", 100, 24, 6000, 9e-4);
  again.member = "trees";
  again.model_version = 3;
  db.record_volatility_forecast(again);
  db.record_volatility_forecast(forecast("BTC", 200, 24, 7000, 1e-4));

  EXPECT_EQ(db.stats().volatility_forecasts, 2);  // replaced, not duplicated
  auto row = db.find_volatility_forecast("BTC", 24, 100);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->member, "trees");
  EXPECT_EQ(row->model_version, 3);
  EXPECT_DOUBLE_EQ(row->variance, 9e-4);
  EXPECT_DOUBLE_EQ(row->q90, again.q90);
  EXPECT_EQ(row->created_at, 6000);
  EXPECT_DOUBLE_EQ(row->realised_variance.value_or(-1), 2e-4);  // the realised values stay
  EXPECT_DOUBLE_EQ(row->realised_return.value_or(-1), 0.01);
  EXPECT_EQ(row->resolved_at.value_or(0), 5000);
  auto other = db.find_volatility_forecast("BTC", 24, 200);
  EXPECT_DOUBLE_EQ(other->variance, 1e-4);
  EXPECT_FALSE(other->resolved_at.has_value());
}

// Each case breaks one field; the message must name it and nothing may be written.
TEST(VolatilityRecords, ValidationErrorsNameTheField) {
  test::TempDir dir;
  Database db(dir.path());
  const double nan = std::nan("");
  const double inf = INFINITY;
  const std::vector<std::pair<std::string, std::function<void(VolatilityForecastRecord&)>>>
      forecast_cases = {
          {"pair", [](auto& f) { f.pair = ""; }},
          {"pair", [](auto& f) { f.pair = "BTC'; DROP TABLE volatility_forecasts;--"; }},
          {"member", [](auto& f) { f.member = ""; }},
          {"member", [](auto& f) { f.member = "garch; --"; }},
          {"horizon", [](auto& f) { f.horizon = 0; }},
          {"horizon", [](auto& f) { f.horizon = -3; }},
          {"candle_ts", [](auto& f) { f.candle_ts = -1; }},
          {"created_at", [](auto& f) { f.created_at = -1; }},
          {"model_version", [](auto& f) { f.model_version = -1; }},
          {"variance", [](auto& f) { f.variance = 0; }},
          {"variance", [=](auto& f) { f.variance = nan; }},
          {"ewma_variance", [](auto& f) { f.ewma_variance = -1e-4; }},
          {"ewma_variance", [=](auto& f) { f.ewma_variance = inf; }},
          {"q10", [=](auto& f) { f.q10 = nan; }},
          {"q50", [=](auto& f) { f.q50 = -inf; }},
          {"q90", [=](auto& f) { f.q90 = inf; }},
          {"q10 <= q50 <= q90", [](auto& f) { f.q10 = f.q50 + 0.01; }},
          {"q10 <= q50 <= q90", [](auto& f) { f.q90 = f.q50 - 0.01; }},
      };
  for (const auto& [field, breaks] : forecast_cases) {
    auto f = forecast("BTC", 100, 24, 1000);
    breaks(f);
    try {
      db.record_volatility_forecast(f);
      ADD_FAILURE() << "accepted a forecast with a bad " << field;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos)
          << "'" << e.what() << "' does not name " << field;
    }
  }
  const std::vector<std::pair<std::string, std::function<void(VolatilityOutcomeUpdate&)>>>
      outcome_cases = {
          {"pair", [](auto& u) { u.pair = "btc/usd"; }},
          {"horizon", [](auto& u) { u.horizon = 0; }},
          {"candle_ts", [](auto& u) { u.candle_ts = -5; }},
          {"resolved_at", [](auto& u) { u.resolved_at = -5; }},
          {"realised_variance", [](auto& u) { u.realised_variance = -1e-9; }},
          {"realised_variance", [=](auto& u) { u.realised_variance = nan; }},
          {"realised_return", [=](auto& u) { u.realised_return = inf; }},
      };
  for (const auto& [field, breaks] : outcome_cases) {
    auto u = outcome("BTC", 100, 24, 1e-4, 0.0, 2000);
    breaks(u);
    try {
      db.resolve_volatility(u);
      ADD_FAILURE() << "accepted an outcome with a bad " << field;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos)
          << "'" << e.what() << "' does not name " << field;
    }
  }
  // Equal quantiles are allowed; a batch with one bad op writes nothing.
  auto flat = forecast("BTC", 100, 24, 1000);
  flat.q10 = flat.q50 = flat.q90 = 0.0;
  auto bad = forecast("BTC", 200, 24, 1000);
  bad.variance = -1;
  EXPECT_THROW(db.apply({flat, bad}), std::invalid_argument);
  EXPECT_EQ(db.stats().volatility_forecasts, 0);
  db.record_volatility_forecast(flat);
  EXPECT_EQ(db.stats().volatility_forecasts, 1);
}

TEST(VolatilityRecords, RetentionRemovesOldForecasts) {
  test::TempDir dir;
  Database db(dir.path());
  const std::int64_t now = 1'000 * kHour;
  const std::int64_t limit = now - 24 * kHour;
  db.record_volatility_forecast(forecast("BTC", 1, 24, limit - 1));  // just older: removed
  db.record_volatility_forecast(forecast("BTC", 2, 24, limit));      // exactly at the limit: kept
  db.record_volatility_forecast(forecast("BTC", 3, 24, limit + 1));  // just newer: kept
  db.record_volatility_forecast(forecast("ETH", 1, 24, limit - kHour));
  ASSERT_EQ(db.resolve_volatility(outcome("ETH", 1, 24, 1e-4, 0.0, now)), 1);  // resolved: old anyway

  auto removed = db.cleanup(24, now);
  EXPECT_EQ(removed.volatility_forecasts, 2);
  EXPECT_EQ(removed.predictions, 0);
  EXPECT_EQ(removed.to_json()["volatilityForecasts"], 2);
  auto left = db.volatility_history("BTC", 100, 0);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[1].candle_ts, 2);
  EXPECT_TRUE(db.volatility_history("ETH", 100, 0).empty());
  EXPECT_EQ(db.cleanup(24, now).volatility_forecasts, 0);
}

TEST(VolatilityRecords, StatsCountRowsPerPair) {
  test::TempDir dir;
  Database db(dir.path());
  for (int i = 0; i < 3; ++i) db.record_volatility_forecast(forecast("BTC", i, 24, 1000));
  db.record_volatility_forecast(forecast("ETH", 0, 24, 1000));
  db.resolve_volatility(outcome("BTC", 0, 24, 1e-4, 0.0, 2000));
  auto stats = db.stats();
  EXPECT_EQ(stats.volatility_forecasts, 4);
  ASSERT_EQ(stats.pairs.size(), 2u);  // pairs with nothing but volatility forecasts are listed
  EXPECT_EQ(stats.pairs[0].pair, "BTC");
  EXPECT_EQ(stats.pairs[0].volatility_forecasts, 3);
  EXPECT_EQ(stats.pairs[0].volatility_resolved, 1);
  EXPECT_EQ(stats.pairs[1].volatility_forecasts, 1);
  auto json = stats.to_json();
  EXPECT_EQ(json["counts"]["volatilityForecasts"], 4);
  EXPECT_EQ(json["pairs"]["BTC"]["volatilityForecasts"], 3);
  EXPECT_EQ(json["pairs"]["BTC"]["resolvedVolatilityForecasts"], 1);
  EXPECT_EQ(json["pairs"]["ETH"]["predictions"], 0);
}

TEST(VolatilityRecords, WriterBatchesForecastsAndOutcomes) {
  test::TempDir dir;
  Storage storage([&] {
    StorageOptions o;
    o.base_dir = dir.path();
    o.writer.flush_interval_ms = 20;
    o.writer.batch_size = 100;
    return o;
  }());
  ASSERT_TRUE(storage.available());
  const std::int64_t now = now_ms();
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(storage.enqueue(forecast("SOL", i, 24, now)));
  ASSERT_TRUE(storage.enqueue(forecast("SOL", 1000, 24, now - 200 * kHour)));  // past 168 h
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(storage.enqueue(outcome("SOL", i, 24, 1e-4, 0, now)));
  auto bad = forecast("SOL", 5000, 24, now);
  bad.q10 = 1;
  EXPECT_THROW(storage.enqueue(bad), std::invalid_argument);  // refused before it is queued
  ASSERT_TRUE(storage.flush(10s));

  auto stats = storage.stats_json();
  EXPECT_EQ(stats["database"]["counts"]["volatilityForecasts"], 301);
  EXPECT_EQ(stats["database"]["pairs"]["SOL"]["volatilityForecasts"], 301);
  EXPECT_EQ(stats["database"]["pairs"]["SOL"]["resolvedVolatilityForecasts"], 100);
  EXPECT_EQ(storage.health().writer.committed_ops, 401u);
  EXPECT_EQ(storage.db()->load_pending_volatility("SOL", 24, 0).size(), 201u);
  EXPECT_EQ(storage.cleanup(168).volatility_forecasts, 1);
  EXPECT_EQ(storage.db()->stats().volatility_forecasts, 300);
}

TEST(VolatilityRecords, VersionOneDatabaseMigratesAndKeepsItsRows) {
  test::TempDir dir;
  test::create_v1_database(
      dir.path(),
      "INSERT INTO candles VALUES ('BTC', 60000, 1, 2, 0.5, 1.5, 10);"
      "INSERT INTO candles VALUES ('BTC', 120000, 1.5, 2, 1, 1.8, 12);"
      "INSERT INTO predictions (pair, model, strategy, probability, confidence, direction,"
      " candle_ts, horizon, model_version, created_at, outcome, resolved_at)"
      " VALUES ('BTC', 'ensemble', 'weighted', 0.7, 0.4, 'up', 60000, 5, 1, 61000, 1, 90000);"
      "INSERT INTO training_runs (pair, model, started_at, finished_at, duration_s, config_json,"
      " metrics_json, result, reason, version)"
      " VALUES ('BTC', 'lstm', 1, 2, 0.5, '{}', '{}', 'accepted', '', 1);"
      "INSERT INTO kv VALUES ('k', 'v', 5);");
  {
    Database db(dir.path());
    EXPECT_GE(Database::latest_schema_version(), 2);
    EXPECT_EQ(db.schema_version(), Database::latest_schema_version());
    auto candles = db.load_candles("BTC", 10);
    ASSERT_EQ(candles.size(), 2u);
    EXPECT_DOUBLE_EQ(candles[1].close, 1.8);
    auto p = db.find_prediction("BTC", "ensemble", 60000);
    ASSERT_TRUE(p.has_value());
    EXPECT_TRUE(p->outcome.value_or(false));
    EXPECT_EQ(p->resolved_at.value_or(0), 90000);
    EXPECT_EQ(db.training_runs("BTC", 10).size(), 1u);
    EXPECT_EQ(db.get_kv("k").value_or(""), "v");
    EXPECT_EQ(db.stats().volatility_forecasts, 0);
    db.record_volatility_forecast(forecast("BTC", 120000, 24, 121000));
    EXPECT_EQ(db.integrity_check(), "ok");
  }
  // Reopening applies nothing further and keeps the new table's rows.
  Database again(dir.path());
  EXPECT_EQ(again.schema_version(), Database::latest_schema_version());
  EXPECT_EQ(again.volatility_history("BTC", 10, 0).size(), 1u);
  EXPECT_EQ(again.stats().candles, 2);
  EXPECT_EQ(again.stats().predictions, 1);
}

}  // namespace
}  // namespace tbml
