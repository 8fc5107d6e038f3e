#pragma once
// Deterministic synthetic candles for demos and tests: a log-price process with Markov-switching regimes
// (trend up, trend down, ranging), GARCH(1,1) volatility clustering, rare jumps, and volume that rises
// with volatility. The same (pair, seed, options) always gives the same series on every platform: only
// std::mt19937_64 bits are used, turned into uniforms/normals by our own code.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tbml/features/candle.h"

namespace tbml {

struct MarketSimOptions {
  std::uint64_t seed = 42;
  std::size_t count = 3440;          // number of candles to generate
  std::int64_t step_ms = 3'600'000;  // spacing between candles (1 h by default)
  std::int64_t start_ms = 1'700'000'000'000 / 3'600'000 * 3'600'000;  // timestamp of the first candle
  double start_price = 0.0;                                           // 0 = default_start_price(pair)
};

// Typical start price for well-known symbols (BTC ~60,000, ETH ~3,000, ...); unknown symbols get a
// small-coin price around 0.5 derived from the name, so it is stable.
double default_start_price(const std::string& pair);

// The per-pair seed: the user seed mixed with a hash of the pair name, so pairs differ under one seed.
std::uint64_t pair_seed(std::uint64_t seed, const std::string& pair);

// Throws std::invalid_argument on count == 0, step_ms <= 0, or a negative/non-finite start price.
std::vector<Candle> generate_candles(const std::string& pair, const MarketSimOptions& options);

}  // namespace tbml
