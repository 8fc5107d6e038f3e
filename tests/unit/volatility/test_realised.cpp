#include "tbml/volatility/realised.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tbml::volatility {
namespace {

Series closes(const std::vector<double>& c, const std::vector<std::uint8_t>& gaps = {}) {
  Series s;
  s.pair = "T";
  for (std::size_t i = 0; i < c.size(); ++i)
    s.candles.push_back({static_cast<std::int64_t>(i) * 3'600'000, c[i], c[i], c[i], c[i], 1.0});
  s.gap_before = gaps.empty() ? std::vector<std::uint8_t>(c.size(), 0) : gaps;
  return s;
}

TEST(Realised, LogReturnsAreMissingAtTheStartAndAfterAGap) {
  const Series s = closes({100, 110, 99, 99, 120}, {0, 0, 0, 1, 0});
  const auto r = log_returns(s);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_TRUE(std::isnan(r[0]));
  EXPECT_DOUBLE_EQ(r[1], std::log(110.0 / 100.0));
  EXPECT_DOUBLE_EQ(r[2], std::log(99.0 / 110.0));
  EXPECT_TRUE(std::isnan(r[3]));  // candle 3 follows a gap
  EXPECT_DOUBLE_EQ(r[4], std::log(120.0 / 99.0));
}

TEST(Realised, TargetsByHand) {
  const Series s = closes({100, 110, 99, 105, 120});
  const auto r = log_returns(s);
  const Targets t = realised_targets(s, r, 2);
  // t = 0: r1² + r2², R = log(99/100)
  const double r1 = std::log(1.1), r2 = std::log(0.9), r3 = std::log(105.0 / 99.0), r4 = std::log(120.0 / 105.0);
  EXPECT_EQ(t.valid, (std::vector<std::uint8_t>{1, 1, 1, 0, 0}));
  EXPECT_NEAR(t.rv[0], r1 * r1 + r2 * r2, 1e-15);
  EXPECT_NEAR(t.ret[0], std::log(0.99), 1e-15);
  EXPECT_NEAR(t.rv[1], r2 * r2 + r3 * r3, 1e-15);
  EXPECT_NEAR(t.rv[2], r3 * r3 + r4 * r4, 1e-15);
  EXPECT_NEAR(t.ret[2], std::log(120.0 / 99.0), 1e-15);
  EXPECT_TRUE(std::isnan(t.rv[3]));  // would read past the end
}

TEST(Realised, NoTargetAcrossAGap) {
  const Series s = closes({100, 101, 102, 103, 104, 105, 106}, {0, 0, 0, 0, 1, 0, 0});
  const Targets t = realised_targets(s, log_returns(s), 2);
  // t's target reads r_{t+1}, r_{t+2}; r_4 is missing, so t = 2 and t = 3 have none.
  EXPECT_EQ(t.valid, (std::vector<std::uint8_t>{1, 1, 0, 0, 1, 0, 0}));
  EXPECT_THROW(realised_targets(s, log_returns(s), 0), std::invalid_argument);
}

TEST(Realised, LookbackVarianceScalesToTheHorizonAndSkipsMissingReturns) {
  const double nan = std::nan("");
  const std::vector<double> r{nan, 0.01, -0.02, nan, 0.03};
  double v = 0.0;
  ASSERT_TRUE(lookback_variance(r, 2, 2, 5, v));
  EXPECT_NEAR(v, 5.0 * (1e-4 + 4e-4) / 2.0, 1e-18);
  ASSERT_TRUE(lookback_variance(r, 4, 3, 5, v));  // r2 and r4 present, r3 missing: mean of two
  EXPECT_NEAR(v, 5.0 * (4e-4 + 9e-4) / 2.0, 1e-18);
  EXPECT_FALSE(lookback_variance(r, 3, 1, 5, v));  // the only return is missing
  EXPECT_FALSE(lookback_variance(r, 1, 3, 5, v));  // t too early
  ASSERT_TRUE(lookback_variance(r, 4, 4, 5, v));  // 3 of 4 present
  EXPECT_NEAR(v, 5.0 * (1e-4 + 4e-4 + 9e-4) / 3.0, 1e-18);
  EXPECT_NEAR(mean_square(r, 0, 5), (1e-4 + 4e-4 + 9e-4) / 3.0, 1e-18);
  EXPECT_THROW(mean_square(r, 0, 2), std::invalid_argument);
}

}  // namespace
}  // namespace tbml::volatility
