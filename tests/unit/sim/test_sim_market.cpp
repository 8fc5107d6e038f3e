// The synthetic price process: deterministic, positive, pair-specific, with volatility clustering.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "tbml/sim/market_sim.h"

namespace tbml {
namespace {

std::vector<double> log_returns(const std::vector<Candle>& c) {
  std::vector<double> r;
  for (std::size_t i = 1; i < c.size(); ++i) r.push_back(std::log(c[i].close / c[i - 1].close));
  return r;
}

double autocorrelation(const std::vector<double>& x, std::size_t lag) {
  const double mean = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
  double num = 0.0, den = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    den += (x[i] - mean) * (x[i] - mean);
    if (i >= lag) num += (x[i] - mean) * (x[i - lag] - mean);
  }
  return num / den;
}

TEST(MarketSim, SameSeedSameSeries) {
  MarketSimOptions o;
  o.seed = 7;
  o.count = 500;
  const auto a = generate_candles("BTC", o);
  const auto b = generate_candles("BTC", o);
  ASSERT_EQ(a.size(), 500u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].timestamp, b[i].timestamp);
    EXPECT_EQ(a[i].close, b[i].close);
    EXPECT_EQ(a[i].high, b[i].high);
    EXPECT_EQ(a[i].volume, b[i].volume);
  }
}

TEST(MarketSim, DifferentSeedsAndPairsDiffer) {
  MarketSimOptions o;
  o.count = 100;
  const auto btc = generate_candles("BTC", o);
  o.seed = 43;
  const auto btc_other_seed = generate_candles("BTC", o);
  EXPECT_NE(btc.back().close, btc_other_seed.back().close);

  // Two small coins with the same start price must still follow different paths.
  o.start_price = 1.0;
  const auto x = generate_candles("AAA", o);
  const auto y = generate_candles("BBB", o);
  std::size_t same = 0;
  for (std::size_t i = 0; i < x.size(); ++i) same += x[i].close == y[i].close;
  EXPECT_LT(same, 2u);
  EXPECT_NE(pair_seed(1, "AAA"), pair_seed(1, "BBB"));
}

TEST(MarketSim, StartPricesDependOnPair) {
  EXPECT_NEAR(default_start_price("BTC"), 60000.0, 1e-9);
  EXPECT_LT(default_start_price("XRP"), 1.0);
  const double unknown = default_start_price("ZZZ");
  EXPECT_GE(unknown, 0.25);
  EXPECT_LT(unknown, 1.0);
  EXPECT_EQ(unknown, default_start_price("ZZZ"));

  MarketSimOptions o;
  o.count = 10;
  EXPECT_NEAR(generate_candles("BTC", o).front().open, 60000.0, 1e-6);
}

TEST(MarketSim, CandlesAreConsistentPositiveAndFinite) {
  MarketSimOptions o;
  o.count = 20000;  // long enough for many regime switches and jumps
  for (const char* pair : {"BTC", "ETH", "XRP", "NEWCOIN"}) {
    const auto candles = generate_candles(pair, o);
    for (std::size_t i = 0; i < candles.size(); ++i) {
      const Candle& c = candles[i];
      ASSERT_TRUE(std::isfinite(c.open) && std::isfinite(c.high) && std::isfinite(c.low) &&
                  std::isfinite(c.close) && std::isfinite(c.volume))
          << pair << " " << i;
      ASSERT_GT(c.low, 0.0) << pair << " " << i;
      ASSERT_GE(c.high, std::max(c.open, c.close)) << pair << " " << i;
      ASSERT_LE(c.low, std::min(c.open, c.close)) << pair << " " << i;
      ASSERT_GT(c.volume, 0.0);
      if (i > 0) {
        ASSERT_EQ(c.timestamp - candles[i - 1].timestamp, o.step_ms);
        ASSERT_DOUBLE_EQ(c.open, candles[i - 1].close);
      }
    }
    // The weak pull toward the start keeps long series within a plausible band of their level.
    const double ratio = candles.back().close / default_start_price(pair);
    EXPECT_GT(ratio, 0.05) << pair;
    EXPECT_LT(ratio, 20.0) << pair;
  }
}

TEST(MarketSim, VolatilityClustersAndVolumeFollowsIt) {
  MarketSimOptions o;
  o.count = 8000;
  const auto candles = generate_candles("ETH", o);
  const auto r = log_returns(candles);
  std::vector<double> abs_r(r.size());
  for (std::size_t i = 0; i < r.size(); ++i) abs_r[i] = std::fabs(r[i]);
  // GARCH: large moves follow large moves, although returns themselves are nearly uncorrelated.
  EXPECT_GT(autocorrelation(abs_r, 1), 0.1);
  EXPECT_GT(autocorrelation(abs_r, 5), 0.05);
  EXPECT_LT(std::fabs(autocorrelation(r, 1)), 0.1);

  // Volume correlates positively with the size of the move.
  std::vector<double> log_volume;
  for (std::size_t i = 1; i < candles.size(); ++i) log_volume.push_back(std::log(candles[i].volume));
  const double mv = std::accumulate(log_volume.begin(), log_volume.end(), 0.0) / log_volume.size();
  const double ma = std::accumulate(abs_r.begin(), abs_r.end(), 0.0) / abs_r.size();
  double cov = 0, vv = 0, va = 0;
  for (std::size_t i = 0; i < abs_r.size(); ++i) {
    cov += (log_volume[i] - mv) * (abs_r[i] - ma);
    vv += (log_volume[i] - mv) * (log_volume[i] - mv);
    va += (abs_r[i] - ma) * (abs_r[i] - ma);
  }
  EXPECT_GT(cov / std::sqrt(vv * va), 0.2);
}

TEST(MarketSim, HourlyVolatilityIsPlausibleAndStepScales) {
  MarketSimOptions o;
  o.count = 5000;
  const auto hourly = log_returns(generate_candles("BTC", o));
  o.step_ms = 5 * 60 * 1000;
  const auto five_min_candles = generate_candles("BTC", o);
  EXPECT_EQ(five_min_candles[1].timestamp - five_min_candles[0].timestamp, 300000);
  const auto five_min = log_returns(five_min_candles);
  const auto stdev = [](const std::vector<double>& x) {
    double m = std::accumulate(x.begin(), x.end(), 0.0) / x.size(), s = 0;
    for (double v : x) s += (v - m) * (v - m);
    return std::sqrt(s / x.size());
  };
  EXPECT_GT(stdev(hourly), 0.003);
  EXPECT_LT(stdev(hourly), 0.02);
  EXPECT_LT(stdev(five_min), stdev(hourly) * 0.6);  // ~ 1/sqrt(12) of the hourly value
}

TEST(MarketSim, RejectsBadOptions) {
  MarketSimOptions o;
  o.count = 0;
  EXPECT_THROW(generate_candles("BTC", o), std::invalid_argument);
  o.count = 10;
  o.step_ms = 0;
  EXPECT_THROW(generate_candles("BTC", o), std::invalid_argument);
  o.step_ms = 1000;
  o.start_price = std::nan("");
  EXPECT_THROW(generate_candles("BTC", o), std::invalid_argument);
}

}  // namespace
}  // namespace tbml
