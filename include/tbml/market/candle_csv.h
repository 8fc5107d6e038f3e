#pragma once
// Offline candle history: the CSV layout of /work/shared/data/market (see SOURCES.md).
#include <string>
#include <vector>

#include "tbml/features/candle.h"

namespace tbml {

// Reads a CSV with the exact header `timestamp,open,high,low,close,volume` (integer epoch ms, decimal
// prices). Strict: any bad row throws std::invalid_argument naming the file and line number (wrong field
// count, unparsable or non-finite number, price <= 0, volume < 0, high/low inconsistent with open/close).
// The result is sorted by timestamp; for a repeated timestamp the later row in the file wins.
// CRLF line endings, a UTF-8 BOM and blank lines are accepted.
std::vector<Candle> load_candles_csv(const std::string& path);

// Same rules, from text already in memory; `source` names it in error messages.
std::vector<Candle> parse_candles_csv(const std::string& text, const std::string& source = "<csv>");

struct PairCsv {
  std::string pair;  // normalised (upper-case, ^[A-Z0-9]{2,20}$)
  std::string path;
};

// Parses "BTC=a.csv,ETH=b.csv" (spaces around items are ignored). Throws std::invalid_argument on an
// empty list, an item without '=', an invalid pair name, an empty path or a pair given twice.
std::vector<PairCsv> parse_pair_csv_list(const std::string& list);

}  // namespace tbml
