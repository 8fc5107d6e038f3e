#include "tbml/volatility/quantiles.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tbml/volatility/historical.h"

namespace tbml::volatility {
namespace {

TEST(Quantiles, EmpiricalQuantileInterpolatesBetweenOrderStatistics) {
  const std::vector<double> v{5, 1, 4, 2, 3, std::nan("")};  // sorted 1..5, NaN ignored
  EXPECT_DOUBLE_EQ(empirical_quantile(v, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(empirical_quantile(v, 0.5), 3.0);
  EXPECT_DOUBLE_EQ(empirical_quantile(v, 1.0), 5.0);
  EXPECT_DOUBLE_EQ(empirical_quantile(v, 0.1), 1.4);  // position 0.4
  EXPECT_DOUBLE_EQ(empirical_quantile(v, 0.9), 4.6);
  EXPECT_THROW(empirical_quantile(v, 1.5), std::invalid_argument);
  EXPECT_THROW(empirical_quantile({std::nan("")}, 0.5), std::invalid_argument);
}

TEST(Quantiles, StandardisedQuantilesDivideBySigma) {
  // z = -10..10 step 1 (21 values) times σ = 2: returns -20..20 with variance 4.
  std::vector<double> ret, var;
  for (int k = -10; k <= 10; ++k) {
    ret.push_back(2.0 * k);
    var.push_back(4.0);
  }
  const auto q = StandardisedQuantiles::fit(ret, var);
  EXPECT_DOUBLE_EQ(q.z10, -8.0);  // position 2 of 0..20
  EXPECT_DOUBLE_EQ(q.z50, 0.0);
  EXPECT_DOUBLE_EQ(q.z90, 8.0);
  EXPECT_EQ(q.samples, 21u);
  const auto back = StandardisedQuantiles::from_json(q.to_json());
  EXPECT_EQ(back.z10, q.z10);
  EXPECT_EQ(back.z90, q.z90);
  var[3] = 0.0;
  EXPECT_THROW(StandardisedQuantiles::fit(ret, var), std::invalid_argument);
  EXPECT_THROW(StandardisedQuantiles::fit({1.0}, {1.0}), std::invalid_argument);
}

TEST(Historical, MeanRvAndReturnQuantiles) {
  std::vector<double> rv, ret;
  for (int k = 0; k <= 20; ++k) {
    rv.push_back(k);
    ret.push_back(k - 10.0);
  }
  const Historical h = Historical::fit(rv, ret);
  EXPECT_DOUBLE_EQ(h.mean_rv, 10.0);
  EXPECT_DOUBLE_EQ(h.q10, -8.0);
  EXPECT_DOUBLE_EQ(h.q50, 0.0);
  EXPECT_DOUBLE_EQ(h.q90, 8.0);
  const Historical back = Historical::from_json(h.to_json());
  EXPECT_EQ(back.mean_rv, h.mean_rv);
  EXPECT_EQ(back.q90, h.q90);
  EXPECT_THROW(Historical::fit({1.0}, {1.0}), std::invalid_argument);
}

}  // namespace
}  // namespace tbml::volatility
