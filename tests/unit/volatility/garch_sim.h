#pragma once
// Simulated GARCH(1,1) prices for the volatility tests: hourly candles whose log returns follow
// r_i = σ_i z_i, σ²_{i+1} = ω + α r_i² + β σ²_i, z ~ N(0, 1), fixed seed.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "tbml/market/candle.h"
#include "tbml/market/series.h"

namespace tbml::volatility::test {

struct SimulatedGarch {
  std::vector<double> returns;  // r_1..r_n (index 0 of the candles has none)
  std::vector<Candle> candles;  // n + 1 candles
};

inline SimulatedGarch simulate_garch(std::size_t n, double omega, double alpha, double beta, std::uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0.0, 1.0);
  SimulatedGarch s;
  double v = omega / (1.0 - alpha - beta), price = 100.0;
  const std::int64_t t0 = 1'700'000'000'000;
  s.candles.push_back({t0, price, price, price, price, 1.0});
  for (std::size_t i = 0; i < n; ++i) {
    const double r = std::sqrt(v) * z(rng);
    s.returns.push_back(r);
    const double next = price * std::exp(r);
    const double hi = std::max(price, next) * 1.0005, lo = std::min(price, next) * 0.9995;
    s.candles.push_back({t0 + static_cast<std::int64_t>(i + 1) * 3'600'000, price, hi, lo, next, 10.0});
    price = next;
    v = omega + alpha * r * r + beta * v;
  }
  return s;
}

// A Series over the simulated candles (real feature rows from the pipeline).
inline Series garch_series(std::size_t n, double omega = 2e-6, double alpha = 0.08, double beta = 0.90,
                           std::uint64_t seed = 7) {
  return build_series("SIM", simulate_garch(n, omega, alpha, beta, seed).candles);
}

}  // namespace tbml::volatility::test
