#include "tbml/evaluation/baselines.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "tbml/training/metrics.h"
#include "tbml/training/normaliser.h"

namespace tbml::evaluation {
namespace {

double sigmoid(double z) { return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z)); }

// Solves A x = b for symmetric positive definite A (n x n, row-major) by Cholesky; false if not SPD.
bool cholesky_solve(std::vector<double> a, std::vector<double> b, std::size_t n, std::vector<double>& x) {
  for (std::size_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (std::size_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0.0)) return false;
    const double l = std::sqrt(d);
    a[j * n + j] = l;
    for (std::size_t i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (std::size_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / l;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {  // L z = b
    double s = b[i];
    for (std::size_t k = 0; k < i; ++k) s -= a[i * n + k] * b[k];
    b[i] = s / a[i * n + i];
  }
  x.assign(n, 0.0);
  for (std::size_t i = n; i-- > 0;) {  // L^T x = z
    double s = b[i];
    for (std::size_t k = i + 1; k < n; ++k) s -= a[k * n + i] * x[k];
    x[i] = s / a[i * n + i];
  }
  return true;
}

std::vector<std::uint8_t> labels(const std::vector<Window>& windows) {
  std::vector<std::uint8_t> y;
  y.reserve(windows.size());
  for (const auto& w : windows) y.push_back(w.label);
  return y;
}

}  // namespace

std::vector<double> always_up(std::size_t n) { return std::vector<double>(n, 1.0); }

std::vector<double> running_base_rate(const std::vector<Window>& all, const std::vector<Window>& scored,
                                      std::size_t horizon) {
  std::vector<double> out;
  out.reserve(scored.size());
  std::size_t next = 0, ups = 0;  // `all` is ordered by `last`, so label candles are ordered too
  for (const Window& w : scored) {
    while (next < all.size() && all[next].last + horizon <= w.last) ups += all[next++].label;
    out.push_back(next == 0 ? 0.5 : static_cast<double>(ups) / static_cast<double>(next));
  }
  return out;
}

Persistence Persistence::fit(const Series& series, const std::vector<Window>& train, std::size_t horizon) {
  std::size_t right = 0, total = 0;
  for (const Window& w : train) {
    if (w.last < horizon) continue;
    const bool was_up = series.candles[w.last].close > series.candles[w.last - horizon].close;
    right += (was_up == (w.label != 0)) ? 1 : 0;
    ++total;
  }
  Persistence p;
  const double rate = total ? static_cast<double>(right) / static_cast<double>(total) : 0.5;
  p.hit_rate = std::clamp(rate, 0.501, 0.999);
  return p;
}

std::vector<double> Persistence::predict(const Series& series, const std::vector<Window>& scored,
                                         std::size_t horizon) const {
  std::vector<double> out;
  out.reserve(scored.size());
  for (const Window& w : scored) {
    if (w.last < horizon) throw std::invalid_argument("persistence: window has no previous move");
    const bool was_up = series.candles[w.last].close > series.candles[w.last - horizon].close;
    out.push_back(was_up ? hit_rate : 1.0 - hit_rate);
  }
  return out;
}

LogisticRegression LogisticRegression::fit(const std::vector<double>& x, const std::vector<std::uint8_t>& y,
                                           std::size_t width, double l2, int max_iterations) {
  if (width == 0 || x.size() != y.size() * width)
    throw std::invalid_argument("logistic regression: " + std::to_string(x.size()) + " values for " +
                                std::to_string(y.size()) + " rows of width " + std::to_string(width));
  if (!(l2 >= 0.0)) throw std::invalid_argument("logistic regression: l2 must be >= 0");
  const std::size_t n = y.size(), d = width + 1;  // last coefficient = intercept
  std::vector<double> beta(d, 0.0), grad(d), hess(d * d);
  const double tiny = 1e-8;  // keeps the Hessian positive definite when a class is absent
  for (int it = 0; it < max_iterations; ++it) {
    std::fill(grad.begin(), grad.end(), 0.0);
    std::fill(hess.begin(), hess.end(), 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      const double* row = x.data() + i * width;
      double z = beta[width];
      for (std::size_t f = 0; f < width; ++f) z += beta[f] * row[f];
      const double q = sigmoid(z);
      const double r = q - (y[i] ? 1.0 : 0.0);
      const double w = std::max(q * (1.0 - q), 1e-10);
      for (std::size_t a = 0; a < d; ++a) {
        const double xa = a < width ? row[a] : 1.0;
        grad[a] += r * xa;
        double* h = hess.data() + a * d;
        for (std::size_t b = 0; b <= a; ++b) h[b] += w * xa * (b < width ? row[b] : 1.0);
      }
    }
    for (std::size_t a = 0; a < d; ++a) {
      for (std::size_t b = 0; b < a; ++b) hess[b * d + a] = hess[a * d + b];
      const double penalty = a < width ? l2 : 0.0;
      grad[a] += penalty * beta[a];
      hess[a * d + a] += penalty + tiny;
    }
    std::vector<double> step;
    if (!cholesky_solve(hess, grad, d, step)) break;
    double largest = 0.0;
    for (std::size_t a = 0; a < d; ++a) {
      beta[a] -= step[a];
      largest = std::max(largest, std::abs(step[a]));
    }
    if (largest < 1e-8) break;
  }
  LogisticRegression m;
  m.w_.assign(beta.begin(), beta.begin() + static_cast<std::ptrdiff_t>(width));
  m.b_ = beta[width];
  return m;
}

double LogisticRegression::predict(const double* row) const {
  double z = b_;
  for (std::size_t f = 0; f < w_.size(); ++f) z += w_[f] * row[f];
  return sigmoid(z);
}

std::vector<double> LogisticRegression::predict(const std::vector<double>& x) const {
  if (w_.empty() || x.size() % w_.size() != 0) throw std::invalid_argument("logistic regression: bad input width");
  std::vector<double> out(x.size() / w_.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = predict(x.data() + i * w_.size());
  return out;
}

namespace {

std::vector<double> standardised_rows(const Series& series, const std::vector<Window>& windows,
                                      const Normaliser& normaliser) {
  std::vector<float> raw;
  raw.reserve(windows.size() * series.width);
  for (const Window& w : windows) raw.insert(raw.end(), series.row(w.last), series.row(w.last) + series.width);
  normaliser.apply(raw.data(), windows.size());
  return std::vector<double>(raw.begin(), raw.end());
}

}  // namespace

LogisticBaseline LogisticBaseline::fit(const Series& series, const std::vector<Window>& train,
                                       const std::vector<Window>& validation, const std::vector<double>& grid) {
  if (train.empty() || validation.empty() || grid.empty())
    throw std::invalid_argument("logistic baseline needs training and validation windows and an L2 grid");
  std::vector<std::uint8_t> use(series.size(), 0);
  for (const Window& w : train) use[w.last] = 1;
  const Normaliser normaliser = Normaliser::fit(series.features.data(), series.width, use);
  const auto x_train = standardised_rows(series, train, normaliser);
  const auto x_val = standardised_rows(series, validation, normaliser);
  const auto y_train = labels(train), y_val = labels(validation);

  LogisticBaseline best;
  double best_loss = std::numeric_limits<double>::infinity();
  for (double l2 : grid) {
    // The penalty is per sample so the grid means the same for any training length.
    auto model = LogisticRegression::fit(x_train, y_train, series.width, l2 * 1e-3 * static_cast<double>(train.size()));
    const double loss = log_loss(model.predict(x_val), y_val);
    best.validation_losses.push_back(loss);
    if (loss < best_loss) {
      best_loss = loss;
      best.l2 = l2;
      best.model = std::move(model);
    }
  }
  best.train_mean = normaliser.mean();
  best.train_std = normaliser.stddev();
  return best;
}

std::vector<double> LogisticBaseline::predict(const Series& series, const std::vector<Window>& scored) const {
  const Normaliser normaliser(train_mean, train_std, 5.0);
  return model.predict(standardised_rows(series, scored, normaliser));
}

}  // namespace tbml::evaluation
