#pragma once
// HAR-style regression (Corsi 2009), the cheap alternative to the trees: log RV_{t,h} regressed by least
// squares on an intercept and the log lookback variances (last 1, 6, 24, 120 candles: hour, "session",
// day, five days). Fitted on the training part; kept only when it beats the trees on validation.
#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml::volatility {

struct Har {
  std::vector<double> coefficients;  // intercept first, then one per input column

  // x: rows × width, row-major; y: log RV per row. A ridge of 1e-8 · trace keeps collinear lookbacks
  // solvable. Throws std::invalid_argument on mismatched sizes or fewer rows than 2 × (width + 1).
  static Har fit(const std::vector<double>& x, const std::vector<double>& y, std::size_t width);
  double predict(const double* row) const;  // log RV
  std::size_t width() const { return coefficients.empty() ? 0 : coefficients.size() - 1; }

  nlohmann::json to_json() const;
  static Har from_json(const nlohmann::json& j);
};

}  // namespace tbml::volatility
