#include "tbml/sim/core_strategies.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "tbml/features/indicators.h"

namespace tbml {

namespace {

using nlohmann::json;
using E = IndicatorEngine;

// Core rounds its numbers with toFixed(); so do we, so that payloads look alike.
double round_to(double x, int digits) {
  const double scale = std::pow(10.0, digits);
  const double r = std::round(x * scale) / scale;
  return std::isfinite(r) ? r : 0.0;
}

double clamp01(double x) { return std::isfinite(x) ? std::clamp(x, 0.0, 1.0) : 0.0; }

struct Signal {
  std::string suggestion = "hold";
  double confidence = 0.0;
  double strength = 0.0;
  std::string interpretation;
};

void put_signal(json& j, const Signal& s) {
  j["suggestion"] = s.suggestion;
  j["confidence"] = round_to(clamp01(s.confidence), 4);
  j["strength"] = round_to(clamp01(s.strength), 4);
  j["metadata"]["interpretation"] = s.interpretation;
}

std::string insufficient(const char* name, std::size_t need, std::size_t have) {
  return std::string("Insufficient data for ") + name + ": need " + std::to_string(need) + " points, got " +
         std::to_string(have);
}

// Core's fallback object: neutral values, zero confidence and the reason.
json fallback(json values, json metadata, const std::string& error) {
  values["suggestion"] = "hold";
  values["confidence"] = 0;
  values["strength"] = 0;
  values["error"] = error;
  metadata["interpretation"] = "Calculation failed";
  values["metadata"] = std::move(metadata);
  return values;
}

// Everything the eleven builders read: the latest and previous indicator values plus raw history.
struct Context {
  const IndicatorValues& now;
  const IndicatorValues& prev;
  const std::vector<Candle>& history;
};

json rsi_json(const Context& c) {
  const auto& v = c.now;
  if (!v.rsi_ready) {
    return fallback({{"value", 50}}, {{"period", E::kRsiPeriod}},
                    insufficient("RSI", E::kRsiPeriod + 1, v.count));
  }
  Signal s;
  const double r = v.rsi;
  if (r > 80) {
    s = {"sell", (r - 80) / 20, (r - 80) / 20, "Strong overbought signal"};
  } else if (r > 70) {
    s = {"sell", (r - 70) / 30, 0.8 * (r - 70) / 30, "Overbought signal"};
  } else if (r < 20) {
    s = {"buy", (20 - r) / 20, (20 - r) / 20, "Strong oversold signal"};
  } else if (r < 30) {
    s = {"buy", (30 - r) / 30, 0.8 * (30 - r) / 30, "Oversold signal"};
  } else {
    s.interpretation = (r >= 45 && r <= 55) ? "Neutral zone - no clear signal" : "No significant signal";
  }
  json j{{"value", round_to(r, 2)}};
  put_signal(j, s);
  j["metadata"]["period"] = E::kRsiPeriod;
  return j;
}

json macd_json(const Context& c) {
  const auto& v = c.now;
  const json meta{{"fastPeriod", E::kMacdFast}, {"slowPeriod", E::kMacdSlow}, {"signalPeriod", E::kMacdSignal}};
  if (!v.macd_signal_ready) {
    return fallback({{"macdLine", 0}, {"signalLine", 0}, {"histogram", 0}}, meta,
                    insufficient("MACD", E::kMacdSlow + E::kMacdSignal - 1, v.count));
  }
  Signal s;
  json crossover = nullptr;
  const auto& p = c.prev;
  const double line = v.macd_line, sig = v.macd_signal, hist = v.macd_histogram;
  const double rel = std::fabs(hist) / std::max(std::fabs(sig), 1e-12);
  if (p.macd_signal_ready && p.macd_line <= p.macd_signal && line > sig) {
    s = {"buy", std::min(1.0, rel), std::min(1.0, rel), "Bullish MACD crossover - momentum turning up"};
    crossover = "bullish";
  } else if (p.macd_signal_ready && p.macd_line >= p.macd_signal && line < sig) {
    s = {"sell", std::min(1.0, rel), std::min(1.0, rel), "Bearish MACD crossover - momentum turning down"};
    crossover = "bearish";
  } else if (p.macd_ready && p.macd_line <= 0 && line > 0) {
    // Zero-line strength relative to price (0.1% of price = full), so it does not depend on the unit.
    const double conf = std::min(0.7, std::fabs(line) / (0.001 * v.close));
    s = {"buy", conf, 0.8 * conf, "MACD crossed above zero line - uptrend confirmed"};
    crossover = "zero_bullish";
  } else if (p.macd_ready && p.macd_line >= 0 && line < 0) {
    const double conf = std::min(0.7, std::fabs(line) / (0.001 * v.close));
    s = {"sell", conf, 0.8 * conf, "MACD crossed below zero line - downtrend confirmed"};
    crossover = "zero_bearish";
  } else if (std::fabs(hist) > 0.1 * std::fabs(sig) && hist != 0.0) {
    const double conf = std::min(0.5, rel);
    if (hist > 0) {
      s = {"buy", conf, 0.6 * conf, "Strong bullish momentum"};
    } else {
      s = {"sell", conf, 0.6 * conf, "Strong bearish momentum"};
    }
  } else {
    s.interpretation = "No clear MACD signal";
  }
  json j{{"macdLine", round_to(line, 6)}, {"signalLine", round_to(sig, 6)}, {"histogram", round_to(hist, 6)}};
  put_signal(j, s);
  j["metadata"].update(meta);
  j["metadata"]["crossover"] = crossover;
  return j;
}

json bollinger_json(const Context& c) {
  const auto& v = c.now;
  const json meta{{"period", E::kBollingerPeriod}, {"stdDevMultiplier", E::kBollingerK}};
  if (!v.bollinger_ready) {
    return fallback({{"upperBand", 0}, {"middleBand", 0}, {"lowerBand", 0}, {"currentPrice", 0}, {"bandwidth", 0},
                     {"percentB", 0.5}},
                    meta, insufficient("Bollinger Bands", E::kBollingerPeriod, v.count));
  }
  Signal s;
  bool squeeze = false;
  const double price = v.close, b = v.bb_percent_b;
  if (v.bb_stddev <= 0.0) {
    s.interpretation = "No volatility - price is flat";
  } else if (price < v.bb_lower) {
    const double d = (v.bb_lower - price) / v.bb_stddev;
    s = {"buy", std::min(1.0, d), std::min(1.0, d), "Price below lower band - oversold condition"};
  } else if (price > v.bb_upper) {
    const double d = (price - v.bb_upper) / v.bb_stddev;
    s = {"sell", std::min(1.0, d), std::min(1.0, d), "Price above upper band - overbought condition"};
  } else if (b < 0.2) {
    const double conf = std::min(0.7, (0.2 - b) * 5);
    s = {"buy", conf, 0.8 * conf, "Price in lower 20% of bands - potential buy zone"};
  } else if (b > 0.8) {
    const double conf = std::min(0.7, (b - 0.8) * 5);
    s = {"sell", conf, 0.8 * conf, "Price in upper 20% of bands - potential sell zone"};
  } else if (v.bb_bandwidth < 0.02) {
    squeeze = true;
    s = {"hold", 0.3, 0.2, "Bollinger Band Squeeze - low volatility, potential breakout coming"};
  } else if (b >= 0.4 && b <= 0.6) {
    s.interpretation = "Price near middle band - neutral zone";
  } else {
    s = {"hold", 0.2, 0.1, b > 0.6 ? "Price in upper half - potential uptrend" : "Price in lower half - potential downtrend"};
  }
  json j{{"upperBand", round_to(v.bb_upper, 6)},   {"middleBand", round_to(v.bb_middle, 6)},
         {"lowerBand", round_to(v.bb_lower, 6)},   {"currentPrice", round_to(price, 6)},
         {"bandwidth", round_to(v.bb_bandwidth, 6)}, {"percentB", round_to(b, 4)}};
  put_signal(j, s);
  j["metadata"].update(meta);
  j["metadata"]["stdDev"] = round_to(v.bb_stddev, 6);
  j["metadata"]["squeeze"] = squeeze;
  return j;
}

json ma_json(const Context& c) {
  const auto& v = c.now;
  const auto& p = c.prev;
  const json meta{{"fastPeriod", E::kSmaFast}, {"slowPeriod", E::kSmaSlow}};
  if (!v.sma_slow_ready || !p.sma_slow_ready) {  // the crossover needs the previous slow MA too
    json m = meta;
    m["trend"] = "unknown";
    return fallback({{"fastMA", 0}, {"slowMA", 0}, {"currentPrice", 0}, {"spread", 0}, {"spreadPercent", 0}}, m,
                    insufficient("Moving Average", E::kSmaSlow + 1, v.count));
  }
  const double fast = v.sma_fast, slow = v.sma_slow, price = v.close;
  const double spread_pct = std::fabs(fast - slow) / slow * 100.0;
  const std::string trend = fast > slow ? "uptrend" : (fast < slow ? "downtrend" : "sideways");
  Signal s;
  json crossover = nullptr;
  if (p.sma_fast <= p.sma_slow && fast > slow) {
    s = {"buy", std::min(1.0, spread_pct / 2), std::min(1.0, spread_pct / 2),
         "Golden Cross: Fast MA (10) crossed above Slow MA (21) - bullish signal"};
    crossover = "golden_cross";
  } else if (p.sma_fast >= p.sma_slow && fast < slow) {
    s = {"sell", std::min(1.0, spread_pct / 2), std::min(1.0, spread_pct / 2),
         "Death Cross: Fast MA (10) crossed below Slow MA (21) - bearish signal"};
    crossover = "death_cross";
  } else if (fast > slow && spread_pct > 1) {
    const double conf = std::min(0.6, spread_pct / 5);
    s = {"buy", conf, 0.7 * conf, "Strong uptrend: Fast MA well above Slow MA"};
  } else if (fast < slow && spread_pct > 1) {
    const double conf = std::min(0.6, spread_pct / 5);
    s = {"sell", conf, 0.7 * conf, "Strong downtrend: Fast MA well below Slow MA"};
  } else if (price > fast && fast > slow) {
    s = {"hold", 0.2, 0.1, "Price above both MAs - bullish bias but no clear entry"};
  } else if (price < fast && fast < slow) {
    s = {"hold", 0.2, 0.1, "Price below both MAs - bearish bias but no clear entry"};
  } else {
    s.interpretation = "No clear MA signal - MAs too close";
  }
  json j{{"fastMA", round_to(fast, 6)},
         {"slowMA", round_to(slow, 6)},
         {"currentPrice", round_to(price, 6)},
         {"spread", round_to(fast - slow, 6)},
         {"spreadPercent", round_to((fast - slow) / slow * 100.0, 4)}};
  put_signal(j, s);
  j["metadata"].update(meta);
  j["metadata"]["crossover"] = crossover;
  j["metadata"]["trend"] = trend;
  return j;
}

json volume_json(const Context& c) {
  const auto& v = c.now;
  json meta{{"period", E::kVolumePeriod}};
  if (!v.volume_ready) {
    json m = meta;
    m["volumeSpike"] = false;
    m["confirmationStrength"] = "weak";
    return fallback({{"currentVolume", 0}, {"avgVolume", 0}, {"volumeRatio", 1}, {"priceChange", 0},
                     {"priceChangePercent", 0}, {"volumeTrend", "neutral"}, {"obv", 0}, {"vpt", 0}},
                    m, insufficient("Volume", E::kVolumePeriod, v.count));
  }
  const auto& h = c.history;
  const std::size_t n = h.size();
  const double price_change = v.close - c.prev.close;
  const double change_pct = c.prev.close > 0 ? price_change / c.prev.close * 100.0 : 0.0;
  std::string volume_trend = "neutral";
  if (n >= 3) {
    const double a = h[n - 3].volume, b = h[n - 2].volume, d = h[n - 1].volume;
    if (d > b && b > a) volume_trend = "increasing";
    if (d < b && b < a) volume_trend = "decreasing";
  }
  const double ratio = v.volume_ratio;
  const bool spike = ratio > 1.5;
  const std::string confirmation =
      ratio > 2.0 ? "very_strong" : (ratio > 1.5 ? "strong" : (ratio > 1.2 ? "moderate" : "weak"));
  Signal s;
  if (spike && std::fabs(change_pct) > 1) {
    const double conf = std::min(1.0, ratio * std::fabs(change_pct) / 10);
    s = {price_change > 0 ? "buy" : "sell", conf, conf,
         price_change > 0 ? "Volume spike confirms price rise - strong bullish signal"
                          : "Volume spike confirms price drop - strong bearish signal"};
  } else if (spike && std::fabs(change_pct) < 0.5) {
    const double conf = std::min(0.6, ratio / 3);
    if (v.obv > 0 && v.vpt > 0) {
      s = {"buy", conf, 0.8 * conf, "High volume with stable price + positive OBV suggests accumulation"};
    } else if (v.obv < 0 && v.vpt < 0) {
      s = {"sell", conf, 0.8 * conf, "High volume with stable price + negative OBV suggests distribution"};
    } else {
      s = {"hold", 0.3, 0.2, "High volume but mixed signals - wait for price direction"};
    }
  } else if (volume_trend == "increasing" && price_change != 0.0) {
    const double conf = std::min(0.5, ratio / 2);
    s = {price_change > 0 ? "buy" : "sell", conf, 0.7 * conf,
         price_change > 0 ? "Increasing volume trend supports price rise"
                          : "Increasing volume trend supports price decline"};
  } else if (ratio < 0.5 && std::fabs(change_pct) > 1) {
    s = {"hold", 0.2, 0.1, "Price move on low volume - weak signal, likely reversal"};
  } else {
    s.interpretation = "Normal volume, minimal price action - no clear signal";
  }
  json j{{"currentVolume", round_to(v.volume, 0)}, {"avgVolume", round_to(v.volume_sma, 0)},
         {"volumeRatio", round_to(ratio, 2)},      {"priceChange", round_to(price_change, 6)},
         {"priceChangePercent", round_to(change_pct, 2)}, {"volumeTrend", volume_trend},
         {"obv", round_to(v.obv, 0)},               {"vpt", round_to(v.vpt, 6)}};
  put_signal(j, s);
  j["metadata"].update(meta);
  j["metadata"]["volumeSpike"] = spike;
  j["metadata"]["confirmationStrength"] = confirmation;
  return j;
}

json stochastic_json(const Context& c) {
  const auto& v = c.now;
  const auto& p = c.prev;
  const json meta{{"kPeriod", E::kStochK}, {"dPeriod", E::kStochD}};
  if (!v.stoch_d_ready) {
    json m = meta;
    m["crossover"] = nullptr;
    return fallback({{"k", 50}, {"d", 50}}, m, insufficient("Stochastic", E::kStochK + E::kStochD - 1, v.count));
  }
  const double k = v.stoch_k, d = v.stoch_d;
  Signal s;
  json crossover = nullptr;
  if (p.stoch_d_ready && p.stoch_k <= p.stoch_d && k > d) crossover = "bullish";
  if (p.stoch_d_ready && p.stoch_k >= p.stoch_d && k < d) crossover = "bearish";
  if (k < 20 && d < 20) {
    const double conf = (20 - std::min(k, d)) / 20;
    s = {"buy", conf, crossover == "bullish" ? conf : 0.8 * conf, "Oversold - %K and %D below 20"};
  } else if (k > 80 && d > 80) {
    const double conf = (std::max(k, d) - 80) / 20;
    s = {"sell", conf, crossover == "bearish" ? conf : 0.8 * conf, "Overbought - %K and %D above 80"};
  } else if (crossover == "bullish" && k < 50) {
    s = {"buy", 0.4, 0.3, "Bullish %K/%D crossover in the lower half"};
  } else if (crossover == "bearish" && k > 50) {
    s = {"sell", 0.4, 0.3, "Bearish %K/%D crossover in the upper half"};
  } else {
    s.interpretation = "Stochastic in neutral range - no clear signal";
  }
  json j{{"k", round_to(k, 2)}, {"d", round_to(d, 2)}};
  put_signal(j, s);
  j["metadata"].update(meta);
  j["metadata"]["crossover"] = crossover;
  return j;
}

json williams_json(const Context& c) {
  const auto& v = c.now;
  if (!v.williams_ready) {
    return fallback({{"value", -50}}, {{"period", E::kWilliamsPeriod}, {"level", "Unknown"}},
                    insufficient("Williams %R", E::kWilliamsPeriod, v.count));
  }
  const double w = v.williams_r;
  Signal s;
  std::string level = "Neutral";
  if (w > -20) {
    level = "Overbought";
    s = {"sell", (w + 20) / 20, 0.8 * (w + 20) / 20, "Overbought - %R above -20"};
  } else if (w < -80) {
    level = "Oversold";
    s = {"buy", (-80 - w) / 20, 0.8 * (-80 - w) / 20, "Oversold - %R below -80"};
  } else {
    s.interpretation = "Williams %R in neutral range";
  }
  json j{{"value", round_to(w, 2)}};
  put_signal(j, s);
  j["metadata"]["period"] = E::kWilliamsPeriod;
  j["metadata"]["level"] = level;
  return j;
}

json ichimoku_json(const Context& c) {
  const auto& v = c.now;
  const json meta{{"tenkanPeriod", E::kTenkan},
                  {"kijunPeriod", E::kKijun},
                  {"senkouBPeriod", E::kSenkouB},
                  {"chikouPeriod", E::kKijun}};
  if (!v.ichimoku_ready()) {
    json m = meta;
    m["trend"] = "unknown";
    m["signals"] = json::array();
    return fallback({{"tenkanSen", 0}, {"kijunSen", 0}, {"senkouSpanA", 0}, {"senkouSpanB", 0}, {"chikouSpan", 0},
                     {"cloudTop", 0}, {"cloudBottom", 0}, {"cloudThickness", 0}, {"cloudColor", "neutral"},
                     {"currentPrice", 0}},
                    m, insufficient("Ichimoku Cloud", E::kSenkouB, v.count));
  }
  const double price = v.close;
  const bool bullish = v.cloud_color > 0;
  json signals = json::array();
  Signal s;
  double conf = 0.0;
  std::string text;
  if (price > v.cloud_top) {
    signals.push_back("price_above_cloud");
    s.suggestion = "buy";
    conf += bullish ? 0.4 : 0.2;
    text += bullish ? "Price above bullish cloud - strong uptrend. " : "Price above bearish cloud - potential reversal. ";
  } else if (price < v.cloud_bottom) {
    signals.push_back("price_below_cloud");
    s.suggestion = "sell";
    conf += bullish ? 0.2 : 0.4;
    text += bullish ? "Price below bullish cloud - potential reversal. " : "Price below bearish cloud - strong downtrend. ";
  } else {
    signals.push_back("price_in_cloud");
    text += "Price inside cloud - consolidation/uncertainty. ";
  }
  if (v.tenkan > v.kijun) {
    signals.push_back("tenkan_above_kijun");
    if (price > v.tenkan) conf += 0.2;
  } else if (v.tenkan < v.kijun) {
    signals.push_back("tenkan_below_kijun");
    if (price < v.tenkan) conf += 0.2;
  }
  if (price > v.tenkan && price > v.kijun) {
    signals.push_back("price_above_lines");
    conf += 0.1;
  } else if (price < v.tenkan && price < v.kijun) {
    signals.push_back("price_below_lines");
    conf += 0.1;
  }
  const auto& h = c.history;
  if (h.size() >= E::kKijun) {  // lagging span: today's close against the close 26 points back
    const double ref = h[h.size() - E::kKijun].close;
    if (price > ref) {
      signals.push_back("chikou_bullish");
      conf += 0.15;
    } else if (price < ref) {
      signals.push_back("chikou_bearish");
      conf += 0.15;
    }
  }
  const double thickness = v.cloud_thickness / price;
  if (thickness > 0.02) {
    signals.push_back("thick_cloud");
    conf += 0.1;
    text += "Thick cloud indicates strong trend. ";
  } else if (thickness < 0.005) {
    signals.push_back("thin_cloud");
    conf *= 0.8;
    text += "Thin cloud indicates weak trend. ";
  }
  conf = std::min(conf, 1.0);
  if (conf < 0.3) {
    s.suggestion = "hold";
    text += "Low confidence - recommend waiting for clearer signals.";
  }
  std::string trend = "neutral";
  if (price > v.cloud_top && bullish && v.tenkan > v.kijun) {
    trend = "strong_uptrend";
  } else if (price < v.cloud_bottom && !bullish && v.tenkan < v.kijun) {
    trend = "strong_downtrend";
  } else if (price >= v.cloud_bottom && price <= v.cloud_top) {
    trend = "consolidation";
  } else {
    trend = price > v.cloud_top ? "uptrend" : "downtrend";
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  s.confidence = s.strength = conf;
  s.interpretation = text;
  json j{{"tenkanSen", round_to(v.tenkan, 6)},       {"kijunSen", round_to(v.kijun, 6)},
         {"senkouSpanA", round_to(v.senkou_a, 6)},   {"senkouSpanB", round_to(v.senkou_b, 6)},
         {"chikouSpan", round_to(price, 6)},         {"cloudTop", round_to(v.cloud_top, 6)},
         {"cloudBottom", round_to(v.cloud_bottom, 6)}, {"cloudThickness", round_to(v.cloud_thickness, 6)},
         {"cloudColor", bullish ? "bullish" : "bearish"}, {"currentPrice", round_to(price, 6)}};
  put_signal(j, s);
  j["metadata"].update(meta);
  j["metadata"]["trend"] = trend;
  j["metadata"]["signals"] = signals;
  return j;
}

json adx_json(const Context& c) {
  const auto& v = c.now;
  if (!v.adx_ready) {
    return fallback({{"adx", 0}, {"plusDI", 0}, {"minusDI", 0}, {"dx", 0}},
                    {{"period", E::kAdxPeriod}, {"trendStrength", "Unknown"}, {"trendDirection", "neutral"}},
                    insufficient("ADX", 2 * E::kAdxPeriod, v.count));
  }
  const double adx = v.adx;
  const std::string strength = adx < 20 ? "No Trend"
                               : adx < 25 ? "Emerging Trend"
                               : adx < 40 ? "Strong Trend"
                               : adx < 50 ? "Very Strong Trend"
                                          : "Extremely Strong Trend";
  const std::string direction =
      v.plus_di > v.minus_di ? "uptrend" : (v.minus_di > v.plus_di ? "downtrend" : "neutral");
  Signal s;
  s.interpretation = strength + " (ADX " + std::to_string(static_cast<int>(std::lround(adx))) + ")";
  if (adx >= 25 && v.plus_di != v.minus_di) {
    double conf = std::min(1.0, (adx / 50) * (std::fabs(v.plus_di - v.minus_di) / 20));
    if (c.prev.adx_ready) conf *= v.dx > c.prev.dx ? 1.1 : (v.dx < c.prev.dx ? 0.9 : 1.0);
    s.suggestion = v.plus_di > v.minus_di ? "buy" : "sell";
    s.confidence = std::min(conf, 1.0);
    s.strength = std::min(conf, 1.0);
    s.interpretation += v.plus_di > v.minus_di ? " - +DI above -DI with strong trend, buy signal"
                                                 : " - -DI above +DI with strong trend, sell signal";
  } else {
    s.interpretation += " - no confirmed trend to follow";
  }
  json j{{"adx", round_to(adx, 2)},
         {"plusDI", round_to(v.plus_di, 2)},
         {"minusDI", round_to(v.minus_di, 2)},
         {"dx", round_to(v.dx, 2)}};
  put_signal(j, s);
  j["metadata"]["period"] = E::kAdxPeriod;
  j["metadata"]["trendStrength"] = strength;
  j["metadata"]["trendDirection"] = direction;
  return j;
}

json cci_json(const Context& c) {
  const auto& v = c.now;
  const json meta{{"period", E::kCciPeriod}, {"factor", E::kCciFactor}};
  if (!v.cci_ready) {
    json m = meta;
    m["level"] = "Unknown";
    m["divergence"] = nullptr;
    return fallback({{"cci", 0}, {"typicalPrice", 0}, {"smaTP", 0}, {"meanDeviation", 0}}, m,
                    insufficient("CCI", E::kCciPeriod, v.count));
  }
  const double cci = v.cci;
  Signal s;
  std::string level = "Neutral";
  if (cci > 100) {
    level = cci > 200 ? "Extremely Overbought" : "Overbought";
    const double conf = std::min(1.0, (cci - 100) / 100);
    s = {"sell", conf, 0.8 * conf, "CCI above +100 - overbought"};
  } else if (cci < -100) {
    level = cci < -200 ? "Extremely Oversold" : "Oversold";
    const double conf = std::min(1.0, (-100 - cci) / 100);
    s = {"buy", conf, 0.8 * conf, "CCI below -100 - oversold"};
  } else {
    s.interpretation = "CCI within +/-100 - no clear signal";
  }
  json j{{"cci", round_to(cci, 2)},
         {"typicalPrice", round_to(v.typical_price, 6)},
         {"smaTP", round_to(v.cci_sma, 6)},
         {"meanDeviation", round_to(v.cci_mean_deviation, 6)}};
  put_signal(j, s);
  j["metadata"].update(meta);
  j["metadata"]["level"] = level;
  j["metadata"]["divergence"] = nullptr;
  return j;
}

json sar_json(const Context& c) {
  const auto& v = c.now;
  const json meta{{"initialAF", E::kSarStep}, {"maxAF", E::kSarMax}, {"afIncrement", E::kSarStep}};
  if (!v.sar_ready || v.count < 3) {  // core needs 3 points to establish the first trend
    json m = meta;
    m["reversal"] = false;
    m["trendStrength"] = "Unknown";
    return fallback({{"sar", 0}, {"trend", "uptrend"}, {"af", E::kSarStep}, {"ep", 0}, {"currentPrice", 0}}, m,
                    insufficient("Parabolic SAR", 3, v.count));
  }
  const double ratio = v.sar_af / E::kSarMax;
  const std::string strength =
      ratio >= 0.8 ? "Very Strong" : (ratio >= 0.6 ? "Strong" : (ratio >= 0.4 ? "Moderate" : "Weak"));
  const bool up = v.sar_trend > 0;
  const double distance = std::fabs(v.close - v.sar) / v.close;
  Signal s;
  if (v.sar_reversal) {
    s = {up ? "buy" : "sell", 0.7 * 1.2, 0.6,
         up ? "New uptrend detected - price broke above SAR" : "New downtrend detected - price broke below SAR"};
  } else if (up ? v.close > v.sar : v.close < v.sar) {
    const double conf = std::min(0.6, 0.2 + distance * 10 + ratio * 0.3);
    s = {up ? "buy" : "sell", conf, 0.8 * conf,
         std::string(up ? "Uptrend continues - price above SAR" : "Downtrend continues - price below SAR") +
             ". Trend strength: " + strength};
  } else {
    s = {"hold", 0.2, 0.1, "Trend weakening - price approaching SAR"};
  }
  if (distance < 0.01) {
    s.confidence *= 0.7;
    s.interpretation += ". Price very close to SAR - potentially choppy market";
  }
  json j{{"sar", round_to(v.sar, 6)},
         {"trend", up ? "uptrend" : "downtrend"},
         {"af", round_to(v.sar_af, 3)},
         {"ep", round_to(v.sar_ep, 6)},
         {"currentPrice", round_to(v.close, 6)}};
  put_signal(j, s);
  j["metadata"].update(meta);
  j["metadata"]["reversal"] = v.sar_reversal;
  j["metadata"]["trendStrength"] = strength;
  return j;
}

}  // namespace

bool core_has_strategies(std::size_t points) { return points >= kCoreMinStrategyPoints; }

nlohmann::json core_strategies_json(const std::vector<Candle>& history) {
  IndicatorEngine engine;
  IndicatorValues prev;
  for (const Candle& candle : history) {
    prev = engine.values();
    engine.push(candle);
  }
  const Context ctx{engine.values(), prev, history};
  return json{{"rsi", rsi_json(ctx)},
              {"macd", macd_json(ctx)},
              {"bollinger", bollinger_json(ctx)},
              {"ma", ma_json(ctx)},
              {"volume", volume_json(ctx)},
              {"stochastic", stochastic_json(ctx)},
              {"williamsR", williams_json(ctx)},
              {"ichimoku", ichimoku_json(ctx)},
              {"adx", adx_json(ctx)},
              {"cci", cci_json(ctx)},
              {"parabolicSAR", sar_json(ctx)}};
}

}  // namespace tbml
