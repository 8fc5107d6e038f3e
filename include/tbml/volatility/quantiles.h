#pragma once
// Return quantiles from a variance forecast: q_p = σ̂ · z_p, where z_p is the empirical p-quantile of the
// standardised returns R / σ̂ on data the forecaster was not fitted on (the validation part). Fat tails,
// skew and any bias in σ̂'s level are absorbed by z_p, so the 80 % interval [q10, q90] is calibrated by
// construction on that part; every variance forecaster gets the same treatment so they stay comparable.
//
// Finite-sample correction (split-conformal rule): with m exchangeable calibration values, a new value
// falls below the r-th smallest with probability r / (m + 1), so the bound with expected coverage p is
// the p·(m + 1)-th of m — outside the plain p-quantile by about (p − ½)/m. Validation windows of h
// candles overlap: n of them hold only m = n / h windows that share no return (at h = 24 and n ≈ 600:
// m = 25), and the plain quantiles of such a sample cover ~77 % instead of 80 % (measured: 76.5 % pooled
// at 24 h). So the z quantiles are taken at p + (p − ½)/m of all n standardised returns.
#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml::volatility {

// Linear interpolation between order statistics (R's type 7: position p · (n − 1)). Ignores NaN.
// Throws std::invalid_argument on p outside [0, 1] or no finite value.
double empirical_quantile(std::vector<double> values, double p);

// The level at which to take the empirical quantile of n values holding m independent ones so that the
// bound covers p in expectation: p + (p − ½)/m, clamped to [0, 1]. Throws std::invalid_argument unless
// p is in [0, 1] and m > 0.
double conformal_level(double p, double independent);

struct StandardisedQuantiles {
  double z10 = -1.2815515655446004, z50 = 0.0, z90 = 1.2815515655446004;  // Gaussian until fitted
  std::size_t samples = 0;  // 0: the Gaussian defaults
  double independent = 0.0;  // m the levels were corrected for (0: none)

  // From returns[i] / sqrt(variance[i]), at the levels corrected for `independent` windows that share
  // no return (0: the plain 10/50/90 % quantiles, no correction). Throws std::invalid_argument on mismatched sizes,
  // fewer than 20 samples, or a non-positive variance.
  static StandardisedQuantiles fit(const std::vector<double>& returns, const std::vector<double>& variance,
                                   double independent = 0.0);

  nlohmann::json to_json() const;
  static StandardisedQuantiles from_json(const nlohmann::json& j);  // throws unless z10 <= z50 <= z90
};

}  // namespace tbml::volatility
