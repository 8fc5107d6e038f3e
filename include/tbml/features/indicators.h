#pragma once
// Incremental technical indicators with the parameters the core service uses. Every indicator is updated
// in O(1) amortised time per candle (EMAs, Wilder smoothing, windowed sums in small ring buffers,
// monotonic deques for windowed min/max); only CCI's mean absolute deviation walks its 20-value window.
// Degenerate inputs (flat prices, zero ranges, zero volume) have defined values, so nothing is NaN/Inf.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>

#include "tbml/features/candle.h"
#include "tbml/features/ring_buffer.h"

namespace tbml {

// Cleans one candle before any indicator sees it. Throws std::invalid_argument when close is not a
// finite positive number. A missing/invalid open becomes prev_close (or close for the first candle, pass
// prev_close <= 0); invalid high/low become close; high/low are widened to contain open and close; a
// negative or non-finite volume becomes 0.
Candle sanitize_candle(const Candle& raw, double prev_close);

// Exponential moving average seeded with the simple average of its first `period` inputs.
class Ema {
 public:
  explicit Ema(std::size_t period);
  void push(double x);
  bool ready() const { return n_ >= period_; }
  double value() const { return value_; }  // running mean until ready
  std::size_t period() const { return period_; }

 private:
  std::size_t period_;
  double alpha_;
  std::size_t n_ = 0;
  double value_ = 0.0;
};

// Wilder smoothing: the first value is the mean of the first `period` inputs, then
// v = (v * (period - 1) + x) / period.
class WilderAverage {
 public:
  explicit WilderAverage(std::size_t period);
  void push(double x);
  bool ready() const { return n_ >= period_; }
  double value() const { return value_; }

 private:
  std::size_t period_;
  std::size_t n_ = 0;
  double sum_ = 0.0;
  double value_ = 0.0;
};

// Sum, mean and population variance over the last `window` values. Sums are kept relative to an anchor
// (a recent value) and recomputed exactly every `window` pushes, so they neither drift nor lose precision
// to cancellation on large prices; a constant series has variance exactly 0.
class RollingStats {
 public:
  explicit RollingStats(std::size_t window);
  void push(double x);
  bool full() const { return values_.size() == values_.capacity(); }
  std::size_t size() const { return values_.size(); }
  std::size_t window() const { return values_.capacity(); }
  double sum() const;
  double mean() const;
  double variance() const;  // population variance, >= 0
  double stddev() const;
  // i = 0 is the oldest value held.
  double at(std::size_t i) const { return values_[i]; }
  double latest() const { return values_.back(); }

 private:
  void recompute();
  RingBuffer<double> values_;
  double anchor_ = 0.0;
  double s1_ = 0.0;  // sum of (x - anchor)
  double s2_ = 0.0;  // sum of (x - anchor)^2
  std::size_t since_recompute_ = 0;
};

// Maximum (or minimum) of the last `window` values with a monotonic deque: O(1) amortised.
class RollingExtreme {
 public:
  RollingExtreme(std::size_t window, bool is_max);
  void push(double x);
  bool full() const { return count_ >= window_; }
  bool empty() const { return deque_.empty(); }
  double value() const { return deque_.empty() ? 0.0 : deque_.front().second; }

 private:
  std::size_t window_;
  bool is_max_;
  std::uint64_t count_ = 0;
  std::deque<std::pair<std::uint64_t, double>> deque_;
};

// Latest value of every indicator, plus readiness flags. Values of an indicator that is not ready are
// its neutral value (listed next to each field).
struct IndicatorValues {
  std::size_t count = 0;  // candles consumed
  double close = 0.0;

  bool rsi_ready = false;  // RSI 14 (Wilder), needs 15 candles
  double rsi = 50.0;       // 50 when there was no move at all

  bool ema_fast_ready = false, ema_slow_ready = false;  // EMA 12 / EMA 26
  double ema_fast = 0.0, ema_slow = 0.0;
  bool macd_ready = false;         // MACD line from candle 26
  bool macd_signal_ready = false;  // signal (EMA 9 of the line) from candle 34
  double macd_line = 0.0, macd_signal = 0.0, macd_histogram = 0.0;

  bool bollinger_ready = false;  // 20 candles, 2 population standard deviations
  double bb_middle = 0.0, bb_upper = 0.0, bb_lower = 0.0, bb_stddev = 0.0;
  double bb_percent_b = 0.5;  // 0.5 when the bands have zero width
  double bb_bandwidth = 0.0;  // (upper - lower) / middle

  bool sma_fast_ready = false, sma_slow_ready = false;  // SMA 10 / SMA 21
  double sma_fast = 0.0, sma_slow = 0.0;

  bool volume_ready = false;  // volume SMA 20
  double volume = 0.0, volume_sma = 0.0;
  double volume_ratio = 1.0;  // volume / SMA, 1 when the SMA is 0
  double obv = 0.0;           // on-balance volume from the first candle
  double vpt = 0.0;           // volume-price trend from the first candle

  bool stoch_k_ready = false;  // %K 14 (50 on a zero range)
  bool stoch_d_ready = false;  // %D = SMA 3 of %K
  double stoch_k = 50.0, stoch_d = 50.0;

  bool williams_ready = false;  // Williams %R 14 in [-100, 0], -50 on a zero range
  double williams_r = -50.0;

  bool tenkan_ready = false, kijun_ready = false, senkou_b_ready = false;  // 9 / 26 / 52
  double tenkan = 0.0, kijun = 0.0, senkou_a = 0.0, senkou_b = 0.0;
  double cloud_top = 0.0, cloud_bottom = 0.0, cloud_thickness = 0.0;
  int cloud_color = 0;  // +1 bullish (A > B), -1 bearish, 0 when flat or not ready
  bool ichimoku_ready() const { return senkou_b_ready; }

  bool atr_ready = false;  // Wilder 14 of the true range, from candle 15
  double true_range = 0.0, atr = 0.0;
  bool di_ready = false;   // +DI / -DI from candle 15
  bool adx_ready = false;  // ADX (Wilder 14 of DX) from candle 28
  double plus_di = 0.0, minus_di = 0.0, dx = 0.0, adx = 0.0;

  bool cci_ready = false;  // CCI 20, factor 0.015; 0 when the mean deviation is 0
  double typical_price = 0.0, cci_sma = 0.0, cci_mean_deviation = 0.0, cci = 0.0;

  bool sar_ready = false;  // Parabolic SAR 0.02 step / 0.2 max, from candle 2
  double sar = 0.0, sar_ep = 0.0, sar_af = 0.02;
  int sar_trend = 1;          // +1 uptrend, -1 downtrend
  bool sar_reversal = false;  // the trend flipped on the latest candle
};

// Feeds candles one at a time and keeps every indicator current.
class IndicatorEngine {
 public:
  IndicatorEngine();
  // Throws std::invalid_argument for an unusable candle (see sanitize_candle); state is then unchanged.
  void push(const Candle& candle);
  const IndicatorValues& values() const { return v_; }
  std::size_t count() const { return v_.count; }
  void reset();

  // Parameters, identical to the core service's.
  static constexpr std::size_t kRsiPeriod = 14;
  static constexpr std::size_t kMacdFast = 12, kMacdSlow = 26, kMacdSignal = 9;
  static constexpr std::size_t kBollingerPeriod = 20;
  static constexpr double kBollingerK = 2.0;
  static constexpr std::size_t kSmaFast = 10, kSmaSlow = 21;
  static constexpr std::size_t kVolumePeriod = 20;
  static constexpr std::size_t kStochK = 14, kStochD = 3;
  static constexpr std::size_t kWilliamsPeriod = 14;
  static constexpr std::size_t kTenkan = 9, kKijun = 26, kSenkouB = 52;
  static constexpr std::size_t kAdxPeriod = 14;
  static constexpr std::size_t kCciPeriod = 20;
  static constexpr double kCciFactor = 0.015;
  static constexpr double kSarStep = 0.02, kSarMax = 0.2;

 private:
  void update_momentum(const Candle& c);
  void update_bands_and_averages(const Candle& c);
  void update_volume(const Candle& c, double prev_close);
  void update_ranges(const Candle& c);
  void update_directional(const Candle& c, const Candle& prev);
  void update_cci(const Candle& c);
  void update_sar(const Candle& c, const Candle& prev);

  IndicatorValues v_;
  Candle prev_{};
  Candle prev2_{};
  // RSI
  WilderAverage avg_gain_{kRsiPeriod}, avg_loss_{kRsiPeriod};
  // MACD
  Ema ema_fast_{kMacdFast}, ema_slow_{kMacdSlow}, macd_signal_{kMacdSignal};
  // Bollinger, SMAs, volume
  RollingStats bb_{kBollingerPeriod}, sma_fast_{kSmaFast}, sma_slow_{kSmaSlow};
  RollingStats volume_sma_{kVolumePeriod};
  // Stochastic / Williams (same 14 window), %D
  RollingExtreme high14_{kStochK, true}, low14_{kStochK, false};
  RollingStats stoch_d_{kStochD};
  // Ichimoku
  RollingExtreme high9_{kTenkan, true}, low9_{kTenkan, false};
  RollingExtreme high26_{kKijun, true}, low26_{kKijun, false};
  RollingExtreme high52_{kSenkouB, true}, low52_{kSenkouB, false};
  // ADX / ATR
  WilderAverage atr_{kAdxPeriod}, plus_dm_{kAdxPeriod}, minus_dm_{kAdxPeriod}, adx_{kAdxPeriod};
  // CCI: typical prices (mean deviation needs the window itself)
  RollingStats typical_{kCciPeriod};
};

}  // namespace tbml
