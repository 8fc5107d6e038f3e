#pragma once
// Private to src/sim: what the eleven indicator builders of core_strategies share (rounding like core's
// toFixed, the signal object, core's fallback object) and their declarations. The builders are split by
// kind: core_strategies_oscillators.cpp and core_strategies_trend.cpp.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/features/candle.h"
#include "tbml/features/indicators.h"

namespace tbml::core_strategy {

using nlohmann::json;
using E = IndicatorEngine;

// Core rounds its numbers with toFixed(); so do we, so that payloads look alike.
inline double round_to(double x, int digits) {
  const double scale = std::pow(10.0, digits);
  const double r = std::round(x * scale) / scale;
  return std::isfinite(r) ? r : 0.0;
}

inline double clamp01(double x) { return std::isfinite(x) ? std::clamp(x, 0.0, 1.0) : 0.0; }

struct Signal {
  std::string suggestion = "hold";
  double confidence = 0.0;
  double strength = 0.0;
  std::string interpretation;
};

inline void put_signal(json& j, const Signal& s) {
  j["suggestion"] = s.suggestion;
  j["confidence"] = round_to(clamp01(s.confidence), 4);
  j["strength"] = round_to(clamp01(s.strength), 4);
  j["metadata"]["interpretation"] = s.interpretation;
}

inline std::string insufficient(const char* name, std::size_t need, std::size_t have) {
  return std::string("Insufficient data for ") + name + ": need " + std::to_string(need) + " points, got " +
         std::to_string(have);
}

// Core's fallback object: neutral values, zero confidence and the reason.
inline json fallback(json values, json metadata, const std::string& error) {
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

// Oscillators and volume (core_strategies_oscillators.cpp).
json rsi_json(const Context& c);
json bollinger_json(const Context& c);
json volume_json(const Context& c);
json stochastic_json(const Context& c);
json williams_json(const Context& c);
json cci_json(const Context& c);
// Trend followers (core_strategies_trend.cpp).
json macd_json(const Context& c);
json ma_json(const Context& c);
json ichimoku_json(const Context& c);
json adx_json(const Context& c);
json sar_json(const Context& c);

}  // namespace tbml::core_strategy
