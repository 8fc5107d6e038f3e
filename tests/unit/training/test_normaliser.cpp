#include "tbml/training/normaliser.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tbml {
namespace {

TEST(Normaliser, FitsOnSelectedRowsOnly) {
  // 4 rows x 2 features; the last row (a "test" row with huge values) is excluded.
  std::vector<float> rows{1, 5, 3, 5, 5, 5, 1000, -1000};
  const auto n = Normaliser::fit(rows.data(), 2, {1, 1, 1, 0});
  EXPECT_DOUBLE_EQ(n.mean()[0], 3.0);
  EXPECT_NEAR(n.stddev()[0], std::sqrt(8.0 / 3.0), 1e-12);
  EXPECT_DOUBLE_EQ(n.mean()[1], 5.0);
  EXPECT_DOUBLE_EQ(n.stddev()[1], 1.0);  // constant feature
  std::vector<float> apply = rows;
  n.apply(apply.data(), 4);
  EXPECT_NEAR(apply[0], -2.0 / std::sqrt(8.0 / 3.0), 1e-6);
  EXPECT_FLOAT_EQ(apply[1], 0.0f);
  EXPECT_FLOAT_EQ(apply[6], 5.0f);   // clipped
  EXPECT_FLOAT_EQ(apply[7], -5.0f);  // clipped
}

TEST(Normaliser, NonFiniteInputBecomesMean) {
  std::vector<float> rows{1, 2, 3};
  const auto n = Normaliser::fit(rows.data(), 1, {1, 1, 1});
  float x[2] = {std::nanf(""), INFINITY};
  n.apply(x, 2);
  EXPECT_EQ(x[0], 0.0f);
  EXPECT_EQ(x[1], 0.0f);
}

TEST(Normaliser, JsonRoundTrip) {
  std::vector<float> rows{1, 5, 3, 7, 5, 9};
  const auto n = Normaliser::fit(rows.data(), 2, {1, 1, 1}, 3.0);
  const auto back = Normaliser::from_json(nlohmann::json::parse(n.to_json().dump()));
  EXPECT_EQ(back.mean(), n.mean());
  EXPECT_EQ(back.stddev(), n.stddev());
  EXPECT_EQ(back.clip(), 3.0);
}

TEST(Normaliser, RejectsBadJson) {
  EXPECT_THROW(Normaliser::from_json(nlohmann::json::object()), std::invalid_argument);
  EXPECT_THROW(Normaliser::from_json({{"mean", {1.0}}, {"std", {0.0}}, {"clip", 5.0}}), std::invalid_argument);
  EXPECT_THROW(Normaliser::from_json({{"mean", {1.0, 2.0}}, {"std", {1.0}}, {"clip", 5.0}}),
               std::invalid_argument);
  EXPECT_THROW(Normaliser::from_json({{"mean", "x"}, {"std", {1.0}}, {"clip", 5.0}}), std::invalid_argument);
}

}  // namespace
}  // namespace tbml
