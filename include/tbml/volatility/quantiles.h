#pragma once
// Return quantiles from a variance forecast: q_p = σ̂ · z_p, where z_p is the empirical p-quantile of the
// standardised returns R / σ̂ on data the forecaster was not fitted on (the validation part). Fat tails,
// skew and any bias in σ̂'s level are absorbed by z_p, so the 80 % interval [q10, q90] is calibrated by
// construction on that part; every variance forecaster gets the same treatment so they stay comparable.
#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml::volatility {

// Linear interpolation between order statistics (R's type 7: position p · (n − 1)). Ignores NaN.
// Throws std::invalid_argument on p outside [0, 1] or no finite value.
double empirical_quantile(std::vector<double> values, double p);

struct StandardisedQuantiles {
  double z10 = -1.2815515655446004, z50 = 0.0, z90 = 1.2815515655446004;  // Gaussian until fitted
  std::size_t samples = 0;  // 0: the Gaussian defaults

  // From returns[i] / sqrt(variance[i]). Throws std::invalid_argument on mismatched sizes, fewer than 20
  // samples, or a non-positive variance.
  static StandardisedQuantiles fit(const std::vector<double>& returns, const std::vector<double>& variance);

  nlohmann::json to_json() const;
  static StandardisedQuantiles from_json(const nlohmann::json& j);  // throws unless z10 <= z50 <= z90
};

}  // namespace tbml::volatility
