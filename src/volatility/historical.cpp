#include "tbml/volatility/historical.h"

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "tbml/volatility/quantiles.h"

namespace tbml::volatility {

Historical Historical::fit(const std::vector<double>& rv, const std::vector<double>& ret) {
  if (rv.size() != ret.size()) throw std::invalid_argument("Historical: rv and ret sizes differ");
  if (rv.size() < 20)
    throw std::invalid_argument("Historical: " + std::to_string(rv.size()) + " samples, need at least 20");
  Historical h;
  h.mean_rv = std::accumulate(rv.begin(), rv.end(), 0.0) / static_cast<double>(rv.size());
  h.q10 = empirical_quantile(ret, 0.10);
  h.q50 = empirical_quantile(ret, 0.50);
  h.q90 = empirical_quantile(ret, 0.90);
  return h;
}

nlohmann::json Historical::to_json() const {
  return {{"meanRv", mean_rv}, {"q10", q10}, {"q50", q50}, {"q90", q90}};
}

Historical Historical::from_json(const nlohmann::json& j) {
  Historical h;
  h.mean_rv = j.at("meanRv").get<double>();
  h.q10 = j.at("q10").get<double>();
  h.q50 = j.at("q50").get<double>();
  h.q90 = j.at("q90").get<double>();
  if (!(h.mean_rv > 0.0) || !std::isfinite(h.mean_rv) || !(h.q10 <= h.q50 && h.q50 <= h.q90))
    throw std::invalid_argument("Historical: bad stored values");
  return h;
}

}  // namespace tbml::volatility
