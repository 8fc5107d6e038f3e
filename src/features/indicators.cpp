#include "tbml/features/indicators.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tbml {

namespace {

// A standard deviation this small relative to the level is rounding noise, not volatility.
bool negligible(double spread, double level) { return spread <= 1e-10 * std::fabs(level); }

}  // namespace

Candle sanitize_candle(const Candle& raw, double prev_close) {
  if (!usable_price(raw.close)) {
    throw std::invalid_argument("candle at " + std::to_string(raw.timestamp) +
                                " has an unusable close (must be finite and > 0)");
  }
  Candle c = raw;
  if (!usable_price(c.high)) c.high = c.close;
  if (!usable_price(c.low)) c.low = c.close;
  if (!usable_volume(c.volume)) c.volume = 0.0;
  return complete_candle(c, prev_close);
}

// ---- building blocks ----

Ema::Ema(std::size_t period) : period_(period), alpha_(2.0 / (static_cast<double>(period) + 1.0)) {
  if (period == 0) throw std::invalid_argument("Ema period must be > 0");
}

void Ema::push(double x) {
  ++n_;
  if (n_ <= period_) {
    value_ += (x - value_) / static_cast<double>(n_);  // running mean = SMA seed at n == period
  } else {
    value_ = alpha_ * x + (1.0 - alpha_) * value_;
  }
}

WilderAverage::WilderAverage(std::size_t period) : period_(period) {
  if (period == 0) throw std::invalid_argument("WilderAverage period must be > 0");
}

void WilderAverage::push(double x) {
  ++n_;
  const double p = static_cast<double>(period_);
  if (n_ < period_) {
    sum_ += x;
    value_ = sum_ / static_cast<double>(n_);
  } else if (n_ == period_) {
    sum_ += x;
    value_ = sum_ / p;
  } else {
    value_ = (value_ * (p - 1.0) + x) / p;
  }
}

RollingStats::RollingStats(std::size_t window) : values_(window) {}

void RollingStats::push(double x) {
  if (values_.empty()) anchor_ = x;
  if (full()) {
    const double old = values_[0] - anchor_;
    s1_ -= old;
    s2_ -= old * old;
  }
  values_.push(x);
  const double d = x - anchor_;
  s1_ += d;
  s2_ += d * d;
  if (++since_recompute_ >= values_.capacity()) recompute();
}

void RollingStats::recompute() {
  // Re-anchor on the newest value (exact for flat series) and rebuild the sums: O(window) every
  // window pushes, so O(1) amortised.
  anchor_ = values_.back();
  s1_ = s2_ = 0.0;
  for (std::size_t i = 0; i < values_.size(); ++i) {
    const double d = values_[i] - anchor_;
    s1_ += d;
    s2_ += d * d;
  }
  since_recompute_ = 0;
}

double RollingStats::sum() const { return s1_ + anchor_ * static_cast<double>(values_.size()); }

double RollingStats::mean() const {
  if (values_.empty()) return 0.0;
  return anchor_ + s1_ / static_cast<double>(values_.size());
}

double RollingStats::variance() const {
  if (values_.empty()) return 0.0;
  const double n = static_cast<double>(values_.size());
  const double m = s1_ / n;
  return std::max(0.0, s2_ / n - m * m);
}

double RollingStats::stddev() const { return std::sqrt(variance()); }

RollingExtreme::RollingExtreme(std::size_t window, bool is_max) : window_(window), is_max_(is_max) {
  if (window == 0) throw std::invalid_argument("RollingExtreme window must be > 0");
}

void RollingExtreme::push(double x) {
  const std::uint64_t index = count_++;
  // Drop values that can never be the extreme again: dominated by the newer x.
  while (!deque_.empty() && (is_max_ ? deque_.back().second <= x : deque_.back().second >= x)) {
    deque_.pop_back();
  }
  deque_.emplace_back(index, x);
  while (deque_.front().first + window_ <= index) deque_.pop_front();
}

// ---- the engine ----

IndicatorEngine::IndicatorEngine() = default;

void IndicatorEngine::reset() { *this = IndicatorEngine(); }

void IndicatorEngine::push(const Candle& raw) {
  const double prev_close = v_.count > 0 ? prev_.close : 0.0;
  const Candle c = sanitize_candle(raw, prev_close);  // may throw; nothing changed yet

  ++v_.count;
  v_.close = c.close;
  update_momentum(c);
  update_bands_and_averages(c);
  update_volume(c, prev_close);
  update_ranges(c);
  if (v_.count >= 2) {
    update_directional(c, prev_);
    update_sar(c, prev_);
  } else {
    v_.true_range = c.high - c.low;
  }
  update_cci(c);
  prev2_ = v_.count >= 2 ? prev_ : c;
  prev_ = c;
}

void IndicatorEngine::update_momentum(const Candle& c) {
  if (v_.count >= 2) {
    const double change = c.close - prev_.close;
    avg_gain_.push(change > 0.0 ? change : 0.0);
    avg_loss_.push(change < 0.0 ? -change : 0.0);
    v_.rsi_ready = avg_gain_.ready();
    if (v_.rsi_ready) {
      const double g = avg_gain_.value(), l = avg_loss_.value();
      // 100 * G / (G + L) equals 100 - 100 / (1 + G/L) and is defined when L == 0; no move at all = 50.
      v_.rsi = (g + l) > 0.0 ? 100.0 * g / (g + l) : 50.0;
    }
  }

  ema_fast_.push(c.close);
  ema_slow_.push(c.close);
  v_.ema_fast_ready = ema_fast_.ready();
  v_.ema_slow_ready = ema_slow_.ready();
  v_.ema_fast = ema_fast_.value();
  v_.ema_slow = ema_slow_.value();
  if (v_.ema_slow_ready) {
    v_.macd_ready = true;
    v_.macd_line = v_.ema_fast - v_.ema_slow;
    macd_signal_.push(v_.macd_line);
    v_.macd_signal_ready = macd_signal_.ready();
    if (v_.macd_signal_ready) {
      v_.macd_signal = macd_signal_.value();
      v_.macd_histogram = v_.macd_line - v_.macd_signal;
    }
  }
}

void IndicatorEngine::update_bands_and_averages(const Candle& c) {
  bb_.push(c.close);
  sma_fast_.push(c.close);
  sma_slow_.push(c.close);
  v_.sma_fast_ready = sma_fast_.full();
  v_.sma_slow_ready = sma_slow_.full();
  if (v_.sma_fast_ready) v_.sma_fast = sma_fast_.mean();
  if (v_.sma_slow_ready) v_.sma_slow = sma_slow_.mean();

  v_.bollinger_ready = bb_.full();
  if (!v_.bollinger_ready) return;
  const double mid = bb_.mean();
  double sd = bb_.stddev();
  if (negligible(sd, mid)) sd = 0.0;
  v_.bb_middle = mid;
  v_.bb_stddev = sd;
  v_.bb_upper = mid + kBollingerK * sd;
  v_.bb_lower = mid - kBollingerK * sd;
  if (sd > 0.0) {
    v_.bb_percent_b = (c.close - v_.bb_lower) / (v_.bb_upper - v_.bb_lower);
    v_.bb_bandwidth = (v_.bb_upper - v_.bb_lower) / mid;
  } else {
    v_.bb_percent_b = 0.5;
    v_.bb_bandwidth = 0.0;
  }
}

void IndicatorEngine::update_volume(const Candle& c, double prev_close) {
  v_.volume = c.volume;
  volume_sma_.push(c.volume);
  v_.volume_ready = volume_sma_.full();
  if (v_.volume_ready) {
    v_.volume_sma = std::max(0.0, volume_sma_.mean());
    v_.volume_ratio = v_.volume_sma > 0.0 ? c.volume / v_.volume_sma : 1.0;
  }
  if (v_.count >= 2) {
    if (c.close > prev_close) v_.obv += c.volume;
    if (c.close < prev_close) v_.obv -= c.volume;
    v_.vpt += c.volume * (c.close - prev_close) / prev_close;
  }
}

void IndicatorEngine::update_ranges(const Candle& c) {
  high14_.push(c.high);
  low14_.push(c.low);
  if (high14_.full()) {
    const double hh = high14_.value(), ll = low14_.value();
    const double range = hh - ll;
    v_.stoch_k_ready = v_.williams_ready = true;
    v_.stoch_k = range > 0.0 ? 100.0 * (c.close - ll) / range : 50.0;
    v_.williams_r = range > 0.0 ? -100.0 * (hh - c.close) / range : -50.0;
    stoch_d_.push(v_.stoch_k);
    v_.stoch_d_ready = stoch_d_.full();
    if (v_.stoch_d_ready) v_.stoch_d = stoch_d_.mean();
  }

  high9_.push(c.high);
  low9_.push(c.low);
  high26_.push(c.high);
  low26_.push(c.low);
  high52_.push(c.high);
  low52_.push(c.low);
  v_.tenkan_ready = high9_.full();
  v_.kijun_ready = high26_.full();
  v_.senkou_b_ready = high52_.full();
  if (v_.tenkan_ready) v_.tenkan = 0.5 * (high9_.value() + low9_.value());
  if (v_.kijun_ready) {
    v_.kijun = 0.5 * (high26_.value() + low26_.value());
    v_.senkou_a = 0.5 * (v_.tenkan + v_.kijun);
  }
  if (v_.senkou_b_ready) {
    // The cloud at the current point, computed from current values (as core does, not displaced).
    v_.senkou_b = 0.5 * (high52_.value() + low52_.value());
    v_.cloud_top = std::max(v_.senkou_a, v_.senkou_b);
    v_.cloud_bottom = std::min(v_.senkou_a, v_.senkou_b);
    v_.cloud_thickness = v_.cloud_top - v_.cloud_bottom;
    v_.cloud_color = v_.senkou_a > v_.senkou_b ? 1 : (v_.senkou_a < v_.senkou_b ? -1 : 0);
  }
}

void IndicatorEngine::update_directional(const Candle& c, const Candle& prev) {
  v_.true_range = std::max({c.high - c.low, std::fabs(c.high - prev.close), std::fabs(c.low - prev.close)});
  const double up = c.high - prev.high;
  const double down = prev.low - c.low;
  atr_.push(v_.true_range);
  plus_dm_.push(up > down && up > 0.0 ? up : 0.0);
  minus_dm_.push(down > up && down > 0.0 ? down : 0.0);
  if (!atr_.ready()) return;

  v_.atr_ready = v_.di_ready = true;
  v_.atr = atr_.value();
  // A market that never moved has no direction: both DIs 0, DX 0.
  v_.plus_di = v_.atr > 0.0 ? 100.0 * plus_dm_.value() / v_.atr : 0.0;
  v_.minus_di = v_.atr > 0.0 ? 100.0 * minus_dm_.value() / v_.atr : 0.0;
  const double di_sum = v_.plus_di + v_.minus_di;
  v_.dx = di_sum > 0.0 ? 100.0 * std::fabs(v_.plus_di - v_.minus_di) / di_sum : 0.0;
  adx_.push(v_.dx);
  v_.adx_ready = adx_.ready();
  if (v_.adx_ready) v_.adx = adx_.value();
}

void IndicatorEngine::update_cci(const Candle& c) {
  v_.typical_price = (c.high + c.low + c.close) / 3.0;
  typical_.push(v_.typical_price);
  v_.cci_ready = typical_.full();
  if (!v_.cci_ready) return;
  const double sma = typical_.mean();
  // Mean absolute deviation has no running form: O(20) per candle, accepted for this one window.
  double mad = 0.0;
  for (std::size_t i = 0; i < typical_.size(); ++i) mad += std::fabs(typical_.at(i) - sma);
  mad /= static_cast<double>(typical_.size());
  v_.cci_sma = sma;
  v_.cci_mean_deviation = mad;
  v_.cci = negligible(mad, sma) ? 0.0 : (v_.typical_price - sma) / (kCciFactor * mad);
}

void IndicatorEngine::update_sar(const Candle& c, const Candle& prev) {
  v_.sar_reversal = false;
  if (v_.count == 2) {
    // Initial trend from the first two candles (as core): down only when both close and low fell.
    v_.sar_trend = (c.close < prev.close && c.low < prev.low) ? -1 : 1;
    v_.sar = v_.sar_trend > 0 ? prev.low : prev.high;
    v_.sar_ep = v_.sar_trend > 0 ? prev.high : prev.low;
    v_.sar_af = kSarStep;
  }
  // Textbook Wilder step: the SAR may not enter the previous two candles' range.
  const Candle& before = v_.count >= 3 ? prev2_ : prev;
  double next = v_.sar + v_.sar_af * (v_.sar_ep - v_.sar);
  if (v_.sar_trend > 0) {
    next = std::min({next, prev.low, before.low});
    if (c.low < next) {
      v_.sar_trend = -1;
      v_.sar_reversal = true;
      next = v_.sar_ep;
      v_.sar_ep = c.low;
      v_.sar_af = kSarStep;
    } else if (c.high > v_.sar_ep) {
      v_.sar_ep = c.high;
      v_.sar_af = std::min(v_.sar_af + kSarStep, kSarMax);
    }
  } else {
    next = std::max({next, prev.high, before.high});
    if (c.high > next) {
      v_.sar_trend = 1;
      v_.sar_reversal = true;
      next = v_.sar_ep;
      v_.sar_ep = c.high;
      v_.sar_af = kSarStep;
    } else if (c.low < v_.sar_ep) {
      v_.sar_ep = c.low;
      v_.sar_af = std::min(v_.sar_af + kSarStep, kSarMax);
    }
  }
  v_.sar = next;
  v_.sar_ready = true;
}

}  // namespace tbml
