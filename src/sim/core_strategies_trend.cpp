// Core's trend indicator objects (MACD, moving averages, Ichimoku, ADX, parabolic SAR).
#include "core_strategy_builders.h"

namespace tbml::core_strategy {

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

}  // namespace tbml::core_strategy
