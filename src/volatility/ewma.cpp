#include "tbml/volatility/ewma.h"

#include <cmath>
#include <stdexcept>

#include "tbml/volatility/realised.h"

namespace tbml::volatility {

Ewma Ewma::fit(const std::vector<double>& returns, std::size_t begin, std::size_t end, double lambda) {
  if (!(lambda > 0.0 && lambda < 1.0)) throw std::invalid_argument("Ewma: lambda must be in (0, 1)");
  Ewma e;
  e.lambda = lambda;
  e.seed_variance = mean_square(returns, begin, end);
  if (!(e.seed_variance > 0.0)) throw std::invalid_argument("Ewma: the training returns are all zero");
  return e;
}

double Ewma::next_variance(const std::vector<double>& returns, std::size_t begin, std::size_t end) const {
  double v = seed_variance;
  for (std::size_t i = begin; i < end && i < returns.size(); ++i) {
    const double r = returns[i];
    if (std::isnan(r)) continue;
    v = lambda * v + (1.0 - lambda) * r * r;
  }
  return v;
}

double Ewma::forecast(const std::vector<double>& returns, std::size_t t, std::size_t horizon,
                      std::size_t window) const {
  const std::size_t begin = t + 1 > window ? t + 1 - window : 0;
  return static_cast<double>(horizon) * next_variance(returns, begin, t + 1);
}

nlohmann::json Ewma::to_json() const { return {{"lambda", lambda}, {"seedVariance", seed_variance}}; }

Ewma Ewma::from_json(const nlohmann::json& j) {
  Ewma e;
  e.lambda = j.at("lambda").get<double>();
  e.seed_variance = j.at("seedVariance").get<double>();
  if (!(e.lambda > 0.0 && e.lambda < 1.0) || !(e.seed_variance > 0.0) || !std::isfinite(e.seed_variance))
    throw std::invalid_argument("Ewma: bad lambda or seedVariance in the stored model");
  return e;
}

}  // namespace tbml::volatility
