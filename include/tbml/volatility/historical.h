#pragma once
// The no-model baseline: the training part's own distribution, the same for every "now". Variance
// forecast = mean training RV (the QLIKE-optimal constant), quantiles = empirical quantiles of the
// training part's h-candle log returns.
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml::volatility {

struct Historical {
  double mean_rv = 0.0;
  double q10 = 0.0, q50 = 0.0, q90 = 0.0;

  // Throws std::invalid_argument on mismatched sizes or fewer than 20 samples.
  static Historical fit(const std::vector<double>& rv, const std::vector<double>& ret);

  nlohmann::json to_json() const;
  static Historical from_json(const nlohmann::json& j);
};

}  // namespace tbml::volatility
