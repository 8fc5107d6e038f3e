#pragma once
// The JSON bodies trading-bot-core serves (docs/core-api.md), built from plain candles. Field names,
// nesting and rules (no open array, prices == closes, strategies absent below 15 points, hasEnoughData
// from 52 points) follow core's ExpressApp/TechnicalStrategies.
#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tbml/features/candle.h"

namespace tbml {

inline constexpr std::size_t kCoreEnoughDataPoints = 52;  // TechnicalStrategies.hasEnoughData default

// {"closes","highs","lows","prices","volumes","timestamps"}: six parallel arrays, prices a copy of closes.
nlohmann::json core_history_json(const std::vector<Candle>& candles);

// The eleven indicator objects for a history (core_strategies_json in sim/core_strategies.h), or a null
// json below the 15 points from which core computes them.
nlohmann::json core_strategies_for(const std::vector<Candle>& candles);

// GET /api/pair/:PAIR. `strategies` is omitted when null (core's undefined disappears from JSON).
nlohmann::json core_pair_json(const std::string& pair, const nlohmann::json& history,
                              const nlohmann::json& strategies, std::int64_t now_ms);

// 404 body of GET /api/pair/:PAIR for an unknown pair.
nlohmann::json core_pair_not_found_json(const std::string& pair, const std::vector<std::string>& available,
                                        std::int64_t now_ms);

// GET /api/pairs.
nlohmann::json core_pairs_json(const std::vector<std::string>& pairs, std::int64_t now_ms);

struct CoreCollectionStats {
  std::vector<std::string> pairs;
  std::map<std::string, std::size_t> points_per_pair;
  std::size_t successful_updates = 0;
  std::int64_t uptime_ms = 0;
};

// GET /api/health: always "healthy", like core.
nlohmann::json core_health_json(const CoreCollectionStats& stats, std::int64_t now_ms);

// GET /api/data. `histories`/`strategies` map pair -> object; last_update_iso empty serialises as null.
nlohmann::json core_data_json(const CoreCollectionStats& stats, const nlohmann::json& histories,
                              const nlohmann::json& strategies, const std::string& last_update_iso,
                              std::int64_t now_ms);

// Core's 500 body.
nlohmann::json core_error_json(const std::string& message, std::int64_t now_ms);

// "HH:MM:SS" as core's getUptime prints it (hours may exceed 99).
std::string core_uptime_text(std::int64_t uptime_ms);

// ISO-8601 UTC with milliseconds, as JavaScript's Date.toISOString: 2024-01-01T00:00:00.000Z.
std::string iso8601_utc(std::int64_t epoch_ms);

}  // namespace tbml
