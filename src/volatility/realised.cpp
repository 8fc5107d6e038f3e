#include "tbml/volatility/realised.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace tbml::volatility {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

std::vector<double> log_returns(const Series& series) {
  std::vector<double> r(series.size(), kNaN);
  for (std::size_t i = 1; i < series.size(); ++i) {
    if (i < series.gap_before.size() && series.gap_before[i]) continue;
    r[i] = std::log(series.candles[i].close / series.candles[i - 1].close);
  }
  return r;
}

Targets realised_targets(const Series& series, const std::vector<double>& returns, std::size_t horizon) {
  if (horizon == 0) throw std::invalid_argument("realised_targets: horizon must be at least 1");
  if (returns.size() != series.size())
    throw std::invalid_argument("realised_targets: " + std::to_string(returns.size()) + " returns for " +
                                std::to_string(series.size()) + " candles");
  const std::size_t n = series.size();
  Targets t;
  t.horizon = horizon;
  t.rv.assign(n, kNaN);
  t.ret.assign(n, kNaN);
  t.valid.assign(n, 0);
  for (std::size_t i = 0; i + horizon < n; ++i) {
    double rv = 0.0;
    bool ok = true;
    for (std::size_t k = 1; k <= horizon && ok; ++k) {
      const double r = returns[i + k];
      ok = !std::isnan(r);  // NaN: candle i+k follows a gap, so the target would span it
      rv += r * r;
    }
    if (!ok) continue;
    t.rv[i] = rv;
    t.ret[i] = std::log(series.candles[i + horizon].close / series.candles[i].close);
    t.valid[i] = 1;
  }
  return t;
}

bool lookback_variance(const std::vector<double>& returns, std::size_t t, std::size_t n, std::size_t horizon,
                       double& out) {
  if (n == 0 || t >= returns.size() || t + 1 < n) return false;
  double sum = 0.0;
  std::size_t k = 0;
  for (std::size_t i = t + 1 - n; i <= t; ++i) {
    if (std::isnan(returns[i])) continue;
    sum += returns[i] * returns[i];
    ++k;
  }
  if (k == 0 || 2 * k < n) return false;
  out = static_cast<double>(horizon) * sum / static_cast<double>(k);
  return true;
}

double mean_square(const std::vector<double>& returns, std::size_t begin, std::size_t end) {
  double sum = 0.0;
  std::size_t k = 0;
  for (std::size_t i = begin; i < end && i < returns.size(); ++i) {
    if (std::isnan(returns[i])) continue;
    sum += returns[i] * returns[i];
    ++k;
  }
  if (k < 2) throw std::invalid_argument("mean_square: fewer than 2 returns in [" + std::to_string(begin) + ", " +
                                         std::to_string(end) + ")");
  return sum / static_cast<double>(k);
}

}  // namespace tbml::volatility
