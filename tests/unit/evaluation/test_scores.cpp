#include "tbml/evaluation/scores.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tbml::evaluation {
namespace {

TEST(Scores, WilsonIntervalMatchesHandComputation) {
  // 60 of 100, z = 1.96: centre = (0.6 + 0.019208) / 1.038416 = 0.596300,
  // half = 1.96 * sqrt(0.0024 + 0.00009604) / 1.038416 = 0.094300.
  const Interval ci = wilson_interval(60, 100);
  EXPECT_NEAR(ci.low, 0.502001, 1e-5);
  EXPECT_NEAR(ci.high, 0.690600, 1e-5);
  const Interval none = wilson_interval(0, 0);
  EXPECT_EQ(none.low, 0.0);
  EXPECT_EQ(none.high, 1.0);
  EXPECT_EQ(wilson_interval(0, 10).low, 0.0);
  EXPECT_EQ(wilson_interval(10, 10).high, 1.0);
}

TEST(Scores, ReliabilityBinsAndEce) {
  const std::vector<double> p{0.05, 0.15, 0.12, 0.95, 1.0};
  const std::vector<std::uint8_t> y{0, 1, 0, 1, 1};
  const auto bins = reliability_bins(p, y, 10);
  ASSERT_EQ(bins.size(), 10u);
  EXPECT_EQ(bins[0].count, 1u);
  EXPECT_EQ(bins[1].count, 2u);
  EXPECT_NEAR(bins[1].mean_predicted, 0.135, 1e-12);
  EXPECT_NEAR(bins[1].observed_rate, 0.5, 1e-12);
  EXPECT_EQ(bins[9].count, 2u);  // p = 1 falls in the last bin
  // ECE = (1 * 0.05 + 2 * 0.365 + 2 * 0.025) / 5 = 0.166
  EXPECT_NEAR(expected_calibration_error(bins), 0.166, 1e-12);
  EXPECT_EQ(expected_calibration_error(reliability_bins({}, {}, 10)), 0.0);
  EXPECT_THROW(reliability_bins({0.5}, {}, 10), std::invalid_argument);
}

TEST(Scores, TopConfidenceAccuracyTakesTheMostConfident) {
  // Confidence order: 0.99 (right), 0.05 (right), 0.8 (wrong), 0.6 (right), 0.45 (wrong).
  const std::vector<double> p{0.6, 0.99, 0.45, 0.05, 0.8};
  const std::vector<std::uint8_t> y{1, 1, 1, 0, 0};
  EXPECT_DOUBLE_EQ(top_confidence_accuracy(p, y, 0.2), 1.0);   // 1 prediction
  EXPECT_DOUBLE_EQ(top_confidence_accuracy(p, y, 0.4), 1.0);   // 2
  EXPECT_DOUBLE_EQ(top_confidence_accuracy(p, y, 0.6), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(top_confidence_accuracy(p, y, 1.0), 3.0 / 5.0);
  EXPECT_THROW(top_confidence_accuracy(p, y, 0.0), std::invalid_argument);
}

TEST(Scores, LongFlatChargesEveryEntryAndExit) {
  const std::vector<double> p{0.6, 0.7, 0.4, 0.9};
  const std::vector<double> r{0.10, -0.05, 0.20, 0.02};
  const double c = 0.001;
  const TradingResult t = long_flat(p, r, c);
  // Enter (cost), +10 %, -5 %, exit (cost), flat through +20 %, enter (cost), +2 %, final exit (cost).
  const double expected = std::pow(1 - c, 4) * 1.10 * 0.95 * 1.02;
  EXPECT_NEAR(t.strategy_return, expected - 1.0, 1e-12);
  EXPECT_EQ(t.trades, 4u);
  EXPECT_DOUBLE_EQ(t.exposure, 0.75);
  EXPECT_NEAR(t.buy_and_hold_return, (1 - c) * (1 - c) * 1.10 * 0.95 * 1.20 * 1.02 - 1.0, 1e-12);
  ASSERT_EQ(t.strategy_equity.size(), 4u);
  EXPECT_NEAR(t.strategy_equity.back(), expected, 1e-12);
  // Never long: no trade, no return.
  const TradingResult flat = long_flat({0.1, 0.5}, {0.3, 0.3}, c);
  EXPECT_EQ(flat.trades, 0u);
  EXPECT_EQ(flat.strategy_return, 0.0);
  EXPECT_THROW(long_flat({0.6}, {}, c), std::invalid_argument);
}

TEST(Scores, ScoreCardUsesEffectiveSamplesForTheInterval) {
  std::vector<double> p(100, 0.7);
  std::vector<std::uint8_t> y(100, 0);
  for (int i = 0; i < 60; ++i) y[i] = 1;
  const ScoreCard s = score(p, y, std::vector<double>(100, 0.0), 5, 0.001);
  EXPECT_DOUBLE_EQ(s.accuracy, 0.6);
  EXPECT_DOUBLE_EQ(s.effective_samples, 20.0);
  const Interval wide = wilson_interval(12, 20);
  EXPECT_DOUBLE_EQ(s.accuracy_ci.low, wide.low);
  EXPECT_NEAR(s.brier, 0.6 * 0.09 + 0.4 * 0.49, 1e-12);
  EXPECT_NEAR(s.ece, 0.1, 1e-12);
  EXPECT_EQ(s.to_json().at("samples"), 100);
}

}  // namespace
}  // namespace tbml::evaluation
