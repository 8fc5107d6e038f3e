#pragma once
// Derivative-free minimisation (Nelder–Mead simplex, standard coefficients 1 / 2 / 0.5 / 0.5) for the
// GARCH likelihood: three parameters, a cheap objective, and no gradient worth deriving by hand.
// Non-finite objective values are treated as +inf, so a transform that overflows is simply rejected.
#include <cstddef>
#include <functional>
#include <vector>

namespace tbml::volatility {

struct NelderMeadOptions {
  std::size_t max_evaluations = 4000;
  double f_tolerance = 1e-9;  // stop when max |f - f_best| over the simplex is below this ...
  double x_tolerance = 1e-7;  // ... and every vertex is within this of the best one (max norm)
};

struct NelderMeadResult {
  std::vector<double> x;
  double f = 0.0;
  std::size_t evaluations = 0;
  bool converged = false;  // false: stopped at max_evaluations
};

// `step` is the initial simplex edge per coordinate. Throws std::invalid_argument on empty x0 or a
// step of the wrong size.
NelderMeadResult nelder_mead(const std::function<double(const std::vector<double>&)>& f, std::vector<double> x0,
                             const std::vector<double>& step, const NelderMeadOptions& options = {});

}  // namespace tbml::volatility
