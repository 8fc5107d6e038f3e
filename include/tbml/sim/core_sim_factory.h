#pragma once
// Builds a CoreSimulator from user-level options: synthetic pairs (market_sim) and/or CSV files. Used by
// `tbml core-sim` and by `serve --demo`.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tbml/sim/core_sim.h"
#include "tbml/sim/fault_mode.h"

namespace tbml {

struct CoreSimOptions {
  std::vector<std::string> synthetic_pairs;              // e.g. {"BTC","ETH"}
  std::vector<std::pair<std::string, std::string>> csv;  // (pair, path) in the candle CSV layout
  std::uint64_t seed = 42;
  std::size_t window = 1440;
  std::optional<std::size_t> initial;  // default min(window, length - 1)
  std::int64_t step_ms = 0;            // wall-clock advance; 0 = off
  bool advance_per_request = false;
  std::int64_t candle_interval_ms = 3'600'000;  // spacing of synthetic candles
  std::size_t synthetic_ahead = 2000;           // synthetic candles after the initial window
  // First synthetic timestamp; default: the initial window ends at the last closed interval before now.
  std::optional<std::int64_t> synthetic_start_ms;
  FaultMode fault = FaultMode::none;
};

// Throws std::invalid_argument naming the bad value (no pairs, a pair twice, bad pair name, window 0,
// non-positive interval, step_ms < 0, step_ms together with advance_per_request, unreadable/invalid CSV).
std::shared_ptr<CoreSimulator> make_core_simulator(const CoreSimOptions& options);

}  // namespace tbml
