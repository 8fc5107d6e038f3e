#include "tbml/volatility/quantiles.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tbml::volatility {

double empirical_quantile(std::vector<double> values, double p) {
  if (!(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("empirical_quantile: p must be in [0, 1]");
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }),
               values.end());
  if (values.empty()) throw std::invalid_argument("empirical_quantile: no finite values");
  std::sort(values.begin(), values.end());
  const double pos = p * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  const double w = pos - static_cast<double>(lo);
  return values[lo] + w * (values[hi] - values[lo]);
}

double conformal_level(double p, double independent) {
  if (!(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("conformal_level: p must be in [0, 1]");
  if (!(independent > 0.0)) throw std::invalid_argument("conformal_level: the independent count must be positive");
  return std::clamp(p + (p - 0.5) / independent, 0.0, 1.0);
}

StandardisedQuantiles StandardisedQuantiles::fit(const std::vector<double>& returns,
                                                 const std::vector<double>& variance, double independent) {
  if (returns.size() != variance.size())
    throw std::invalid_argument("StandardisedQuantiles: " + std::to_string(returns.size()) + " returns for " +
                                std::to_string(variance.size()) + " variances");
  if (returns.size() < 20)
    throw std::invalid_argument("StandardisedQuantiles: " + std::to_string(returns.size()) +
                                " samples, need at least 20 for 10 % tails");
  std::vector<double> z(returns.size());
  for (std::size_t i = 0; i < returns.size(); ++i) {
    if (!(variance[i] > 0.0) || !std::isfinite(variance[i]))
      throw std::invalid_argument("StandardisedQuantiles: non-positive variance at sample " + std::to_string(i));
    z[i] = returns[i] / std::sqrt(variance[i]);
  }
  StandardisedQuantiles q;
  q.z10 = empirical_quantile(z, independent > 0.0 ? conformal_level(0.10, independent) : 0.10);
  q.z50 = empirical_quantile(z, 0.50);
  q.z90 = empirical_quantile(z, independent > 0.0 ? conformal_level(0.90, independent) : 0.90);
  q.samples = z.size();
  q.independent = std::max(independent, 0.0);
  return q;
}

nlohmann::json StandardisedQuantiles::to_json() const {
  return {{"z10", z10}, {"z50", z50}, {"z90", z90}, {"samples", samples}, {"independent", independent}};
}

StandardisedQuantiles StandardisedQuantiles::from_json(const nlohmann::json& j) {
  StandardisedQuantiles q;
  q.z10 = j.at("z10").get<double>();
  q.z50 = j.at("z50").get<double>();
  q.z90 = j.at("z90").get<double>();
  q.samples = j.value("samples", std::size_t{0});
  q.independent = j.value("independent", 0.0);
  if (!(q.z10 <= q.z50 && q.z50 <= q.z90) || !std::isfinite(q.z10) || !std::isfinite(q.z90))
    throw std::invalid_argument("StandardisedQuantiles: stored quantiles are not ordered and finite");
  return q;
}

}  // namespace tbml::volatility
