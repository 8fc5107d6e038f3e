#pragma once
// What `tbml train` and `tbml evaluate` share: loading PAIR=file.csv inputs into Series whose cross-pair
// columns come from a reference pair, through market's build_series_set (the offline twin of the live
// ingest), and the --reference-pair option.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tbml/market/candle_csv.h"
#include "tbml/market/series.h"

namespace tbml::cli {

// Adds --reference-pair (default: the configuration's ml.referencePair; "" or "none" turns it off).
void add_reference_option(CLI::App* cmd, std::string& reference_pair);

// The normalised reference name ("" when off). Throws std::invalid_argument for an invalid name.
std::string parse_reference_pair(const std::string& option);

// Loads every input (only the most recent max_candles of each, 0 = all) and builds the Series, in input
// order. When the reference pair is not among the inputs, `say` is told once that its columns are not
// available.
std::vector<Series> load_series_set(const std::vector<PairCsv>& inputs, std::size_t max_candles,
                                    const std::string& reference_pair,
                                    const std::function<void(const std::string&)>& say);

}  // namespace tbml::cli
