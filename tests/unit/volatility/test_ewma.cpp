#include "tbml/volatility/ewma.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tbml::volatility {
namespace {

TEST(Ewma, RecursionByHand) {
  const double nan = std::nan("");
  const std::vector<double> r{nan, 0.02, -0.01, nan, 0.03};
  const Ewma e = Ewma::fit(r, 0, 5, 0.94);
  const double seed = (4e-4 + 1e-4 + 9e-4) / 3.0;
  EXPECT_DOUBLE_EQ(e.seed_variance, seed);
  // σ²_2 = 0.94 seed + 0.06 · 0.02², σ²_3 = 0.94 σ²_2 + 0.06 · 0.01², gap keeps it, then 0.03².
  const double v2 = 0.94 * seed + 0.06 * 4e-4;
  const double v3 = 0.94 * v2 + 0.06 * 1e-4;
  const double v5 = 0.94 * v3 + 0.06 * 9e-4;
  EXPECT_DOUBLE_EQ(e.next_variance(r, 0, 1), seed);
  EXPECT_DOUBLE_EQ(e.next_variance(r, 0, 2), v2);
  EXPECT_DOUBLE_EQ(e.next_variance(r, 0, 3), v3);
  EXPECT_DOUBLE_EQ(e.next_variance(r, 0, 4), v3);
  EXPECT_DOUBLE_EQ(e.next_variance(r, 0, 5), v5);
  // h-step: flat, h · σ²_{t+1|t}; the window reads only the last returns, from the seed.
  EXPECT_DOUBLE_EQ(e.forecast(r, 4, 5, 100), 5.0 * v5);
  EXPECT_DOUBLE_EQ(e.forecast(r, 4, 3, 1), 3.0 * (0.94 * seed + 0.06 * 9e-4));
}

TEST(Ewma, JsonRoundTripAndBadInput) {
  const std::vector<double> r{0.01, -0.01, 0.02};
  const Ewma e = Ewma::fit(r, 0, 3);
  const Ewma back = Ewma::from_json(e.to_json());
  EXPECT_EQ(back.lambda, e.lambda);
  EXPECT_EQ(back.seed_variance, e.seed_variance);
  EXPECT_THROW(Ewma::fit(r, 0, 3, 1.0), std::invalid_argument);
  EXPECT_THROW(Ewma::fit(std::vector<double>{0.0, 0.0}, 0, 2), std::invalid_argument);
  EXPECT_THROW(Ewma::from_json({{"lambda", 0.94}, {"seedVariance", -1.0}}), std::invalid_argument);
}

}  // namespace
}  // namespace tbml::volatility
