#include "tbml/sim/core_payload.h"

#include <cstdio>
#include <ctime>

#include "tbml/sim/core_strategies.h"

namespace tbml {
namespace {

// The eleven indicator names core serves, in its order.
const std::vector<std::string>& core_indicator_names() {
  static const std::vector<std::string> names{"rsi",    "macd",       "bollinger",   "ma",
                                              "volume", "stochastic", "williamsR",   "ichimoku",
                                              "adx",    "cci",        "parabolicSAR"};
  return names;
}

}  // namespace

nlohmann::json core_history_json(const std::vector<Candle>& candles) {
  nlohmann::json closes = nlohmann::json::array(), highs = nlohmann::json::array(),
                 lows = nlohmann::json::array(), volumes = nlohmann::json::array(),
                 timestamps = nlohmann::json::array();
  for (const Candle& c : candles) {
    closes.push_back(c.close);
    highs.push_back(c.high);
    lows.push_back(c.low);
    volumes.push_back(c.volume);
    timestamps.push_back(c.timestamp);
  }
  nlohmann::json history;
  history["closes"] = closes;
  history["highs"] = std::move(highs);
  history["lows"] = std::move(lows);
  history["prices"] = std::move(closes);  // core keeps `prices` as a copy of closes
  history["volumes"] = std::move(volumes);
  history["timestamps"] = std::move(timestamps);
  return history;
}

nlohmann::json core_strategies_for(const std::vector<Candle>& candles) {
  if (!core_has_strategies(candles.size())) return nullptr;
  return core_strategies_json(candles);
}

nlohmann::json core_pair_json(const std::string& pair, const nlohmann::json& history,
                              const nlohmann::json& strategies, std::int64_t now_ms) {
  nlohmann::json body;
  body["pair"] = pair;
  body["history"] = history;
  if (!strategies.is_null()) body["strategies"] = strategies;
  const auto closes = history.find("closes");
  const std::size_t n = closes != history.end() && closes->is_array() ? closes->size() : 0;
  body["hasEnoughData"] = n >= kCoreEnoughDataPoints;
  body["timestamp"] = now_ms;
  return body;
}

nlohmann::json core_pair_not_found_json(const std::string& pair, const std::vector<std::string>& available,
                                        std::int64_t now_ms) {
  return {{"error", "Pair not found"}, {"pair", pair}, {"availablePairs", available}, {"timestamp", now_ms}};
}

nlohmann::json core_pairs_json(const std::vector<std::string>& pairs, std::int64_t now_ms) {
  return {{"pairs", pairs}, {"total", pairs.size()}, {"timestamp", now_ms}};
}

static nlohmann::json collection_json(const CoreCollectionStats& stats) {
  std::size_t total = 0;
  nlohmann::json per_pair = nlohmann::json::object();
  for (const auto& pair : stats.pairs) {
    const auto it = stats.points_per_pair.find(pair);
    const std::size_t n = it == stats.points_per_pair.end() ? 0 : it->second;
    per_pair[pair] = n;
    total += n;
  }
  return {{"isCollecting", true}, {"totalDataPoints", total}, {"successfulUpdates", stats.successful_updates},
          {"failedUpdates", 0},   {"pairs", stats.pairs},     {"dataPointsPerPair", per_pair}};
}

nlohmann::json core_health_json(const CoreCollectionStats& stats, std::int64_t now_ms) {
  return {{"status", "healthy"},
          {"service", "Trading Bot Core"},
          {"version", "2.0.0"},
          {"timestamp", now_ms},
          {"uptime", core_uptime_text(stats.uptime_ms)},
          {"api", {{"status", "simulated"}}},
          {"dataCollection", collection_json(stats)},
          {"indicators", {{"available", core_indicator_names()}, {"count", core_indicator_names().size()}}}};
}

nlohmann::json core_data_json(const CoreCollectionStats& stats, const nlohmann::json& histories,
                              const nlohmann::json& strategies, const std::string& last_update_iso,
                              std::int64_t now_ms) {
  nlohmann::json body;
  body["uptime"] = core_uptime_text(stats.uptime_ms);
  body["pairs"] = stats.pairs;
  body["history"] = histories;
  body["strategyResults"] = strategies;
  body["stats"] = {
      {"dataCollection", collection_json(stats)},
      {"strategies",
       {{"availableIndicators", core_indicator_names()}, {"indicatorCount", core_indicator_names().size()}}},
      {"pairs", stats.pairs.size()},
      {"indicators", core_indicator_names().size()}};
  body["status"] = "running";
  body["lastUpdate"] = last_update_iso.empty() ? nlohmann::json(nullptr) : nlohmann::json(last_update_iso);
  body["timestamp"] = now_ms;
  return body;
}

nlohmann::json core_error_json(const std::string& message, std::int64_t now_ms) {
  return {{"error", "Internal server error"}, {"message", message}, {"timestamp", now_ms}};
}

std::string core_uptime_text(std::int64_t uptime_ms) {
  if (uptime_ms < 0) uptime_ms = 0;
  const long long hours = uptime_ms / 3'600'000;
  const long long minutes = uptime_ms % 3'600'000 / 60'000;
  const long long seconds = uptime_ms % 60'000 / 1000;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", hours, minutes, seconds);
  return buf;
}

std::string iso8601_utc(std::int64_t epoch_ms) {
  std::int64_t secs = epoch_ms / 1000;
  std::int64_t millis = epoch_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    secs -= 1;
  }
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  return buf;
}

}  // namespace tbml
