#include "tbml/volatility/har.h"

#include <gtest/gtest.h>

#include <random>

namespace tbml::volatility {
namespace {

TEST(Har, RecoversAnExactLinearRelation) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<double> x, y;
  for (int i = 0; i < 200; ++i) {
    const double a = z(rng), b = z(rng);
    x.push_back(a);
    x.push_back(b);
    y.push_back(-1.5 + 0.4 * a + 0.25 * b);
  }
  const Har h = Har::fit(x, y, 2);
  ASSERT_EQ(h.coefficients.size(), 3u);
  EXPECT_NEAR(h.coefficients[0], -1.5, 1e-6);
  EXPECT_NEAR(h.coefficients[1], 0.4, 1e-6);
  EXPECT_NEAR(h.coefficients[2], 0.25, 1e-6);
  const double row[2] = {1.0, 2.0};
  EXPECT_NEAR(h.predict(row), -1.5 + 0.4 + 0.5, 1e-6);
  const Har back = Har::from_json(h.to_json());
  EXPECT_EQ(back.predict(row), h.predict(row));
}

TEST(Har, RejectsBadShapesAndConstantInputs) {
  EXPECT_THROW(Har::fit({1, 2, 3}, {1, 2}, 2), std::invalid_argument);
  EXPECT_THROW(Har::fit({1, 2}, {1, 2}, 1), std::invalid_argument);  // too few rows
  std::vector<double> x(20, 1.0), y(20, 0.0);  // constant column = the intercept: singular
  for (int i = 0; i < 20; ++i) y[i] = i;
  EXPECT_NO_THROW(Har::fit(x, y, 1));  // the ridge keeps it solvable
}

}  // namespace
}  // namespace tbml::volatility
