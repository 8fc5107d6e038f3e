#include "tbml/volatility/scores.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tbml::volatility {
namespace {

TEST(Scores, QlikeByHand) {
  EXPECT_DOUBLE_EQ(qlike(2.0, 2.0, 1e-12), 0.0);
  EXPECT_NEAR(qlike(4.0, 2.0, 1e-12), 2.0 - std::log(2.0) - 1.0, 1e-15);
  EXPECT_NEAR(qlike(1.0, 2.0, 1e-12), 0.5 - std::log(0.5) - 1.0, 1e-15);
  // Under-prediction by 2x costs more than over-prediction by 2x.
  EXPECT_GT(qlike(4.0, 2.0, 1e-12), qlike(1.0, 2.0, 1e-12));
  // Flat stretch: RV = 0 is floored, finite.
  EXPECT_NEAR(qlike(0.0, 1e-4, 1e-6), 0.01 - std::log(0.01) - 1.0, 1e-12);
  EXPECT_NEAR(mse_log_variance({4.0, 1.0}, {2.0, 2.0}, 1e-12), std::log(2.0) * std::log(2.0), 1e-15);
}

TEST(Scores, CoverageAndPinballByHand) {
  const std::vector<double> y{-2, 0, 1, 3};
  EXPECT_DOUBLE_EQ(coverage(y, {-1, -1, -1, -1}, {1, 1, 1, 1}), 0.5);  // 0 and 1 inside (closed)
  // q = 0: losses at p = 0.1: y<0 -> 0.9·2 = 1.8; y>0 -> 0.1·y: 0.1, 0.3; mean (1.8 + 0 + 0.1 + 0.3)/4
  EXPECT_NEAR(pinball_loss(y, {0, 0, 0, 0}, 0.1), 2.2 / 4.0, 1e-15);
  EXPECT_NEAR(pinball_loss(y, {0, 0, 0, 0}, 0.5), (1.0 + 0 + 0.5 + 1.5) / 4.0, 1e-15);
  EXPECT_NEAR(pinball_loss(y, {0, 0, 0, 0}, 0.9), (0.2 + 0 + 0.9 + 2.7) / 4.0, 1e-15);
  ForecastPath f{{1, 1, 1, 1}, {-1, -1, -1, -1}, {0, 0, 0, 0}, {1, 1, 1, 1}};
  const ScoreCard s = score_forecasts(f, {1, 1, 1, 1}, y, 1e-12);
  EXPECT_EQ(s.samples, 4u);
  EXPECT_DOUBLE_EQ(s.qlike, 0.0);
  EXPECT_DOUBLE_EQ(s.coverage80, 0.5);
  EXPECT_NEAR(s.pinball50, 0.75, 1e-15);
  EXPECT_EQ(s.to_json().at("pinball").at("q50").get<double>(), s.pinball50);
  EXPECT_THROW(score_forecasts(f, {1, 1}, y, 1e-12), std::invalid_argument);
}

TEST(Scores, BlockBootstrapOfAConstantDifferenceIsThatDifference) {
  std::vector<double> a(100), b(100);
  for (int i = 0; i < 100; ++i) {
    b[i] = 1.0 + 0.1 * std::sin(i);
    a[i] = b[i] - 0.25;
  }
  const auto r = paired_block_bootstrap(a, b, 10, 1000, 42);
  EXPECT_NEAR(r.mean_difference, -0.25, 1e-12);
  EXPECT_NEAR(r.low, -0.25, 1e-12);
  EXPECT_NEAR(r.high, -0.25, 1e-12);
  EXPECT_TRUE(r.a_better());
  EXPECT_TRUE(r.to_json().at("excludesZero").get<bool>());
}

TEST(Scores, BlockBootstrapIsDeterministicAndWidensWithNoise) {
  std::vector<double> a(200), b(200, 0.0);
  for (int i = 0; i < 200; ++i) a[i] = (i % 7 == 0 ? 3.0 : -0.5) + 0.01 * i;  // mean ~ +1.4 (noisy)
  const auto r1 = paired_block_bootstrap(a, b, 15, 1000, 42);
  const auto r2 = paired_block_bootstrap(a, b, 15, 1000, 42);
  EXPECT_EQ(r1.low, r2.low);
  EXPECT_EQ(r1.high, r2.high);
  EXPECT_LT(r1.low, r1.mean_difference);
  EXPECT_GT(r1.high, r1.mean_difference);
  EXPECT_EQ(r1.block_length, 15u);
  EXPECT_EQ(default_block_length(263, 5), 17u);  // ceil(sqrt(263)) = 17
  EXPECT_EQ(default_block_length(9, 5), 5u);
  EXPECT_THROW(paired_block_bootstrap(a, b, 0), std::invalid_argument);
  EXPECT_THROW(paired_block_bootstrap({1.0}, {1.0}, 1), std::invalid_argument);
}

}  // namespace
}  // namespace tbml::volatility
