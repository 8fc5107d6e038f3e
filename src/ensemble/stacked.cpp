#include "tbml/ensemble/stacked.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace tbml {

double clamped_logit(double p) {
  const double q = std::clamp(p, 1e-6, 1.0 - 1e-6);
  return std::log(q / (1.0 - q));
}

namespace {

// Solves (A) x = g for a small symmetric positive definite A by Gaussian elimination.
std::vector<double> solve(std::vector<std::vector<double>> a, std::vector<double> g) {
  const std::size_t n = g.size();
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t pivot = c;
    for (std::size_t r = c + 1; r < n; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[pivot][c])) pivot = r;
    std::swap(a[c], a[pivot]);
    std::swap(g[c], g[pivot]);
    if (std::fabs(a[c][c]) < 1e-12) throw std::runtime_error("singular system");
    for (std::size_t r = c + 1; r < n; ++r) {
      const double f = a[r][c] / a[c][c];
      for (std::size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      g[r] -= f * g[c];
    }
  }
  std::vector<double> x(n);
  for (std::size_t i = n; i-- > 0;) {
    double s = g[i];
    for (std::size_t k = i + 1; k < n; ++k) s -= a[i][k] * x[k];
    x[i] = s / a[i][i];
  }
  return x;
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

}  // namespace

double StackedModel::predict(const std::map<std::string, double>& p) const {
  double z = b;
  for (std::size_t k = 0; k < members.size(); ++k) {
    auto it = p.find(members[k]);
    if (it == p.end()) throw std::invalid_argument("stacked: no prediction of " + members[k]);
    z += w[k] * (clamped_logit(it->second) - mean[k]) / sd[k];
  }
  return sigmoid(z);
}

nlohmann::json StackedModel::to_json() const {
  nlohmann::json weights = nlohmann::json::object();
  for (std::size_t k = 0; k < members.size(); ++k) weights[members[k]] = w[k];
  return {{"members", members}, {"weights", weights}, {"intercept", b}, {"l2", l2}, {"rows", rows},
          {"inputs", "standardised member logits"}};
}

StackedFit fit_stacked(const std::vector<ResolvedPrediction>& window, std::vector<std::string> members,
                       const StackedOptions& options) {
  StackedFit out;
  std::sort(members.begin(), members.end());
  if (members.empty()) {
    out.reason = "no member to stack";
    return out;
  }
  // Rows every member predicted.
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  for (const auto& r : window) {
    std::vector<double> row;
    for (const auto& m : members) {
      auto it = r.prediction.models.find(m);
      if (it == r.prediction.models.end()) break;
      row.push_back(clamped_logit(it->second));
    }
    if (row.size() != members.size()) continue;
    x.push_back(std::move(row));
    y.push_back(r.outcome ? 1.0 : 0.0);
  }
  if (x.size() < options.min_rows) {
    out.reason = fmt::format("stacked meta-learner not fitted: {} resolved outcomes every voting member predicted, "
                             "needs {}",
                             x.size(), options.min_rows);
    return out;
  }
  const std::size_t n = x.size(), d = members.size();
  StackedModel m;
  m.members = members;
  m.rows = n;
  m.l2 = options.l2_per_row * static_cast<double>(n);
  m.mean.assign(d, 0.0);
  m.sd.assign(d, 0.0);
  for (const auto& row : x)
    for (std::size_t k = 0; k < d; ++k) m.mean[k] += row[k] / static_cast<double>(n);
  for (const auto& row : x)
    for (std::size_t k = 0; k < d; ++k) m.sd[k] += (row[k] - m.mean[k]) * (row[k] - m.mean[k]) / static_cast<double>(n);
  for (double& s : m.sd) s = std::sqrt(s) > 1e-9 ? std::sqrt(s) : 1.0;
  for (auto& row : x)
    for (std::size_t k = 0; k < d; ++k) row[k] = (row[k] - m.mean[k]) / m.sd[k];

  // Newton's method on the penalised log-likelihood; parameters [w..., b], the intercept unpenalised.
  std::vector<double> beta(d + 1, 0.0);
  double base = 0.0;
  for (double v : y) base += v / static_cast<double>(n);
  beta[d] = clamped_logit(base);
  try {
    for (int it = 0; it < 50; ++it) {
      std::vector<std::vector<double>> h(d + 1, std::vector<double>(d + 1, 0.0));
      std::vector<double> g(d + 1, 0.0);
      for (std::size_t i = 0; i < n; ++i) {
        double z = beta[d];
        for (std::size_t k = 0; k < d; ++k) z += beta[k] * x[i][k];
        const double p = sigmoid(z), wgt = p * (1.0 - p), e = y[i] - p;
        for (std::size_t a = 0; a <= d; ++a) {
          const double xa = a < d ? x[i][a] : 1.0;
          g[a] += e * xa;
          for (std::size_t c = 0; c <= d; ++c) h[a][c] += wgt * xa * (c < d ? x[i][c] : 1.0);
        }
      }
      for (std::size_t k = 0; k < d; ++k) {
        g[k] -= m.l2 * beta[k];
        h[k][k] += m.l2;
      }
      const std::vector<double> step = solve(h, g);
      double change = 0.0;
      for (std::size_t k = 0; k <= d; ++k) {
        beta[k] += step[k];
        change = std::max(change, std::fabs(step[k]));
      }
      if (change < 1e-8) break;
    }
  } catch (const std::exception& e) {
    out.reason = std::string("stacked meta-learner not fitted: ") + e.what();
    return out;
  }
  m.w.assign(beta.begin(), beta.begin() + static_cast<std::ptrdiff_t>(d));
  m.b = beta[d];
  out.reason = fmt::format("stacked: L2 logistic meta-learner (l2 {:.2f} = 0.01 x {} rows) on the resolved live "
                           "predictions of {}",
                           m.l2, n, fmt::join(members, ", "));
  out.model = std::move(m);
  return out;
}

}  // namespace tbml
