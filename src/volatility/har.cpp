#include "tbml/volatility/har.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace tbml::volatility {

Har Har::fit(const std::vector<double>& x, const std::vector<double>& y, std::size_t width) {
  const std::size_t n = y.size(), k = width + 1;
  if (width == 0 || x.size() != n * width)
    throw std::invalid_argument("Har::fit: x has " + std::to_string(x.size()) + " values for " + std::to_string(n) +
                                " rows of " + std::to_string(width));
  if (n < 2 * k) throw std::invalid_argument("Har::fit: " + std::to_string(n) + " rows are too few");
  // Normal equations A b = c with A = Z'Z, Z = [1, x].
  std::vector<double> a(k * k, 0.0), c(k, 0.0), z(k);
  for (std::size_t i = 0; i < n; ++i) {
    z[0] = 1.0;
    for (std::size_t j = 0; j < width; ++j) z[j + 1] = x[i * width + j];
    for (std::size_t p = 0; p < k; ++p) {
      c[p] += z[p] * y[i];
      for (std::size_t q = 0; q < k; ++q) a[p * k + q] += z[p] * z[q];
    }
  }
  double trace = 0.0;
  for (std::size_t p = 0; p < k; ++p) trace += a[p * k + p];
  for (std::size_t p = 1; p < k; ++p) a[p * k + p] += 1e-8 * trace;
  // Cholesky A = L L', then two triangular solves.
  for (std::size_t j = 0; j < k; ++j) {
    double d = a[j * k + j];
    for (std::size_t m = 0; m < j; ++m) d -= a[j * k + m] * a[j * k + m];
    if (!(d > 0.0)) throw std::invalid_argument("Har::fit: the inputs are degenerate (constant column?)");
    a[j * k + j] = std::sqrt(d);
    for (std::size_t i = j + 1; i < k; ++i) {
      double s = a[i * k + j];
      for (std::size_t m = 0; m < j; ++m) s -= a[i * k + m] * a[j * k + m];
      a[i * k + j] = s / a[j * k + j];
    }
  }
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t m = 0; m < i; ++m) c[i] -= a[i * k + m] * c[m];
    c[i] /= a[i * k + i];
  }
  Har h;
  h.coefficients.assign(k, 0.0);
  for (std::size_t i = k; i-- > 0;) {
    double s = c[i];
    for (std::size_t m = i + 1; m < k; ++m) s -= a[m * k + i] * h.coefficients[m];
    h.coefficients[i] = s / a[i * k + i];
  }
  return h;
}

double Har::predict(const double* row) const {
  double v = coefficients.at(0);
  for (std::size_t j = 1; j < coefficients.size(); ++j) v += coefficients[j] * row[j - 1];
  return v;
}

nlohmann::json Har::to_json() const { return {{"coefficients", coefficients}}; }

Har Har::from_json(const nlohmann::json& j) {
  Har h;
  h.coefficients = j.at("coefficients").get<std::vector<double>>();
  if (h.coefficients.size() < 2) throw std::invalid_argument("Har: stored model has no coefficients");
  for (double c : h.coefficients)
    if (!std::isfinite(c)) throw std::invalid_argument("Har: stored coefficient is not finite");
  return h;
}

}  // namespace tbml::volatility
