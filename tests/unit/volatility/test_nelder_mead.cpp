#include "tbml/volatility/nelder_mead.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace tbml::volatility {
namespace {

TEST(NelderMead, FindsTheRosenbrockMinimum) {
  auto rosen = [](const std::vector<double>& x) {
    return 100.0 * std::pow(x[1] - x[0] * x[0], 2) + std::pow(1.0 - x[0], 2);
  };
  NelderMeadOptions o;
  o.f_tolerance = 1e-14;
  o.x_tolerance = 1e-9;
  const auto r = nelder_mead(rosen, {-1.2, 1.0}, {0.5, 0.5}, o);
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(r.x[0], 1.0, 1e-4);
  EXPECT_NEAR(r.x[1], 1.0, 1e-4);
}

TEST(NelderMead, NonFiniteValuesAreAvoided) {
  // NaN left of 0.5: the simplex must stay in the finite region and find the minimum at 2.
  auto f = [](const std::vector<double>& x) {
    return x[0] < 0.5 ? std::numeric_limits<double>::quiet_NaN() : (x[0] - 2.0) * (x[0] - 2.0);
  };
  const auto r = nelder_mead(f, {1.0}, {0.3});
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(r.x[0], 2.0, 1e-4);
  EXPECT_THROW(nelder_mead(f, {}, {}), std::invalid_argument);
  EXPECT_THROW(nelder_mead(f, {1.0}, {0.1, 0.1}), std::invalid_argument);
}

}  // namespace
}  // namespace tbml::volatility
