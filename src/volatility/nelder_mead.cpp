#include "tbml/volatility/nelder_mead.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace tbml::volatility {

NelderMeadResult nelder_mead(const std::function<double(const std::vector<double>&)>& f, std::vector<double> x0,
                             const std::vector<double>& step, const NelderMeadOptions& options) {
  const std::size_t n = x0.size();
  if (n == 0) throw std::invalid_argument("nelder_mead: empty starting point");
  if (step.size() != n) throw std::invalid_argument("nelder_mead: step must have one entry per coordinate");
  NelderMeadResult res;
  auto eval = [&](const std::vector<double>& x) {
    ++res.evaluations;
    const double v = f(x);
    return std::isfinite(v) ? v : std::numeric_limits<double>::infinity();
  };
  std::vector<std::vector<double>> s(n + 1, x0);
  std::vector<double> fs(n + 1);
  for (std::size_t i = 0; i < n; ++i) s[i + 1][i] += step[i];
  for (std::size_t i = 0; i <= n; ++i) fs[i] = eval(s[i]);

  std::vector<std::size_t> order(n + 1);
  std::vector<double> centroid(n), xr(n), xe(n), xc(n);
  auto along = [&](double t, std::vector<double>& out) {  // centroid + t (centroid - worst)
    for (std::size_t j = 0; j < n; ++j) out[j] = centroid[j] + t * (centroid[j] - s[order[n]][j]);
  };
  while (res.evaluations < options.max_evaluations) {
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return fs[a] < fs[b]; });
    const std::size_t best = order[0], worst = order[n], second = order[n - 1];
    double x_spread = 0.0;
    for (std::size_t i = 1; i <= n; ++i)
      for (std::size_t j = 0; j < n; ++j) x_spread = std::max(x_spread, std::abs(s[order[i]][j] - s[best][j]));
    if (std::isfinite(fs[worst]) && fs[worst] - fs[best] <= options.f_tolerance && x_spread <= options.x_tolerance) {
      res.converged = true;
      break;
    }
    std::fill(centroid.begin(), centroid.end(), 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) centroid[j] += s[order[i]][j] / static_cast<double>(n);
    along(1.0, xr);
    const double fr = eval(xr);
    if (fr < fs[best]) {
      along(2.0, xe);
      const double fe = eval(xe);
      if (fe < fr) {
        s[worst] = xe;
        fs[worst] = fe;
      } else {
        s[worst] = xr;
        fs[worst] = fr;
      }
      continue;
    }
    if (fr < fs[second]) {
      s[worst] = xr;
      fs[worst] = fr;
      continue;
    }
    // Contract towards the better of the worst point and its reflection.
    const bool outside = fr < fs[worst];
    along(outside ? 0.5 : -0.5, xc);
    const double fc = eval(xc);
    if (fc < (outside ? fr : fs[worst])) {
      s[worst] = xc;
      fs[worst] = fc;
      continue;
    }
    for (std::size_t i = 1; i <= n; ++i) {  // shrink towards the best vertex
      const std::size_t k = order[i];
      for (std::size_t j = 0; j < n; ++j) s[k][j] = s[best][j] + 0.5 * (s[k][j] - s[best][j]);
      fs[k] = eval(s[k]);
    }
  }
  const auto best = static_cast<std::size_t>(std::min_element(fs.begin(), fs.end()) - fs.begin());
  res.x = s[best];
  res.f = fs[best];
  return res;
}

}  // namespace tbml::volatility
