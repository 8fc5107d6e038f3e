#include <cmath>
#include <stdexcept>

#include <gtest/gtest.h>

#include "tbml/decision/uncertainty.h"

using namespace tbml::decision;

TEST(Uncertainty, MemberSpreadByHand) {
  const MemberSpread s = member_spread({0.4, 0.5, 0.6});
  EXPECT_EQ(s.members, 3u);
  EXPECT_NEAR(s.mean, 0.5, 1e-12);
  EXPECT_NEAR(s.std, std::sqrt(0.02 / 3.0), 1e-12);
  EXPECT_DOUBLE_EQ(s.min, 0.4);
  EXPECT_DOUBLE_EQ(s.max, 0.6);
  EXPECT_EQ(member_spread({0.7}).std, 0.0);
  EXPECT_THROW(member_spread({}), std::invalid_argument);
  EXPECT_THROW(member_spread({0.5, 1.1}), std::invalid_argument);
}

TEST(Uncertainty, QuantileInterpolatesLinearly) {
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_NEAR(quantile({4, 1, 3, 2}, 0.1), 1.3, 1e-12);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(quantile({7}, 0.3), 7.0);
  EXPECT_THROW(quantile({}, 0.5), std::invalid_argument);
  EXPECT_THROW(quantile({1}, 1.5), std::invalid_argument);
}

TEST(Uncertainty, SampleIntervalIsTheCentralQuantiles) {
  std::vector<double> s;
  for (int i = 0; i <= 10; ++i) s.push_back(i / 10.0);
  const SampleInterval iv = sample_interval(s, 0.8);
  EXPECT_EQ(iv.passes, 11u);
  EXPECT_NEAR(iv.lower, 0.1, 1e-12);
  EXPECT_NEAR(iv.upper, 0.9, 1e-12);
  EXPECT_NEAR(iv.mean, 0.5, 1e-12);
  EXPECT_EQ(iv.to_json().at("passes"), 11);
  EXPECT_THROW(sample_interval({}, 0.8), std::invalid_argument);
  EXPECT_THROW(sample_interval({0.5}, 1.0), std::invalid_argument);
}
