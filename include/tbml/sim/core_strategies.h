#pragma once
// The core service's `strategies` object (eleven indicator objects, same keys, value fields and
// suggestion/confidence/strength/metadata.interpretation), computed for the latest point of a history by
// running the IndicatorEngine over it. Used by the core simulator to serve the upstream payload.
#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/features/candle.h"

namespace tbml {

// Core omits `strategies` until a pair has 15 points.
constexpr std::size_t kCoreMinStrategyPoints = 15;
bool core_has_strategies(std::size_t points);

// Keys: rsi, macd, bollinger, ma, volume, stochastic, williamsR, ichimoku, adx, cci, parabolicSAR.
// An indicator without enough data is core's fallback object: neutral values plus an `error` string.
// Throws std::invalid_argument when a candle has an unusable close (see sanitize_candle).
nlohmann::json core_strategies_json(const std::vector<Candle>& history);

}  // namespace tbml
