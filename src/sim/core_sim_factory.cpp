#include "tbml/sim/core_sim_factory.h"

#include <set>
#include <stdexcept>

#include "tbml/market/candle_csv.h"
#include "tbml/market/pair_name.h"
#include "tbml/sim/market_sim.h"
#include "tbml/util/time.h"

namespace tbml {
namespace {

constexpr std::size_t kMaxWindow = 1'000'000;
constexpr std::size_t kMaxSyntheticCandles = 5'000'000;

void validate(const CoreSimOptions& o) {
  if (o.synthetic_pairs.empty() && o.csv.empty()) {
    throw std::invalid_argument("core-sim: no pairs (give synthetic pairs or CSV files)");
  }
  if (o.window == 0 || o.window > kMaxWindow) {
    throw std::invalid_argument("core-sim: window must be in [1, " + std::to_string(kMaxWindow) + "], got " +
                                std::to_string(o.window));
  }
  if (o.initial && *o.initial > o.window) {
    throw std::invalid_argument("core-sim: initial (" + std::to_string(*o.initial) +
                                ") must not exceed window (" + std::to_string(o.window) + ")");
  }
  if (o.candle_interval_ms <= 0) {
    throw std::invalid_argument("core-sim: candle interval must be > 0 ms, got " +
                                std::to_string(o.candle_interval_ms));
  }
  if (o.step_ms < 0)
    throw std::invalid_argument("core-sim: step_ms must be >= 0, got " + std::to_string(o.step_ms));
  if (o.step_ms > 0 && o.advance_per_request) {
    throw std::invalid_argument("core-sim: choose either a wall-clock step or advance-per-request, not both");
  }
  if (o.initial.value_or(o.window) + o.synthetic_ahead > kMaxSyntheticCandles) {
    throw std::invalid_argument("core-sim: too many synthetic candles (initial + ahead must be <= " +
                                std::to_string(kMaxSyntheticCandles) + ")");
  }
}

}  // namespace

std::shared_ptr<CoreSimulator> make_core_simulator(const CoreSimOptions& options) {
  validate(options);
  std::vector<CoreSimulator::PairSeries> series;
  std::set<std::string> seen;
  const auto claim = [&seen](const std::string& raw) {
    const std::string name = normalize_pair_name(raw);
    if (!seen.insert(name).second) throw std::invalid_argument("core-sim: pair " + name + " given twice");
    return name;
  };

  for (const auto& [raw_pair, path] : options.csv) {
    const std::string name = claim(raw_pair);
    std::vector<Candle> candles = load_candles_csv(path);
    if (candles.size() < 2) {
      throw std::invalid_argument("core-sim: " + path + " has fewer than 2 candles");
    }
    series.emplace_back(name, std::move(candles));
  }

  const std::size_t initial = options.initial.value_or(options.window);
  MarketSimOptions market;
  market.seed = options.seed;
  market.step_ms = options.candle_interval_ms;
  market.count = initial + options.synthetic_ahead;
  if (market.count < 2) market.count = 2;
  if (options.synthetic_start_ms) {
    market.start_ms = *options.synthetic_start_ms;
  } else {
    // The newest visible candle is the last interval that has fully closed, so the data looks fresh.
    const std::int64_t interval = options.candle_interval_ms;
    const std::int64_t last_closed_open = (now_ms() / interval - 1) * interval;
    market.start_ms = last_closed_open - static_cast<std::int64_t>(initial > 0 ? initial - 1 : 0) * interval;
  }
  for (const auto& raw_pair : options.synthetic_pairs) {
    const std::string name = claim(raw_pair);
    series.emplace_back(name, generate_candles(name, market));
  }

  CoreSimulatorOptions sim;
  sim.window = options.window;
  sim.initial = options.initial;
  sim.step_ms = options.step_ms;
  sim.advance_per_request = options.advance_per_request;
  auto simulator = std::make_shared<CoreSimulator>(std::move(series), sim);
  simulator->set_fault(options.fault);
  return simulator;
}

}  // namespace tbml
