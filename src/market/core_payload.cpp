#include "tbml/market/core_payload.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "tbml/market/pair_name.h"

namespace tbml {
namespace {

using nlohmann::json;

json parse_json(const std::string& body) {
  try {
    return json::parse(body);
  } catch (const json::exception& e) {
    throw PayloadError(std::string("malformed JSON: ") + e.what());
  }
}

const char* type_name(const json& v) {
  if (v.is_string()) return "a string";
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return "a number";
}

const json& require_array(const json& history, const char* name) {
  auto it = history.find(name);
  if (it == history.end()) throw PayloadError(std::string("history.") + name + " is missing");
  if (!it->is_array()) {
    throw PayloadError(std::string("history.") + name + " is " + type_name(*it) + ", expected an array");
  }
  return *it;
}

// Per-point readers: return false and set `why` instead of throwing.
bool read_number(const json& arr, const char* name, std::size_t i, double& out, std::string& why) {
  const json& v = arr[i];
  if (!v.is_number()) {
    why = std::string(name) + "[" + std::to_string(i) + "] is " + type_name(v) + ", not a number";
    return false;
  }
  out = v.get<double>();
  if (!std::isfinite(out)) {
    why = std::string(name) + "[" + std::to_string(i) + "] is not finite";
    return false;
  }
  return true;
}

bool read_timestamp(const json& arr, std::size_t i, std::int64_t& out, std::string& why) {
  const json& v = arr[i];
  const std::string where = "timestamps[" + std::to_string(i) + "]";
  if (v.is_number_integer() && !v.is_number_unsigned()) {
    out = v.get<std::int64_t>();
  } else if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      why = where + " is out of range";
      return false;
    }
    out = static_cast<std::int64_t>(u);
  } else if (v.is_number_float()) {
    // 1.7952153e12 is still an integer number of ms; 1795215300000.5 is not.
    const double d = v.get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15) {
      why = where + " is not an integer";
      return false;
    }
    out = static_cast<std::int64_t>(d);
  } else {
    why = where + " is " + type_name(v) + ", not an integer";
    return false;
  }
  if (out <= 0) {
    why = where + " is not positive";
    return false;
  }
  return true;
}

bool read_point(const json& closes, const json& highs, const json& lows, const json& volumes,
                const json& timestamps, std::size_t i, Candle& c, std::string& why) {
  if (!read_timestamp(timestamps, i, c.timestamp, why)) return false;
  if (!read_number(closes, "closes", i, c.close, why)) return false;
  if (!read_number(highs, "highs", i, c.high, why)) return false;
  if (!read_number(lows, "lows", i, c.low, why)) return false;
  if (!read_number(volumes, "volumes", i, c.volume, why)) return false;
  c.open = 0.0;  // core sends none; PairState fills it (complete_candle)
  switch (candle_problem(c)) {
    case CandleProblem::kNone:
      return true;
    case CandleProblem::kTimestamp:  // read_timestamp already refused these
      why = "timestamps[" + std::to_string(i) + "] is not positive";
      return false;
    case CandleProblem::kPrice:
      why = "point " + std::to_string(i) + " has a price <= 0";
      return false;
    case CandleProblem::kVolume:
      why = "point " + std::to_string(i) + " has a negative volume";
      return false;
  }
  return false;
}

PairPayload parse_pair_payload_impl(const std::string& body, const std::string& expected_pair) {
  const json root = parse_json(body);
  if (!root.is_object()) throw PayloadError(std::string("payload is ") + type_name(root) + ", expected an object");

  PairPayload out;
  if (auto it = root.find("pair"); it != root.end()) {
    if (!it->is_string()) throw PayloadError(std::string("pair is ") + type_name(*it) + ", expected a string");
    out.pair = it->get<std::string>();
    if (!expected_pair.empty() && out.pair != expected_pair) {
      throw PayloadError("payload is for pair '" + out.pair + "', expected '" + expected_pair + "'");
    }
  } else {
    out.pair = expected_pair;
  }

  auto hist_it = root.find("history");
  if (hist_it == root.end()) throw PayloadError("history is missing");
  if (!hist_it->is_object()) throw PayloadError(std::string("history is ") + type_name(*hist_it) + ", expected an object");
  const json& history = *hist_it;
  const json& closes = require_array(history, "closes");
  const json& highs = require_array(history, "highs");
  const json& lows = require_array(history, "lows");
  const json& volumes = require_array(history, "volumes");
  const json& timestamps = require_array(history, "timestamps");

  const std::size_t n = timestamps.size();
  auto check_len = [&](const json& arr, const char* name) {
    if (arr.size() != n) {
      throw PayloadError("unequal array lengths: timestamps has " + std::to_string(n) + ", " + name +
                         " has " + std::to_string(arr.size()));
    }
  };
  check_len(closes, "closes");
  check_len(highs, "highs");
  check_len(lows, "lows");
  check_len(volumes, "volumes");
  if (auto it = history.find("prices"); it != history.end()) {
    if (!it->is_array()) throw PayloadError(std::string("history.prices is ") + type_name(*it) + ", expected an array");
    check_len(*it, "prices");
  }

  if (auto it = root.find("strategies"); it != root.end()) out.has_strategies = it->is_object();
  if (auto it = root.find("hasEnoughData"); it != root.end() && it->is_boolean()) out.has_enough_data = it->get<bool>();
  if (auto it = root.find("timestamp"); it != root.end() && it->is_number_integer()) {
    out.server_timestamp = it->get<std::int64_t>();
  }

  out.total_points = n;
  std::vector<Candle> points;
  points.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    Candle c;
    std::string why;
    if (read_point(closes, highs, lows, volumes, timestamps, i, c, why)) {
      points.push_back(c);
    } else {
      if (out.rejected_points == 0) out.first_rejection = why;
      ++out.rejected_points;
    }
  }
  if (n > 0 && points.empty()) {
    throw PayloadError("no valid points among " + std::to_string(n) + " (first: " + out.first_rejection + ")");
  }

  std::stable_sort(points.begin(), points.end(),
                   [](const Candle& a, const Candle& b) { return a.timestamp < b.timestamp; });
  out.candles.reserve(points.size());
  for (const Candle& c : points) {
    if (!out.candles.empty() && out.candles.back().timestamp == c.timestamp) {
      out.candles.back() = c;  // the later observation of the same instant wins
      ++out.duplicate_points;
    } else {
      out.candles.push_back(c);
    }
  }
  return out;
}

std::vector<std::string> parse_pairs_payload_impl(const std::string& body) {
  const json root = parse_json(body);
  if (!root.is_object()) throw PayloadError(std::string("payload is ") + type_name(root) + ", expected an object");
  auto it = root.find("pairs");
  if (it == root.end()) throw PayloadError("pairs is missing");
  if (!it->is_array()) throw PayloadError(std::string("pairs is ") + type_name(*it) + ", expected an array");
  std::vector<std::string> names;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& v = (*it)[i];
    if (!v.is_string()) {
      throw PayloadError("pairs[" + std::to_string(i) + "] is " + type_name(v) + ", expected a string");
    }
    std::string name;
    try {
      name = normalize_pair_name(v.get<std::string>());
    } catch (const std::invalid_argument& e) {
      throw PayloadError("pairs[" + std::to_string(i) + "]: " + e.what());
    }
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

}  // namespace

// Public entry points: whatever goes wrong inside surfaces as PayloadError, never as another type.
PairPayload parse_pair_payload(const std::string& body, const std::string& expected_pair) {
  try {
    return parse_pair_payload_impl(body, expected_pair);
  } catch (const PayloadError&) {
    throw;
  } catch (const std::exception& e) {
    throw PayloadError(std::string("cannot parse pair payload: ") + e.what());
  }
}

std::vector<std::string> parse_pairs_payload(const std::string& body) {
  try {
    return parse_pairs_payload_impl(body);
  } catch (const PayloadError&) {
    throw;
  } catch (const std::exception& e) {
    throw PayloadError(std::string("cannot parse pairs payload: ") + e.what());
  }
}

}  // namespace tbml
