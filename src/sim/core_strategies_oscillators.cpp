// Core's oscillator and volume indicator objects (RSI, Bollinger, volume, stochastic, Williams %R, CCI).
#include "core_strategy_builders.h"

namespace tbml::core_strategy {

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

}  // namespace tbml::core_strategy
