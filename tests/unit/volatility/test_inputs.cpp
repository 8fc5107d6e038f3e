#include "tbml/volatility/inputs.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tbml/volatility/realised.h"
#include "unit/volatility/garch_sim.h"

namespace tbml::volatility {
namespace {

TEST(Inputs, RowMatchesItsPieces) {
  const Series s = test::garch_series(400);
  const auto r = log_returns(s);
  const Ewma e = Ewma::fit(r, 0, 300);
  const Garch g = Garch::fit(r, 0, 300);
  InputSpec spec;
  spec.horizon = 5;
  spec.floor = 1e-12;
  std::vector<float> x(spec.base_width() + s.width);
  InputRow row;
  const std::size_t t = 350;
  ASSERT_TRUE(compute_inputs(r, t, spec, e, g, row));
  write_tree_inputs(row, spec, s.row(t), s.width, x.data());
  double v24 = 0.0;
  ASSERT_TRUE(lookback_variance(r, t, 24, 5, v24));
  EXPECT_DOUBLE_EQ(row.log_lookbacks[2], std::log(v24));
  EXPECT_FLOAT_EQ(x[2], static_cast<float>(std::log(v24)));
  EXPECT_DOUBLE_EQ(row.ewma_variance, e.forecast(r, t, 5, 200));
  EXPECT_DOUBLE_EQ(row.garch_variance, g.forecast(r, t, 5, 200));
  EXPECT_FLOAT_EQ(x[5], static_cast<float>(std::log(row.garch_variance)));
  EXPECT_EQ(x[6], s.row(t)[0]);
  EXPECT_EQ(x.back(), s.row(t)[s.width - 1]);
  EXPECT_EQ(spec.min_candles(), 201u);
  const auto names = input_names(spec, {}, s.width);
  EXPECT_EQ(names.size(), x.size());
  EXPECT_EQ(names[0], "log_rv_1");
  EXPECT_EQ(names[5], "log_garch");
}

TEST(Inputs, TooEarlyOrJustAfterAGapIsRefusedWithAReason) {
  Series s = test::garch_series(400);
  s.gap_before[300] = 1;
  const auto r = log_returns(s);
  const Ewma e = Ewma::fit(r, 0, 250);
  const Garch g = Garch::fit(r, 0, 250);
  InputSpec spec;
  spec.floor = 1e-12;
  InputRow row;
  std::string why;
  EXPECT_FALSE(compute_inputs(r, 100, spec, e, g, row, &why));  // 120-candle lookback
  EXPECT_NE(why.find("120"), std::string::npos) << why;
  EXPECT_FALSE(compute_inputs(r, 300, spec, e, g, row, &why));  // r_300 missing: last 1 empty
  EXPECT_TRUE(compute_inputs(r, 301, spec, e, g, row, &why));
}

}  // namespace
}  // namespace tbml::volatility
