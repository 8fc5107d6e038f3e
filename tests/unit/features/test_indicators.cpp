// Indicators against hand-worked values, textbook examples and brute-force recomputation.
#include "tbml/features/indicators.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

namespace tbml {
namespace {

Candle bar(double high, double low, double close, double volume = 1.0, double open = 0.0) {
  static std::int64_t ts = 0;
  Candle c;
  c.timestamp = (ts += 3600000);
  c.open = open;
  c.high = high;
  c.low = low;
  c.close = close;
  c.volume = volume;
  return c;
}

Candle point(double close, double volume = 1.0) { return bar(close, close, close, volume, close); }

void expect_all_finite(const IndicatorValues& v) {
  const double xs[] = {v.rsi,        v.ema_fast,   v.ema_slow,    v.macd_line,     v.macd_signal,
                       v.macd_histogram, v.bb_middle, v.bb_upper, v.bb_lower,      v.bb_stddev,
                       v.bb_percent_b, v.bb_bandwidth, v.sma_fast, v.sma_slow,      v.volume_sma,
                       v.volume_ratio, v.obv,       v.vpt,         v.stoch_k,       v.stoch_d,
                       v.williams_r, v.tenkan,     v.kijun,       v.senkou_a,      v.senkou_b,
                       v.cloud_thickness, v.true_range, v.atr,    v.plus_di,       v.minus_di,
                       v.dx,         v.adx,        v.cci,         v.cci_mean_deviation, v.sar,
                       v.sar_ep,     v.sar_af};
  for (double x : xs) EXPECT_TRUE(std::isfinite(x));
}

TEST(BuildingBlocks, EmaSeedsWithSmaThenSmooths) {
  Ema ema(3);  // alpha = 0.5
  for (double x : {1.0, 2.0, 3.0}) ema.push(x);
  EXPECT_TRUE(ema.ready());
  EXPECT_DOUBLE_EQ(ema.value(), 2.0);
  ema.push(4.0);
  EXPECT_DOUBLE_EQ(ema.value(), 3.0);
  ema.push(5.0);
  EXPECT_DOUBLE_EQ(ema.value(), 4.0);
}

TEST(BuildingBlocks, WilderAverage) {
  WilderAverage w(3);
  w.push(3);
  w.push(6);
  EXPECT_FALSE(w.ready());
  w.push(9);
  EXPECT_TRUE(w.ready());
  EXPECT_DOUBLE_EQ(w.value(), 6.0);
  w.push(12);
  EXPECT_DOUBLE_EQ(w.value(), 8.0);  // (6 * 2 + 12) / 3
}

TEST(BuildingBlocks, RollingStatsTextbookStd) {
  RollingStats s(8);
  for (double x : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}) s.push(x);
  EXPECT_DOUBLE_EQ(s.mean(), 5.0);
  EXPECT_DOUBLE_EQ(s.stddev(), 2.0);  // the classic population-std example
  RollingStats w(4);
  for (double x : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}) w.push(x);
  EXPECT_DOUBLE_EQ(w.mean(), 6.5);
  EXPECT_DOUBLE_EQ(w.variance(), 2.75);
  EXPECT_DOUBLE_EQ(w.sum(), 26.0);
}

TEST(BuildingBlocks, RollingStatsFlatIsExactlyZeroVariance) {
  RollingStats s(20);
  for (int i = 0; i < 100; ++i) s.push(43127.37);
  EXPECT_EQ(s.variance(), 0.0);
  EXPECT_DOUBLE_EQ(s.mean(), 43127.37);
}

TEST(BuildingBlocks, RollingExtremeMonotonicDeque) {
  RollingExtreme mx(3, true), mn(3, false);
  const std::vector<double> xs{5, 1, 3, 2, 4};
  const std::vector<double> want_max{5, 5, 5, 3, 4}, want_min{5, 1, 1, 1, 2};
  for (std::size_t i = 0; i < xs.size(); ++i) {
    mx.push(xs[i]);
    mn.push(xs[i]);
    EXPECT_EQ(mx.value(), want_max[i]) << i;
    EXPECT_EQ(mn.value(), want_min[i]) << i;
  }
}

TEST(BuildingBlocks, RollingWindowsMatchBruteForceOnLargePrices) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> step(0.0, 50.0);
  RollingStats s(20);
  RollingExtreme mx(14, true), mn(14, false);
  std::vector<double> xs;
  double x = 60000.0;
  for (int i = 0; i < 3000; ++i) {
    x += step(rng);
    xs.push_back(x);
    s.push(x);
    mx.push(x);
    mn.push(x);
    if (xs.size() < 20) continue;
    double mean = 0, var = 0;
    for (std::size_t j = xs.size() - 20; j < xs.size(); ++j) mean += xs[j];
    mean /= 20;
    for (std::size_t j = xs.size() - 20; j < xs.size(); ++j) var += (xs[j] - mean) * (xs[j] - mean);
    var /= 20;
    ASSERT_NEAR(s.mean(), mean, 1e-8);
    ASSERT_NEAR(s.variance(), var, 1e-6 * std::max(1.0, var));
    const auto first = xs.end() - 14;
    ASSERT_EQ(mx.value(), *std::max_element(first, xs.end()));
    ASSERT_EQ(mn.value(), *std::min_element(first, xs.end()));
  }
}

TEST(Sanitize, FillsOpenAndWidensRange) {
  Candle raw;
  raw.timestamp = 1;
  raw.open = 0.0;  // core has no open
  raw.high = 9.0;  // below the close: widened
  raw.low = 8.0;
  raw.close = 10.0;
  raw.volume = -3;
  const Candle c = sanitize_candle(raw, 9.5);
  EXPECT_EQ(c.open, 9.5);
  EXPECT_EQ(c.high, 10.0);
  EXPECT_EQ(c.low, 8.0);
  EXPECT_EQ(c.volume, 0.0);
  raw.close = 0.0;
  EXPECT_THROW(sanitize_candle(raw, 9.5), std::invalid_argument);
  raw.close = std::nan("");
  EXPECT_THROW(sanitize_candle(raw, 9.5), std::invalid_argument);
}

TEST(IndicatorEngine, WilderRsiHandWorked) {
  // 14 changes: seven +1 and seven -1 -> avg gain = avg loss = 0.5 -> RSI 50.
  IndicatorEngine e;
  double c = 100;
  e.push(point(c));
  for (int i = 0; i < 14; ++i) {
    c += (i % 2 == 0) ? 1.0 : -1.0;
    e.push(point(c));
    EXPECT_EQ(e.values().rsi_ready, i == 13);
  }
  EXPECT_DOUBLE_EQ(e.values().rsi, 50.0);
  // +2: gain = (0.5 * 13 + 2) / 14 = 8.5 / 14, loss = 6.5 / 14 -> RSI = 100 * 8.5 / 15.
  e.push(point(c + 2));
  EXPECT_NEAR(e.values().rsi, 100.0 * 8.5 / 15.0, 1e-9);
}

TEST(IndicatorEngine, WilderRsiTextbookSeries) {
  // The widely published StockCharts RSI(14) worked example (its spreadsheet's 4-decimal closes).
  const std::vector<double> closes{44.3389, 44.0902, 44.1497, 43.6124, 44.3278, 44.8264, 45.0955,
                                   45.4245, 45.8433, 46.0826, 45.8931, 46.0328, 45.6140, 46.2820,
                                   46.2820, 46.0028, 46.0328, 46.4116, 46.2222, 45.6439};
  const std::vector<double> want{70.53, 66.32, 66.55, 69.41, 66.36, 57.97};
  IndicatorEngine e;
  for (std::size_t i = 0; i < closes.size(); ++i) {
    e.push(point(closes[i]));
    if (i >= 14) {
      EXPECT_NEAR(e.values().rsi, want[i - 14], 0.01) << "at " << i;
    }
  }
}

TEST(IndicatorEngine, LinearSeriesMovingAveragesAndMacd) {
  // For x_t = t an SMA-seeded EMA(p) is exactly t - (p - 1) / 2 forever, so MACD = 12.5 - 5.5 = 7.
  IndicatorEngine e;
  for (int t = 1; t <= 40; ++t) {
    e.push(point(t));
    const auto& v = e.values();
    EXPECT_EQ(v.macd_ready, t >= 26);
    EXPECT_EQ(v.macd_signal_ready, t >= 34);
    if (t >= 12) {
      EXPECT_NEAR(v.ema_fast, t - 5.5, 1e-9);
    }
    if (t >= 26) {
      EXPECT_NEAR(v.macd_line, 7.0, 1e-9);
    }
    if (t >= 34) {
      EXPECT_NEAR(v.macd_signal, 7.0, 1e-9);
      EXPECT_NEAR(v.macd_histogram, 0.0, 1e-9);
    }
  }
  EXPECT_DOUBLE_EQ(e.values().sma_fast, 35.5);  // mean of 31..40
  EXPECT_DOUBLE_EQ(e.values().sma_slow, 30.0);  // mean of 20..40
}

TEST(IndicatorEngine, BollingerOnAlternatingSeries) {
  IndicatorEngine e;
  for (int i = 0; i < 20; ++i) e.push(point(i % 2 == 0 ? 1.0 : 3.0));
  const auto& v = e.values();
  ASSERT_TRUE(v.bollinger_ready);
  EXPECT_DOUBLE_EQ(v.bb_middle, 2.0);
  EXPECT_DOUBLE_EQ(v.bb_stddev, 1.0);
  EXPECT_DOUBLE_EQ(v.bb_upper, 4.0);
  EXPECT_DOUBLE_EQ(v.bb_lower, 0.0);
  EXPECT_DOUBLE_EQ(v.bb_percent_b, 0.75);  // last close 3
  EXPECT_DOUBLE_EQ(v.bb_bandwidth, 2.0);
}

TEST(IndicatorEngine, StochasticAndWilliamsHandSeries) {
  // Candle t: high 10 + t, low t, close t + 5. For t >= 14 the window has HH = 10 + t, LL = t - 13.
  IndicatorEngine e;
  for (int t = 1; t <= 16; ++t) {
    e.push(bar(10 + t, t, t + 5));
    const auto& v = e.values();
    EXPECT_EQ(v.stoch_k_ready, t >= 14);
    EXPECT_EQ(v.stoch_d_ready, t >= 16);
    if (t >= 14) {
      EXPECT_NEAR(v.stoch_k, 100.0 * 18.0 / 23.0, 1e-9);
      EXPECT_NEAR(v.williams_r, -100.0 * 5.0 / 23.0, 1e-9);
    }
  }
  EXPECT_NEAR(e.values().stoch_d, 100.0 * 18.0 / 23.0, 1e-9);
}

TEST(IndicatorEngine, StochasticFirstWindow) {
  IndicatorEngine e;
  for (int t = 1; t <= 13; ++t) e.push(bar(10 + t, t, t + 5));
  e.push(bar(24, 14, 20));  // HH 24, LL 1
  EXPECT_NEAR(e.values().stoch_k, 100.0 * 19.0 / 23.0, 1e-9);
  EXPECT_NEAR(e.values().williams_r, -100.0 * 4.0 / 23.0, 1e-9);
}

TEST(IndicatorEngine, AdxOnSteadyUptrend) {
  // high t + 1, low t - 1, close t: TR = 2, +DM = 1, -DM = 0 -> +DI 50, -DI 0, DX 100, ADX 100.
  IndicatorEngine e;
  for (int t = 10; t < 10 + 30; ++t) {
    e.push(bar(t + 1, t - 1, t));
    const std::size_t n = e.count();
    EXPECT_EQ(e.values().di_ready, n >= 15);
    EXPECT_EQ(e.values().adx_ready, n >= 28);
  }
  const auto& v = e.values();
  EXPECT_DOUBLE_EQ(v.atr, 2.0);
  EXPECT_DOUBLE_EQ(v.plus_di, 50.0);
  EXPECT_DOUBLE_EQ(v.minus_di, 0.0);
  EXPECT_DOUBLE_EQ(v.dx, 100.0);
  EXPECT_DOUBLE_EQ(v.adx, 100.0);
}

TEST(IndicatorEngine, CciHandWorked) {
  // TP = 1..20: SMA 10.5, mean deviation 5, CCI = 9.5 / (0.015 * 5).
  IndicatorEngine e;
  for (int i = 1; i <= 20; ++i) e.push(point(i));
  ASSERT_TRUE(e.values().cci_ready);
  EXPECT_DOUBLE_EQ(e.values().cci_sma, 10.5);
  EXPECT_DOUBLE_EQ(e.values().cci_mean_deviation, 5.0);
  EXPECT_NEAR(e.values().cci, 9.5 / 0.075, 1e-9);
}

TEST(IndicatorEngine, ParabolicSarHandWorked) {
  IndicatorEngine e;
  e.push(bar(10, 9, 9.5));
  e.push(bar(11, 10, 10.5));  // uptrend: SAR starts at low 9, EP 10 -> 9.02 clamped to 9; EP 11, AF .04
  EXPECT_EQ(e.values().sar_trend, 1);
  EXPECT_DOUBLE_EQ(e.values().sar, 9.0);
  EXPECT_DOUBLE_EQ(e.values().sar_af, 0.04);
  e.push(bar(12, 11, 11.5));  // 9 + .04 * 2 = 9.08 clamped to low 9 two candles back
  EXPECT_DOUBLE_EQ(e.values().sar, 9.0);
  EXPECT_DOUBLE_EQ(e.values().sar_ep, 12.0);
  e.push(bar(13, 12, 12.5));  // 9 + .06 * 3 = 9.18
  EXPECT_NEAR(e.values().sar, 9.18, 1e-12);
  EXPECT_NEAR(e.values().sar_af, 0.08, 1e-12);
  e.push(bar(13, 8, 8.5));  // 9.18 + .08 * 3.82 = 9.4856 > low 8: reversal, SAR = EP 13
  const auto& v = e.values();
  EXPECT_EQ(v.sar_trend, -1);
  EXPECT_TRUE(v.sar_reversal);
  EXPECT_DOUBLE_EQ(v.sar, 13.0);
  EXPECT_DOUBLE_EQ(v.sar_ep, 8.0);
  EXPECT_DOUBLE_EQ(v.sar_af, 0.02);
}

TEST(IndicatorEngine, IchimokuLines) {
  // high t + 2, low t, close t + 1 for t = 1..60: midpoints are simple to write down.
  IndicatorEngine e;
  for (int t = 1; t <= 60; ++t) e.push(bar(t + 2, t, t + 1));
  const auto& v = e.values();
  ASSERT_TRUE(v.ichimoku_ready());
  EXPECT_DOUBLE_EQ(v.tenkan, (62.0 + 52.0) / 2);  // highs up to 62, lows from 52
  EXPECT_DOUBLE_EQ(v.kijun, (62.0 + 35.0) / 2);
  EXPECT_DOUBLE_EQ(v.senkou_a, (v.tenkan + v.kijun) / 2);
  EXPECT_DOUBLE_EQ(v.senkou_b, (62.0 + 9.0) / 2);
  EXPECT_EQ(v.cloud_color, 1);
  EXPECT_DOUBLE_EQ(v.cloud_thickness, v.senkou_a - v.senkou_b);
}

TEST(IndicatorEngine, VolumeObvVpt) {
  IndicatorEngine e;
  e.push(point(10, 100));
  e.push(point(11, 200));  // up: OBV +200, VPT += 200 * 0.1
  e.push(point(11, 50));   // flat: OBV unchanged
  e.push(point(10, 300));  // down: OBV -300, VPT += 300 * (-1/11)
  EXPECT_DOUBLE_EQ(e.values().obv, -100.0);
  EXPECT_NEAR(e.values().vpt, 20.0 - 300.0 / 11.0, 1e-12);
}

TEST(IndicatorEngine, FlatSeriesHasDefinedNeutralValues) {
  IndicatorEngine e;
  for (int i = 0; i < 80; ++i) e.push(point(250.0));
  const auto& v = e.values();
  EXPECT_TRUE(v.rsi_ready && v.adx_ready && v.cci_ready && v.ichimoku_ready() && v.macd_signal_ready);
  EXPECT_EQ(v.rsi, 50.0);
  EXPECT_EQ(v.stoch_k, 50.0);
  EXPECT_EQ(v.stoch_d, 50.0);
  EXPECT_EQ(v.williams_r, -50.0);
  EXPECT_EQ(v.bb_percent_b, 0.5);
  EXPECT_EQ(v.bb_bandwidth, 0.0);
  EXPECT_EQ(v.cci, 0.0);
  EXPECT_EQ(v.adx, 0.0);
  EXPECT_EQ(v.plus_di, 0.0);
  EXPECT_EQ(v.macd_line, 0.0);
  EXPECT_EQ(v.cloud_color, 0);
  expect_all_finite(v);
}

TEST(IndicatorEngine, ZeroVolumeAndNoRangeStayFinite) {
  IndicatorEngine e;
  for (int i = 0; i < 60; ++i) e.push(point(100.0 + (i % 3), 0.0));
  const auto& v = e.values();
  EXPECT_EQ(v.volume_ratio, 1.0);
  EXPECT_EQ(v.obv, 0.0);
  EXPECT_EQ(v.vpt, 0.0);
  expect_all_finite(v);
}

TEST(IndicatorEngine, TooShortHistoryIsNotReady) {
  IndicatorEngine e;
  e.push(point(100.0));
  const auto& v = e.values();
  EXPECT_FALSE(v.rsi_ready || v.macd_ready || v.bollinger_ready || v.sma_fast_ready || v.volume_ready ||
               v.stoch_k_ready || v.williams_ready || v.tenkan_ready || v.di_ready || v.cci_ready ||
               v.sar_ready || v.atr_ready);
  EXPECT_EQ(v.rsi, 50.0);
  expect_all_finite(v);
}

TEST(IndicatorEngine, InvalidCandleThrowsAndLeavesStateUnchanged) {
  IndicatorEngine e;
  e.push(point(100.0));
  EXPECT_THROW(e.push(point(-1.0)), std::invalid_argument);
  EXPECT_EQ(e.count(), 1u);
  e.reset();
  EXPECT_EQ(e.count(), 0u);
}

TEST(IndicatorEngine, HugeJumpsStayFinite) {
  IndicatorEngine e;
  for (int i = 0; i < 100; ++i) e.push(point(i % 2 == 0 ? 1e-6 : 1e9, i % 5 == 0 ? 0.0 : 1e12));
  expect_all_finite(e.values());
}

}  // namespace
}  // namespace tbml
