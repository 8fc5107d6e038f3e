#include "tbml/features/feature_pipeline.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "tbml/features/indicators.h"
#include "tbml/features/reference_features.h"
#include "tbml/features/ring_buffer.h"

namespace tbml {

namespace {

constexpr double kClip = 10.0;              // every feature is clipped to [-kClip, kClip]
constexpr double kRatioFloor = 0.01;        // volume ratios are floored before the log (zero volume)
constexpr std::size_t kMaxLookback = 100;   // largest close lookback
constexpr double kPi = 3.14159265358979323846;
constexpr std::int64_t kMsPerHour = 3600000;
constexpr std::int64_t kMsPerDay = 24 * kMsPerHour;

double safe_div(double a, double b) { return b != 0.0 ? a / b : 0.0; }
double log_ratio_floored(double ratio) { return std::log(std::max(ratio, kRatioFloor)); }
double sign(double x) { return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0); }

// Writes one value per feature; until `ready` the documented neutral value is written instead, and
// non-finite values become 0 so that rows are always finite.
struct RowWriter {
  float* out;
  std::size_t i = 0;
  void operator()(const char*, bool ready, double value, double neutral = 0.0) {
    double v = ready ? value : neutral;
    if (!std::isfinite(v)) v = 0.0;
    out[i++] = static_cast<float>(std::clamp(v, -kClip, kClip));
  }
};

// Records the names in emission order: names() is derived from the same code that writes rows.
struct NameRecorder {
  std::vector<std::string> names;
  void operator()(const char* name, bool, double, double = 0.0) { names.emplace_back(name); }
};

}  // namespace

struct FeaturePipeline::State {
  IndicatorEngine engine;
  std::size_t count = 0;
  std::int64_t last_timestamp = 0;
  std::int64_t previous_timestamp = 0;  // timestamp of the candle before the latest
  Candle candle{};  // the sanitised latest candle
  double prev_close = 0.0;
  double r1 = 0.0;       // latest 1-step log return
  double prev_r1 = 0.0;  // the one before
  int streak = 0;        // signed run of consecutive up (+) / down (-) closes
  double prev_macd_hist = 0.0;
  bool prev_macd_hist_ready = false;

  RingBuffer<double> closes{kMaxLookback + 1};
  RingBuffer<double> obv{21};
  RingBuffer<double> vpt{11};

  RollingStats ret5{5}, ret10{10}, ret20{20}, ret50{50}, ret100{100};
  RollingStats ret_cubed20{20}, ret_cubed50{50};
  // Lag-1 pairs (r_t, r_{t-1}) over the same window for a Pearson autocorrelation.
  RollingStats ret_lag20{20}, ret_lag50{50};    // r_t * r_{t-1}
  RollingStats pair_cur20{20}, pair_cur50{50};  // r_t
  RollingStats pair_prev20{20}, pair_prev50{50};  // r_{t-1}
  RollingStats abs_ret10{10}, abs_ret20{20};
  RollingStats parkinson20{20};  // log(H/L)^2
  RollingStats up10{10}, up20{20};

  RollingStats vol5{5}, vol10{10}, vol20{20}, vol50{50};
  Ema vol_ema100{100};
  RollingStats log_vol50{50};  // log1p(v / EMA100(v))

  Ema ema50{50}, ema100{100}, ema200{200};
  Ema dt_ema{20};

  RollingExtreme hi20{20, true}, lo20{20, false}, hi50{50, true}, lo50{50, false};
  RollingExtreme hi100{100, true}, lo100{100, false};

  ReturnTracker own;          // this pair's recent returns, for the relative columns and as a reference
  ReferenceInput reference;  // what the latest row was given about the reference pair

  void update(const Candle& c);
};

void FeaturePipeline::State::update(const Candle& c) {
  const bool has_prev = count > 0;
  if (has_prev) {
    const double dt = static_cast<double>(c.timestamp - last_timestamp);
    dt_ema.push(dt);
  }
  prev_macd_hist_ready = engine.values().macd_signal_ready;
  prev_macd_hist = engine.values().macd_histogram;
  engine.push(c);
  ++count;
  last_timestamp = c.timestamp;
  candle = c;

  if (has_prev) {
    prev_r1 = r1;
    r1 = std::log(c.close / prev_close);
    ret5.push(r1);
    ret10.push(r1);
    ret20.push(r1);
    ret50.push(r1);
    ret100.push(r1);
    ret_cubed20.push(r1 * r1 * r1);
    ret_cubed50.push(r1 * r1 * r1);
    abs_ret10.push(std::fabs(r1));
    abs_ret20.push(std::fabs(r1));
    up10.push(r1 > 0.0 ? 1.0 : 0.0);
    up20.push(r1 > 0.0 ? 1.0 : 0.0);
    if (count >= 3) {
      ret_lag20.push(r1 * prev_r1);
      ret_lag50.push(r1 * prev_r1);
      pair_cur20.push(r1);
      pair_cur50.push(r1);
      pair_prev20.push(prev_r1);
      pair_prev50.push(prev_r1);
    }
    const int dir = r1 > 0.0 ? 1 : (r1 < 0.0 ? -1 : 0);
    if (dir == 0) {
      streak = 0;
    } else if ((dir > 0) == (streak > 0) && streak != 0) {
      streak += dir;
    } else {
      streak = dir;
    }
  }
  const double hl = std::log(c.high / c.low);
  parkinson20.push(hl * hl);

  closes.push(c.close);
  obv.push(engine.values().obv);
  vpt.push(engine.values().vpt);

  vol5.push(c.volume);
  vol10.push(c.volume);
  vol20.push(c.volume);
  vol50.push(c.volume);
  vol_ema100.push(c.volume);
  const double vol_level = vol_ema100.value();
  log_vol50.push(vol_level > 0.0 ? std::log1p(c.volume / vol_level) : 0.0);

  ema50.push(c.close);
  ema100.push(c.close);
  ema200.push(c.close);

  hi20.push(c.high);
  lo20.push(c.low);
  hi50.push(c.high);
  lo50.push(c.low);
  hi100.push(c.high);
  lo100.push(c.low);
  prev_close = c.close;
  own.push(c);
}

namespace {

// Cross-pair columns (last in the row): the reference pair's candle at this row's timestamp. Raw log
// returns and stds like ret_log_* and vol_log_ret_* (the networks' normaliser and the trees need no other
// scaling). Without an available reference every column is 0 and ref_available is 0, so a model can tell
// "no information" from "the reference did not move"; the reason is kept per row by PairState.
template <typename Sink>
void emit_reference(const ReturnSummary& own, const ReferenceInput& in, Sink& put) {
  const bool live = in.status == ReferenceStatus::kAvailable;
  const ReturnSummary& ref = in.reference;
  put("ref_ret_log_1", live, ref.ret1);
  put("ref_ret_log_5", live, ref.ret5);
  put("ref_ret_log_24", live, ref.ret24);
  put("ref_vol_log_ret_24", live, ref.vol24);
  // This pair's 24-candle volatility against the reference's: > 0 when it moves more than the reference.
  put("ref_vol_ratio_24", live && own.full() && own.vol24 > 0.0 && ref.vol24 > 0.0, std::log(own.vol24 / ref.vol24));
  // Relative strength: this pair's return minus the reference's over the same number of candles.
  put("rel_ret_log_1", live && own.count > 1, own.ret1 - ref.ret1);
  put("rel_ret_log_24", live && own.full(), own.ret24 - ref.ret24);
  put("ref_available", true, live ? 1.0 : 0.0);
}

template <typename Sink, typename S>
void emit_features(const S& s, Sink& put) {
  const IndicatorValues& iv = s.engine.values();
  const Candle& c = s.candle;
  const double close = c.close;
  const std::size_t n = s.closes.size();
  auto close_ago = [&](std::size_t k) { return s.closes[n - 1 - k]; };

  // Log returns over several lookbacks.
  static const std::size_t kLookbacks[] = {1, 2, 3, 5, 10, 20, 50, 100};
  static const char* const kReturnNames[] = {"ret_log_1",  "ret_log_2",  "ret_log_3",  "ret_log_5",
                                             "ret_log_10", "ret_log_20", "ret_log_50", "ret_log_100"};
  for (std::size_t i = 0; i < 8; ++i) {
    const std::size_t k = kLookbacks[i];
    const bool ready = n > k;
    put(kReturnNames[i], ready, ready ? std::log(close / close_ago(k)) : 0.0);
  }

  // Volatility of 1-step log returns.
  put("vol_log_ret_5", s.ret5.full(), s.ret5.stddev());
  put("vol_log_ret_10", s.ret10.full(), s.ret10.stddev());
  put("vol_log_ret_20", s.ret20.full(), s.ret20.stddev());
  put("vol_log_ret_50", s.ret50.full(), s.ret50.stddev());
  put("vol_log_ret_100", s.ret100.full(), s.ret100.stddev());
  const double vol5 = s.ret5.stddev(), vol20 = s.ret20.stddev(), vol50 = s.ret50.stddev();
  put("vol_ratio_5_50", s.ret50.full() && vol5 > 0.0 && vol50 > 0.0, std::log(vol5 / vol50));
  put("vol_parkinson_20", s.parkinson20.full(), std::sqrt(s.parkinson20.mean() / (4.0 * std::log(2.0))));
  put("ret_z_1_20", s.ret20.full() && vol20 > 0.0, safe_div(s.r1, vol20));
  put("ret_z_5_20", s.ret20.full() && vol20 > 0.0 && n > 5,
      safe_div(n > 5 ? std::log(close / close_ago(5)) : 0.0, vol20 * std::sqrt(5.0)));

  // Candle shape relative to the close (open may equal the previous close on core data).
  const double top = std::max(c.open, close), bottom = std::min(c.open, close);
  const double range = c.high - c.low;
  put("candle_body", true, (close - c.open) / close);
  put("candle_upper_wick", true, (c.high - top) / close);
  put("candle_lower_wick", true, (bottom - c.low) / close);
  put("candle_range", true, range / close);
  put("candle_close_pos", range > 0.0, safe_div(close - c.low, range) - 0.5);
  put("candle_gap", n > 1, n > 1 ? std::log(c.open / close_ago(1)) : 0.0);
  put("candle_body_atr", iv.atr_ready && iv.atr > 0.0, safe_div(close - c.open, iv.atr));
  put("candle_range_atr", iv.atr_ready && iv.atr > 0.0, safe_div(range, iv.atr));
  put("true_range_close", true, iv.true_range / close);
  put("atr_close", iv.atr_ready, iv.atr / close);

  // Volume: ratios to its averages (floored at 0.01 before the log), z-scores, OBV/VPT slopes.
  auto volume_ratio = [&](const RollingStats& w) {
    const double m = w.mean();
    return m > 0.0 ? c.volume / m : 1.0;
  };
  put("volume_log_ratio_5", s.vol5.full(), log_ratio_floored(volume_ratio(s.vol5)));
  put("volume_log_ratio_20", s.vol20.full(), log_ratio_floored(volume_ratio(s.vol20)));
  put("volume_log_ratio_50", s.vol50.full(), log_ratio_floored(volume_ratio(s.vol50)));
  const double vsd20 = s.vol20.stddev();
  put("volume_z_20", s.vol20.full() && vsd20 > 1e-12 * s.vol20.mean(),
      safe_div(c.volume - s.vol20.mean(), vsd20));
  const double lsd50 = s.log_vol50.stddev();
  put("volume_log_z_50", s.log_vol50.full() && lsd50 > 1e-9,
      safe_div(s.log_vol50.latest() - s.log_vol50.mean(), lsd50));
  const double v20 = s.vol20.mean();
  put("volume_trend_5_20", s.vol20.full() && v20 > 0.0, log_ratio_floored(safe_div(s.vol5.mean(), v20)));
  const std::size_t no = s.obv.size();
  put("obv_slope_10", no > 10 && s.vol10.sum() > 0.0,
      safe_div(s.obv[no - 1] - s.obv[no > 10 ? no - 11 : 0], s.vol10.sum()));
  put("obv_slope_20", no > 20 && s.vol20.sum() > 0.0,
      safe_div(s.obv[no - 1] - s.obv[no > 20 ? no - 21 : 0], s.vol20.sum()));
  const std::size_t nv = s.vpt.size();
  put("vpt_change_10", nv > 10 && s.vol10.sum() > 0.0,
      100.0 * safe_div(s.vpt[nv - 1] - s.vpt[nv > 10 ? nv - 11 : 0], s.vol10.sum()));
  put("volume_signed_ratio", iv.volume_ready, sign(s.r1) * iv.volume_ratio);

  // Oscillators and trend indicators (the core service's eleven), scaled to about [-1, 1].
  put("rsi_14", iv.rsi_ready, (iv.rsi - 50.0) / 50.0);
  put("macd_line", iv.macd_ready, 100.0 * iv.macd_line / close);
  put("macd_signal", iv.macd_signal_ready, 100.0 * iv.macd_signal / close);
  put("macd_hist", iv.macd_signal_ready, 100.0 * iv.macd_histogram / close);
  put("macd_hist_change", iv.macd_signal_ready && s.prev_macd_hist_ready,
      100.0 * (iv.macd_histogram - s.prev_macd_hist) / close);
  put("bb_percent_b", iv.bollinger_ready, iv.bb_percent_b - 0.5);
  put("bb_bandwidth", iv.bollinger_ready, iv.bb_bandwidth);
  put("bb_zscore", iv.bollinger_ready && iv.bb_stddev > 0.0, safe_div(close - iv.bb_middle, iv.bb_stddev));

  put("close_sma10", iv.sma_fast_ready, close / iv.sma_fast - 1.0);
  put("close_sma21", iv.sma_slow_ready, close / iv.sma_slow - 1.0);
  put("sma10_sma21", iv.sma_slow_ready, iv.sma_fast / iv.sma_slow - 1.0);
  put("close_ema12", iv.ema_fast_ready, close / iv.ema_fast - 1.0);
  put("close_ema26", iv.ema_slow_ready, close / iv.ema_slow - 1.0);
  put("ema12_ema26", iv.ema_slow_ready, iv.ema_fast / iv.ema_slow - 1.0);
  put("close_ema50", s.ema50.ready(), close / s.ema50.value() - 1.0);
  put("close_ema100", s.ema100.ready(), close / s.ema100.value() - 1.0);
  put("close_ema200", s.ema200.ready(), close / s.ema200.value() - 1.0);
  put("ema50_ema200", s.ema200.ready(), s.ema50.value() / s.ema200.value() - 1.0);

  put("stoch_k", iv.stoch_k_ready, (iv.stoch_k - 50.0) / 50.0);
  put("stoch_d", iv.stoch_d_ready, (iv.stoch_d - 50.0) / 50.0);
  put("stoch_k_minus_d", iv.stoch_d_ready, (iv.stoch_k - iv.stoch_d) / 50.0);
  put("williams_r", iv.williams_ready, (iv.williams_r + 50.0) / 50.0);

  put("ichimoku_tenkan_dist", iv.tenkan_ready, (close - iv.tenkan) / close);
  put("ichimoku_kijun_dist", iv.kijun_ready, (close - iv.kijun) / close);
  put("ichimoku_senkou_a_dist", iv.kijun_ready, (close - iv.senkou_a) / close);
  put("ichimoku_senkou_b_dist", iv.senkou_b_ready, (close - iv.senkou_b) / close);
  put("ichimoku_cloud_thickness", iv.senkou_b_ready, iv.cloud_thickness / close);
  put("ichimoku_cloud_color", iv.senkou_b_ready, static_cast<double>(iv.cloud_color));
  put("ichimoku_tenkan_kijun", iv.kijun_ready, (iv.tenkan - iv.kijun) / close);
  put("ichimoku_cloud_position", iv.senkou_b_ready,
      close > iv.cloud_top ? 1.0 : (close < iv.cloud_bottom ? -1.0 : 0.0));

  put("adx", iv.adx_ready, iv.adx / 100.0);
  put("plus_di", iv.di_ready, iv.plus_di / 100.0);
  put("minus_di", iv.di_ready, iv.minus_di / 100.0);
  put("di_diff", iv.di_ready, (iv.plus_di - iv.minus_di) / 100.0);
  put("cci", iv.cci_ready, iv.cci / 100.0);

  put("sar_dist", iv.sar_ready, (close - iv.sar) / close);
  put("sar_dist_atr", iv.sar_ready && iv.atr_ready && iv.atr > 0.0, safe_div(close - iv.sar, iv.atr));
  put("sar_trend", iv.sar_ready, static_cast<double>(iv.sar_trend));
  put("sar_af", iv.sar_ready, iv.sar_af / IndicatorEngine::kSarMax);

  // Calendar in UTC from the candle's timestamp, and irregular spacing (core's points are not regular).
  const std::int64_t ms_of_day = ((c.timestamp % kMsPerDay) + kMsPerDay) % kMsPerDay;
  const std::int64_t day = (c.timestamp - ms_of_day) / kMsPerDay;  // floor division
  const double hour = static_cast<double>(ms_of_day) / static_cast<double>(kMsPerHour);
  const double weekday = static_cast<double>(((day + 3) % 7 + 7) % 7) + hour / 24.0;  // Monday = 0
  put("hour_sin", true, std::sin(2.0 * kPi * hour / 24.0));
  put("hour_cos", true, std::cos(2.0 * kPi * hour / 24.0));
  put("dow_sin", true, std::sin(2.0 * kPi * weekday / 7.0));
  put("dow_cos", true, std::cos(2.0 * kPi * weekday / 7.0));
  const double last_dt = n > 1 ? static_cast<double>(c.timestamp) - static_cast<double>(s.previous_timestamp)
                               : 0.0;
  put("time_gap_log", n > 1 && s.dt_ema.value() > 0.0 && last_dt > 0.0, std::log(last_dt / s.dt_ema.value()));

  // Position relative to rolling highs and lows.
  auto extremes = [&](const char* hi_name, const char* lo_name, const char* pos_name, const RollingExtreme& hi,
                      const RollingExtreme& lo) {
    const bool ready = hi.full();
    const double hh = hi.value(), ll = lo.value();
    put(hi_name, ready, std::log(close / hh));
    put(lo_name, ready, std::log(close / ll));
    put(pos_name, ready && hh > ll, safe_div(close - ll, hh - ll) - 0.5);
  };
  extremes("dist_high_20", "dist_low_20", "range_pos_20", s.hi20, s.lo20);
  extremes("dist_high_50", "dist_low_50", "range_pos_50", s.hi50, s.lo50);
  extremes("dist_high_100", "dist_low_100", "range_pos_100", s.hi100, s.lo100);

  // Shape of the recent return distribution.
  auto skew = [](const RollingStats& r, const RollingStats& cubed) {
    const double var = r.variance();
    if (var <= 1e-24) return 0.0;
    const double m1 = r.mean();
    const double m3 = cubed.mean() - 3.0 * m1 * var - m1 * m1 * m1;
    return m3 / (var * std::sqrt(var));
  };
  // Lag-1 autocorrelation: Pearson correlation of the pairs (r_t, r_{t-1}) in the window.
  auto autocorr = [](const RollingStats& cur, const RollingStats& prev, const RollingStats& lag) {
    const double vc = cur.variance(), vp = prev.variance();
    if (vc <= 1e-24 || vp <= 1e-24) return 0.0;
    const double cov = lag.mean() - cur.mean() * prev.mean();
    return std::clamp(cov / std::sqrt(vc * vp), -1.0, 1.0);
  };
  put("ret_skew_20", s.ret20.full(), skew(s.ret20, s.ret_cubed20));
  put("ret_skew_50", s.ret50.full(), skew(s.ret50, s.ret_cubed50));
  put("ret_autocorr_20", s.ret_lag20.full(), autocorr(s.pair_cur20, s.pair_prev20, s.ret_lag20));
  put("ret_autocorr_50", s.ret_lag50.full(), autocorr(s.pair_cur50, s.pair_prev50, s.ret_lag50));
  // Kaufman efficiency: net move over the path length, in [0, 1].
  put("efficiency_10", s.ret10.full(), safe_div(std::fabs(s.ret10.sum()), s.abs_ret10.sum()));
  put("efficiency_20", s.ret20.full(), safe_div(std::fabs(s.ret20.sum()), s.abs_ret20.sum()));
  put("up_fraction_10", s.up10.full(), s.up10.mean() - 0.5);
  put("up_fraction_20", s.up20.full(), s.up20.mean() - 0.5);
  put("close_streak", n > 1, static_cast<double>(s.streak) / 10.0);

  emit_reference(s.own.latest(), s.reference, put);
}

}  // namespace

FeaturePipeline::FeaturePipeline() : state_(std::make_unique<State>()) {}
FeaturePipeline::~FeaturePipeline() = default;
FeaturePipeline::FeaturePipeline(FeaturePipeline&&) noexcept = default;
FeaturePipeline& FeaturePipeline::operator=(FeaturePipeline&&) noexcept = default;

const std::vector<std::string>& FeaturePipeline::names() {
  static const std::vector<std::string> kNames = [] {
    State blank;
    NameRecorder recorder;
    emit_features(blank, recorder);
    return recorder.names;
  }();
  return kNames;
}

std::size_t FeaturePipeline::width() { return names().size(); }

const std::string& FeaturePipeline::version() {
  // v2: the cross-pair reference columns were appended.
  static const std::string kVersion = "tbml-features-v2-" + std::to_string(width());
  return kVersion;
}

void FeaturePipeline::push(const Candle& raw, float* out, const ReferenceInput& reference) {
  if (out == nullptr) throw std::invalid_argument("FeaturePipeline::push: output pointer is null");
  State& s = *state_;
  const Candle c = sanitize_candle(raw, s.count > 0 ? s.prev_close : 0.0);
  if (s.count > 0 && c.timestamp <= s.last_timestamp) {
    throw std::invalid_argument("FeaturePipeline::push: timestamp " + std::to_string(c.timestamp) +
                                " is not after the previous candle's " + std::to_string(s.last_timestamp));
  }
  s.previous_timestamp = s.last_timestamp;
  s.update(c);
  s.reference = reference;
  RowWriter writer{out};
  emit_features(s, writer);
}

std::vector<float> FeaturePipeline::push(const Candle& candle, const ReferenceInput& reference) {
  std::vector<float> row(width());
  push(candle, row.data(), reference);
  return row;
}

const ReturnSummary& FeaturePipeline::summary() const { return state_->own.latest(); }

const std::vector<std::string>& FeaturePipeline::reference_names() {
  static const std::vector<std::string> kNames = [] {
    NameRecorder recorder;
    emit_reference(ReturnSummary{}, ReferenceInput{}, recorder);
    return recorder.names;
  }();
  return kNames;
}

std::size_t FeaturePipeline::count() const { return state_->count; }

void FeaturePipeline::reset() { state_ = std::make_unique<State>(); }

}  // namespace tbml
