// Served volatility forecasts resolved against the h candles that followed them.
#include <gtest/gtest.h>

#include <cmath>

#include "tbml/volatility/scores.h"
#include "tbml/volatility/volatility_tracker.h"

namespace tbml::volatility {
namespace {

std::vector<Candle> hourly(const std::vector<double>& closes, std::int64_t start = 3'600'000) {
  std::vector<Candle> out;
  for (std::size_t i = 0; i < closes.size(); ++i) {
    Candle c;
    c.timestamp = start + static_cast<std::int64_t>(i) * 3'600'000;
    c.open = c.high = c.low = c.close = closes[i];
    c.volume = 1.0;
    out.push_back(c);
  }
  return out;
}

VolatilityForecast at(std::int64_t ts, std::size_t h, double variance, double lower, double upper) {
  VolatilityForecast f;
  f.pair = "BTC";
  f.timestamp = ts;
  f.horizon = h;
  f.variance = variance;
  f.lower = lower;
  f.upper = upper;
  return f;
}

TEST(VolatilityTracker, ResolvesAfterHCandlesWithTheRealisedVariance) {
  VolatilityTracker t(10);
  const auto candles = hourly({100, 101, 99, 100});
  t.record(at(candles[0].timestamp, 2, 1e-4, -0.05, 0.05), 2e-4, 1e-8);
  EXPECT_TRUE(t.resolve("BTC", {candles.begin(), candles.begin() + 2}, 1).empty());  // one candle after: not yet
  const auto r = t.resolve("BTC", candles, 2);
  ASSERT_EQ(r.size(), 1u);
  const double r1 = std::log(101.0 / 100.0), r2 = std::log(99.0 / 101.0);
  EXPECT_NEAR(r[0].realised_variance, r1 * r1 + r2 * r2, 1e-15);
  EXPECT_NEAR(r[0].realised_return, std::log(0.99), 1e-15);
  EXPECT_TRUE(r[0].covered);
  EXPECT_NEAR(r[0].qlike_model, qlike(r[0].realised_variance, 1e-4, 1e-8), 1e-12);
  EXPECT_NEAR(r[0].qlike_ewma, qlike(r[0].realised_variance, 2e-4, 1e-8), 1e-12);
  EXPECT_TRUE(t.resolve("BTC", candles, 3).empty());  // resolved once
  const auto s = t.stats("BTC");
  EXPECT_EQ(s["count"], 1);
  EXPECT_EQ(s["coverage80"], 1.0);
  EXPECT_NEAR(s["skillVsEwma"].get<double>(), 1.0 - r[0].qlike_model / r[0].qlike_ewma, 1e-12);
}

TEST(VolatilityTracker, ReturnOutsideTheIntervalIsNotCovered) {
  VolatilityTracker t(10);
  const auto candles = hourly({100, 110});
  t.record(at(candles[0].timestamp, 1, 1e-4, -0.01, 0.01), 1e-4, 1e-8);
  const auto r = t.resolve("BTC", candles, 1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].covered);
}

TEST(VolatilityTracker, AGapInsideTheHorizonDropsTheForecast) {
  VolatilityTracker t(10);
  auto candles = hourly({100, 101, 102, 103, 104});
  candles[2].timestamp += 10 * 3'600'000;  // a long gap between candle 1 and 2
  candles[3].timestamp += 10 * 3'600'000;
  candles[4].timestamp += 10 * 3'600'000;
  t.record(at(candles[0].timestamp, 2, 1e-4, -1, 1), 1e-4, 1e-8);
  EXPECT_TRUE(t.resolve("BTC", candles, 1).empty());
  EXPECT_EQ(t.stats("BTC")["pending"], 0);
  EXPECT_TRUE(t.stats("BTC")["qlike"].is_null());
}

TEST(VolatilityTracker, StatsCoverOnlyTheWindow) {
  VolatilityTracker t(2);
  const auto candles = hourly({100, 101, 102, 103, 104});
  for (int i = 0; i < 4; ++i) t.record(at(candles[i].timestamp, 1, 1e-4, -1, 1), 1e-4, 1e-8);
  EXPECT_EQ(t.resolve("BTC", candles, 1).size(), 4u);
  EXPECT_EQ(t.stats("BTC")["count"], 2);
  EXPECT_EQ(t.stats("ETH")["count"], 0);
}

}  // namespace
}  // namespace tbml::volatility
