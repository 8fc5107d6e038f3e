#include "tbml/market/candle_csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "tbml/market/pair_name.h"

namespace tbml {
namespace {

constexpr std::string_view kHeader = "timestamp,open,high,low,close,volume";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

[[noreturn]] void fail(const std::string& source, std::size_t line, const std::string& why) {
  throw std::invalid_argument(source + ":" + std::to_string(line) + ": " + why);
}

std::int64_t parse_int(std::string_view field, const std::string& source, std::size_t line) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (ec != std::errc() || end != field.data() + field.size() || field.empty()) {
    fail(source, line, "timestamp '" + std::string(field) + "' is not an integer (epoch ms)");
  }
  return value;
}

double parse_double(std::string_view field, const char* name, const std::string& source,
                    std::size_t line) {
  double value = 0.0;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (ec != std::errc() || end != field.data() + field.size() || field.empty() || !std::isfinite(value)) {
    fail(source, line, std::string(name) + " '" + std::string(field) + "' is not a finite number");
  }
  return value;
}

Candle parse_row(std::string_view row, const std::string& source, std::size_t line) {
  std::string_view fields[6];
  std::size_t count = 0;
  while (true) {
    const std::size_t comma = row.find(',');
    if (count == 6) fail(source, line, "expected 6 fields, got more");
    fields[count++] = trim(row.substr(0, comma));
    if (comma == std::string_view::npos) break;
    row.remove_prefix(comma + 1);
  }
  if (count != 6) fail(source, line, "expected 6 fields, got " + std::to_string(count));

  Candle c;
  c.timestamp = parse_int(fields[0], source, line);
  c.open = parse_double(fields[1], "open", source, line);
  c.high = parse_double(fields[2], "high", source, line);
  c.low = parse_double(fields[3], "low", source, line);
  c.close = parse_double(fields[4], "close", source, line);
  c.volume = parse_double(fields[5], "volume", source, line);
  // The shared rule (features/candle.h), plus what a CSV row must also have: an open, and a high/low
  // that contain open and close (nothing is repaired here).
  const CandleProblem problem = candle_problem(c);
  if (problem == CandleProblem::kTimestamp) fail(source, line, "timestamp must be positive");
  if (problem == CandleProblem::kPrice || !usable_price(c.open)) fail(source, line, "prices must be > 0");
  if (problem == CandleProblem::kVolume) fail(source, line, "volume must be >= 0");
  if (!candle_range_consistent(c)) fail(source, line, "high/low inconsistent with open/close");
  return c;
}

}  // namespace

std::vector<Candle> parse_candles_csv(const std::string& text, const std::string& source) {
  std::vector<Candle> candles;
  std::string_view rest(text);
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
  std::size_t line = 0;
  bool header_seen = false;
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    const std::string_view raw = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    ++line;
    const std::string_view row = trim(raw);
    if (row.empty()) continue;
    if (!header_seen) {
      if (row != kHeader) {
        fail(source, line, "expected header '" + std::string(kHeader) + "', got '" + std::string(row) + "'");
      }
      header_seen = true;
      continue;
    }
    candles.push_back(parse_row(row, source, line));
  }
  if (!header_seen) fail(source, line, "empty file: header '" + std::string(kHeader) + "' missing");

  // Stable sort keeps file order among equal timestamps, so keeping the last of each run = later row wins.
  std::stable_sort(candles.begin(), candles.end(),
                   [](const Candle& a, const Candle& b) { return a.timestamp < b.timestamp; });
  std::vector<Candle> unique;
  unique.reserve(candles.size());
  for (const Candle& c : candles) {
    if (!unique.empty() && unique.back().timestamp == c.timestamp) {
      unique.back() = c;
    } else {
      unique.push_back(c);
    }
  }
  return unique;
}

std::vector<Candle> load_candles_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot open candle CSV '" + path + "'");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw std::invalid_argument("error reading candle CSV '" + path + "'");
  return parse_candles_csv(buffer.str(), path);
}

std::vector<PairCsv> parse_pair_csv_list(const std::string& list) {
  std::vector<PairCsv> out;
  std::string_view rest(list);
  if (trim(rest).empty()) throw std::invalid_argument("pair CSV list is empty (expected PAIR=path,...)");
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      throw std::invalid_argument("pair CSV item '" + std::string(item) + "' must be PAIR=path");
    }
    PairCsv entry;
    entry.pair = normalize_pair_name(std::string(trim(item.substr(0, eq))));
    entry.path = std::string(trim(item.substr(eq + 1)));
    if (entry.path.empty()) throw std::invalid_argument("pair CSV item '" + std::string(item) + "' has no path");
    for (const PairCsv& seen : out) {
      if (seen.pair == entry.pair) throw std::invalid_argument("pair " + entry.pair + " given twice");
    }
    out.push_back(std::move(entry));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace tbml
