// The edge test: a paired block bootstrap of the Brier difference against the base-rate forecast.
#include <gtest/gtest.h>

#include <random>

#include "tbml/models/edge.h"

namespace tbml {
namespace {

std::vector<std::uint8_t> coin_flips(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution up(0.5);
  std::vector<std::uint8_t> y(n);
  for (auto& v : y) v = up(rng) ? 1 : 0;
  return y;
}

TEST(Edge, BriersAndImprovementByHand) {
  // p = 0.8 on an up, 0.3 on a down: Brier (0.04 + 0.09) / 2 = 0.065; base 0.5: 0.25.
  const DirectionEdge e = measure_edge({0.8, 0.3}, {1, 0}, 0.5, 1, {1, 200, 0.95, 1});
  EXPECT_NEAR(e.model_brier, 0.065, 1e-12);
  EXPECT_NEAR(e.base_brier, 0.25, 1e-12);
  EXPECT_NEAR(e.improvement, 0.185, 1e-12);
  EXPECT_EQ(e.samples, 2u);
  EXPECT_LE(e.lower, e.improvement);
  EXPECT_GE(e.upper, e.improvement);
}

TEST(Edge, InformedModelHasARealEdge) {
  const auto y = coin_flips(2000, 3);
  std::vector<double> p(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) p[i] = y[i] ? 0.65 : 0.35;
  const DirectionEdge e = measure_edge(p, y, 0.5, 5);
  EXPECT_EQ(e.verdict, EdgeVerdict::kReal) << e.reason;
  EXPECT_GT(e.lower, 0.0);
  EXPECT_EQ(e.block, 10u);
  EXPECT_NEAR(e.effective_samples, 400.0, 1e-9);
}

TEST(Edge, NoiseAroundTheBaseRateIsNoEdge) {
  // Tiny random deviations from 0.5 that carry no information: Brier a hair either side of 0.25.
  const auto y = coin_flips(700, 11);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> jitter(-0.02, 0.02);
  std::vector<double> p(y.size());
  for (auto& v : p) v = 0.5 + jitter(rng);
  const DirectionEdge e = measure_edge(p, y, 0.5, 5);
  EXPECT_EQ(e.verdict, EdgeVerdict::kNone) << e.reason;
  EXPECT_LT(e.lower, 0.0);
  EXPECT_GT(e.upper, 0.0);
}

TEST(Edge, ConfidentlyWrongModelIsWorse) {
  const auto y = coin_flips(1000, 8);
  std::vector<double> p(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) p[i] = y[i] ? 0.3 : 0.7;
  EXPECT_EQ(measure_edge(p, y, 0.5, 5).verdict, EdgeVerdict::kWorse);
}

TEST(Edge, OverlappingWindowsWidenTheInterval) {
  // Labels repeated in runs of 5 (as overlapping 5-candle windows share moves): blocks of 10 see the
  // dependence that blocks of 1 ignore, so their interval is wider.
  const auto base = coin_flips(300, 21);
  std::vector<std::uint8_t> y;
  for (auto v : base)
    for (int k = 0; k < 5; ++k) y.push_back(v);
  std::vector<double> p(y.size());
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> u(0.4, 0.6);
  for (std::size_t i = 0; i < p.size(); i += 5) {
    const double v = u(rng);
    for (int k = 0; k < 5; ++k) p[i + k] = v;
  }
  EdgeOptions naive;
  naive.block = 1;
  const DirectionEdge wide = measure_edge(p, y, 0.5, 5);
  const DirectionEdge narrow = measure_edge(p, y, 0.5, 5, naive);
  EXPECT_GT(wide.upper - wide.lower, 1.5 * (narrow.upper - narrow.lower));
}

TEST(Edge, SameInputSameVerdict) {
  const auto y = coin_flips(500, 4);
  std::vector<double> p(y.size(), 0.52);
  const DirectionEdge a = measure_edge(p, y, 0.5, 5), b = measure_edge(p, y, 0.5, 5);
  EXPECT_EQ(a.lower, b.lower);
  EXPECT_EQ(a.upper, b.upper);
}

TEST(Edge, JsonRoundTrip) {
  const auto y = coin_flips(400, 9);
  std::vector<double> p(y.size(), 0.55);
  const DirectionEdge e = measure_edge(p, y, 0.48, 5);
  const DirectionEdge back = DirectionEdge::from_json(e.to_json());
  EXPECT_EQ(back.verdict, e.verdict);
  EXPECT_DOUBLE_EQ(back.lower, e.lower);
  EXPECT_DOUBLE_EQ(back.base_forecast, 0.48);
  EXPECT_EQ(back.reason, e.reason);
  EXPECT_THROW(DirectionEdge::from_json(nlohmann::json::object()), std::invalid_argument);
}

TEST(Edge, BadInputThrows) {
  EXPECT_THROW(measure_edge({}, {}, 0.5, 5), std::invalid_argument);
  EXPECT_THROW(measure_edge({0.5}, {1, 0}, 0.5, 5), std::invalid_argument);
  EXPECT_THROW(measure_edge({1.5}, {1}, 0.5, 5), std::invalid_argument);
  EXPECT_THROW(measure_edge({0.5}, {1}, 0.5, 0), std::invalid_argument);
  EXPECT_THROW(block_bootstrap_mean({1.0}, 1, 1, 0.95, 1), std::invalid_argument);
}

}  // namespace
}  // namespace tbml
