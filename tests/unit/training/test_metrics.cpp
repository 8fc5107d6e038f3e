#include "tbml/training/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tbml {
namespace {

TEST(Metrics, AccuracyUsesHalfThreshold) {
  EXPECT_DOUBLE_EQ(accuracy({0.9, 0.2, 0.6, 0.4}, {1, 0, 0, 0}), 0.75);
  EXPECT_DOUBLE_EQ(accuracy({0.5}, {1}), 0.0);  // exactly 0.5 predicts "down"
}

TEST(Metrics, BrierByHand) {
  // (0.9-1)^2 + (0.2-0)^2 + (0.6-0)^2 + (0.5-1)^2 = 0.01 + 0.04 + 0.36 + 0.25 = 0.66
  EXPECT_NEAR(brier_score({0.9, 0.2, 0.6, 0.5}, {1, 0, 0, 1}), 0.165, 1e-12);
  EXPECT_NEAR(base_rate_brier({1, 0, 0, 1}), 0.25, 1e-12);
  EXPECT_NEAR(base_rate_brier({1, 1, 1, 0}), 0.1875, 1e-12);
}

TEST(Metrics, AucPerfectInverseAndTies) {
  EXPECT_DOUBLE_EQ(auc({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(auc({0.9, 0.8, 0.2, 0.1}, {0, 0, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(auc({0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1}), 0.5);
  // Pairs (pos, neg): pos {0.4, 0.7}, neg {0.4, 0.1}. 0.4 vs 0.4 tie = 0.5, 0.4>0.1 = 1, 0.7>0.4 = 1,
  // 0.7>0.1 = 1 -> 3.5 / 4.
  EXPECT_DOUBLE_EQ(auc({0.4, 0.7, 0.4, 0.1}, {1, 1, 0, 0}), 0.875);
  EXPECT_DOUBLE_EQ(auc({0.3, 0.6}, {1, 1}), 0.5);  // one class only
}

TEST(Metrics, LogLossClipsAndMatchesHand) {
  EXPECT_NEAR(log_loss({0.8, 0.3}, {1, 0}), -(std::log(0.8) + std::log(0.7)) / 2.0, 1e-12);
  const double worst = log_loss({0.0}, {1});
  EXPECT_TRUE(std::isfinite(worst));
  EXPECT_NEAR(worst, -std::log(1e-7), 1e-6);
}

TEST(Metrics, SplitMetricsAndSizeMismatch) {
  const auto m = split_metrics({0.9, 0.1, 0.8, 0.3}, {1, 0, 1, 1});
  EXPECT_EQ(m.samples, 4u);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.75);
  EXPECT_DOUBLE_EQ(m.base_rate, 0.75);
  EXPECT_DOUBLE_EQ(m.auc, 1.0);
  EXPECT_THROW(accuracy({0.1}, {1, 0}), std::invalid_argument);
  EXPECT_THROW(auc({0.1, 0.2}, {1}), std::invalid_argument);
}

}  // namespace
}  // namespace tbml
