#include "tbml/sim/core_sim.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "tbml/market/pair_name.h"
#include "tbml/util/time.h"

namespace tbml {
namespace {

void validate_series(const std::string& pair, const std::vector<Candle>& candles) {
  if (candles.empty()) throw std::invalid_argument("core-sim: pair " + pair + " has no candles");
  for (std::size_t i = 0; i < candles.size(); ++i) {
    const Candle& c = candles[i];
    if (candle_value_problem(c) != CandleProblem::kNone) {
      throw std::invalid_argument("core-sim: pair " + pair + " candle " + std::to_string(i) +
                                  " has a non-finite or non-positive price or a bad volume");
    }
    if (i > 0 && c.timestamp <= candles[i - 1].timestamp) {
      throw std::invalid_argument("core-sim: pair " + pair +
                                  " timestamps are not strictly increasing at candle " + std::to_string(i));
    }
  }
}

}  // namespace

CoreSimulator::CoreSimulator(std::vector<PairSeries> series, CoreSimulatorOptions options, SteadyClock clock)
    : options_(options), clock_(clock ? std::move(clock) : SteadyClock(&steady_ms)) {
  if (series.empty()) throw std::invalid_argument("core-sim: at least one pair is required");
  if (options_.window == 0) throw std::invalid_argument("core-sim: window must be >= 1");
  if (options_.step_ms < 0) throw std::invalid_argument("core-sim: step_ms must be >= 0");
  if (options_.initial && *options_.initial > options_.window) {
    throw std::invalid_argument("core-sim: initial (" + std::to_string(*options_.initial) +
                                ") must not exceed window (" + std::to_string(options_.window) + ")");
  }
  for (auto& [raw_name, candles] : series) {
    const std::string name = normalize_pair_name(raw_name);
    if (find_locked(name)) throw std::invalid_argument("core-sim: pair " + name + " given twice");
    validate_series(name, candles);
    PairState state;
    state.name = name;
    state.cursor = options_.initial.value_or(std::min(options_.window, candles.size() - 1));
    if (state.cursor > candles.size()) {
      throw std::invalid_argument("core-sim: initial (" + std::to_string(state.cursor) + ") exceeds the " +
                                  std::to_string(candles.size()) + " candles of pair " + name);
    }
    state.candles = std::move(candles);
    pairs_.push_back(std::move(state));
  }
  start_steady_ms_ = clock_();
  last_update_ms_ = now_ms();
}

CoreSimulator::PairState* CoreSimulator::find_locked(const std::string& upper_name) {
  for (auto& p : pairs_) {
    if (p.name == upper_name) return &p;
  }
  return nullptr;
}

const CoreSimulator::PairState* CoreSimulator::find_locked(const std::string& upper_name) const {
  for (const auto& p : pairs_) {
    if (p.name == upper_name) return &p;
  }
  return nullptr;
}

std::vector<Candle> CoreSimulator::window_locked(const PairState& state) const {
  const std::size_t begin = state.cursor > options_.window ? state.cursor - options_.window : 0;
  return {state.candles.begin() + static_cast<std::ptrdiff_t>(begin),
          state.candles.begin() + static_cast<std::ptrdiff_t>(state.cursor)};
}

void CoreSimulator::sync_clock_locked() {
  if (options_.step_ms <= 0) return;
  const std::int64_t steps = (clock_() - start_steady_ms_) / options_.step_ms;
  if (steps > clock_steps_applied_) {
    advance_locked(static_cast<std::size_t>(steps - clock_steps_applied_));
    clock_steps_applied_ = steps;
  }
}

void CoreSimulator::advance_pair_locked(PairState& state, std::size_t n) {
  const std::size_t target = std::min(state.candles.size(), state.cursor + std::min(n, state.candles.size()));
  if (target == state.cursor) return;
  state.cursor = target;
  last_update_ms_ = now_ms();
  ++updates_;
}

void CoreSimulator::advance_locked(std::size_t n) {
  for (auto& p : pairs_) advance_pair_locked(p, n);
}

bool CoreSimulator::dropped_locked(const std::string& name) const {
  if (fault_ != FaultMode::drop_pair) return false;
  const std::string victim = fault_pair_.empty() ? pairs_.front().name : fault_pair_;
  return name == victim;
}

std::vector<std::string> CoreSimulator::listed_pairs_locked() const {
  std::vector<std::string> names;
  for (const auto& p : pairs_) {
    if (!dropped_locked(p.name)) names.push_back(p.name);
  }
  return names;
}

std::vector<std::string> CoreSimulator::pairs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> names;
  for (const auto& p : pairs_) names.push_back(p.name);
  return names;
}

std::vector<Candle> CoreSimulator::visible(const std::string& pair) {
  std::lock_guard<std::mutex> lock(mutex_);
  sync_clock_locked();
  const PairState* state = find_locked(normalize_pair_name(pair));
  if (!state) throw std::invalid_argument("core-sim: unknown pair " + pair);
  return window_locked(*state);
}

std::size_t CoreSimulator::visible_count(const std::string& pair) { return visible(pair).size(); }

std::size_t CoreSimulator::series_length(const std::string& pair) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const PairState* state = find_locked(normalize_pair_name(pair));
  if (!state) throw std::invalid_argument("core-sim: unknown pair " + pair);
  return state->candles.size();
}

void CoreSimulator::advance(std::size_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  advance_locked(n);
}

void CoreSimulator::set_fault(FaultMode mode, const std::string& pair) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string victim;
  if (!pair.empty()) {
    victim = normalize_pair_name(pair);
    if (!find_locked(victim)) throw std::invalid_argument("core-sim: unknown pair " + pair);
  }
  fault_ = mode;
  fault_pair_ = victim;
}

FaultMode CoreSimulator::fault() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fault_;
}

std::string CoreSimulator::fault_pair() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fault_pair_.empty() ? pairs_.front().name : fault_pair_;
}

}  // namespace tbml
