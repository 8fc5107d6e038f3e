#pragma once
// RiskMetrics EWMA variance, the baseline every forecaster has to beat:
//   σ²_{i+1} = λ σ²_i + (1 − λ) r_i²,  h-candle forecast at t = h · σ²_{t+1|t}
// (a random walk in variance, so the h-step forecast is flat). The recursion starts at `seed_variance`
// (the training part's mean r²) at the first return it reads; a missing return (gap) leaves σ² unchanged.
#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml::volatility {

struct Ewma {
  double lambda = 0.94;         // RiskMetrics' value for daily data; not fitted
  double seed_variance = 0.0;   // per-candle variance the recursion starts from

  // Seeds from the mean r² of returns[begin, end) (the training part). Throws std::invalid_argument.
  static Ewma fit(const std::vector<double>& returns, std::size_t begin, std::size_t end, double lambda = 0.94);

  // σ²_{end | returns[begin, end)}: the variance of r_end after reading returns[begin, end) from the seed.
  double next_variance(const std::vector<double>& returns, std::size_t begin, std::size_t end) const;
  // h · σ²_{t+1|t}, reading the last `window` returns up to and including r_t (fewer near the start).
  double forecast(const std::vector<double>& returns, std::size_t t, std::size_t horizon, std::size_t window) const;

  nlohmann::json to_json() const;
  static Ewma from_json(const nlohmann::json& j);  // throws on missing or non-positive values
};

}  // namespace tbml::volatility
