#include "tbml/evaluation/baselines.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace tbml::evaluation {
namespace {

Series closes(const std::vector<double>& c) {
  Series s;
  s.pair = "HAND";
  s.width = 1;
  for (std::size_t i = 0; i < c.size(); ++i) {
    Candle k;
    k.timestamp = 1'600'000'000'000 + static_cast<std::int64_t>(i) * 3'600'000;
    k.open = k.high = k.low = k.close = c[i];
    k.volume = 1;
    s.candles.push_back(k);
    s.features.push_back(static_cast<float>(i));
  }
  s.gap_before.assign(c.size(), 0);
  return s;
}

TEST(Baselines, AlwaysUp) {
  EXPECT_EQ(always_up(3), (std::vector<double>{1.0, 1.0, 1.0}));
}

TEST(Baselines, RunningBaseRateUsesOnlyResolvedLabels) {
  // horizon 2: the label of window `last` is known once now >= last + 2.
  const std::vector<Window> all{{0, 1}, {1, 0}, {2, 1}, {3, 1}, {4, 0}};
  const std::vector<Window> scored{{1, 0}, {2, 1}, {3, 1}, {4, 0}};
  const auto p = running_base_rate(all, scored, 2);
  ASSERT_EQ(p.size(), 4u);
  EXPECT_DOUBLE_EQ(p[0], 0.5);        // nothing resolved at now = 1
  EXPECT_DOUBLE_EQ(p[1], 1.0);        // {0}
  EXPECT_DOUBLE_EQ(p[2], 0.5);        // {0, 1}
  EXPECT_DOUBLE_EQ(p[3], 2.0 / 3.0);  // {0, 1, 2}
}

TEST(Baselines, PersistenceFollowsThePreviousMove) {
  // Closes: horizon 1. Moves: up, up, down, up, up, down.
  const Series s = closes({10, 11, 12, 11, 12, 13, 12});
  // Training windows (last, label): label = close[last+1] > close[last].
  const std::vector<Window> train{{1, 1}, {2, 0}, {3, 1}, {4, 1}};
  // Persistence right at last = 1 (up->up), 2 (up->down: wrong), 3 (down->up: wrong), 4 (up->up).
  const Persistence fitted = Persistence::fit(s, train, 1);
  EXPECT_DOUBLE_EQ(fitted.hit_rate, 0.501);  // 2 of 4 = 0.5, kept just above 0.5
  Persistence p;
  p.hit_rate = 0.6;
  const auto out = p.predict(s, {{2, 0}, {3, 1}, {5, 0}}, 1);
  EXPECT_DOUBLE_EQ(out[0], 0.6);  // 11 -> 12 was up
  EXPECT_DOUBLE_EQ(out[1], 0.4);  // 12 -> 11 was down
  EXPECT_DOUBLE_EQ(out[2], 0.6);
  EXPECT_THROW(p.predict(s, {{0, 0}}, 1), std::invalid_argument);
}

TEST(Baselines, LogisticRegressionRecoversKnownCoefficients) {
  std::mt19937 rng(5);
  std::normal_distribution<double> n01(0.0, 1.0);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  const std::size_t n = 20000;
  std::vector<double> x;
  std::vector<std::uint8_t> y;
  for (std::size_t i = 0; i < n; ++i) {
    const double a = n01(rng), b = n01(rng);
    x.push_back(a);
    x.push_back(b);
    const double p = 1.0 / (1.0 + std::exp(-(1.5 * a - 0.7 * b + 0.3)));
    y.push_back(coin(rng) < p ? 1 : 0);
  }
  const auto m = LogisticRegression::fit(x, y, 2, 0.0);
  EXPECT_NEAR(m.weights()[0], 1.5, 0.08);
  EXPECT_NEAR(m.weights()[1], -0.7, 0.06);
  EXPECT_NEAR(m.intercept(), 0.3, 0.06);
  // A strong penalty shrinks the weights towards 0.
  const auto shrunk = LogisticRegression::fit(x, y, 2, 1e6);
  EXPECT_LT(std::abs(shrunk.weights()[0]), 0.05);
  EXPECT_THROW(LogisticRegression::fit({1.0, 2.0, 3.0}, {1, 0}, 2, 1.0), std::invalid_argument);
}

}  // namespace
}  // namespace tbml::evaluation
