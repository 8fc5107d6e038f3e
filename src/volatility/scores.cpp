#include "tbml/volatility/scores.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

#include "tbml/volatility/quantiles.h"

namespace tbml::volatility {
namespace {

void check_sizes(std::size_t a, std::size_t b, const char* what) {
  if (a != b)
    throw std::invalid_argument(std::string(what) + ": sizes " + std::to_string(a) + " and " + std::to_string(b) +
                                " differ");
}

double mean(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

}  // namespace

double qlike(double rv, double variance, double floor) {
  const double ratio = std::max(rv, floor) / std::max(variance, floor);
  return ratio - std::log(ratio) - 1.0;
}

std::vector<double> qlike_losses(const std::vector<double>& rv, const std::vector<double>& variance, double floor) {
  check_sizes(rv.size(), variance.size(), "qlike_losses");
  std::vector<double> out(rv.size());
  for (std::size_t i = 0; i < rv.size(); ++i) out[i] = qlike(rv[i], variance[i], floor);
  return out;
}

double mse_log_variance(const std::vector<double>& rv, const std::vector<double>& variance, double floor) {
  check_sizes(rv.size(), variance.size(), "mse_log_variance");
  double s = 0.0;
  for (std::size_t i = 0; i < rv.size(); ++i) {
    const double d = std::log(std::max(rv[i], floor)) - std::log(std::max(variance[i], floor));
    s += d * d;
  }
  return rv.empty() ? 0.0 : s / static_cast<double>(rv.size());
}

double coverage(const std::vector<double>& ret, const std::vector<double>& lower, const std::vector<double>& upper) {
  check_sizes(ret.size(), lower.size(), "coverage");
  check_sizes(ret.size(), upper.size(), "coverage");
  std::size_t in = 0;
  for (std::size_t i = 0; i < ret.size(); ++i) in += (ret[i] >= lower[i] && ret[i] <= upper[i]) ? 1 : 0;
  return ret.empty() ? 0.0 : static_cast<double>(in) / static_cast<double>(ret.size());
}

double pinball_loss(const std::vector<double>& y, const std::vector<double>& q, double p) {
  check_sizes(y.size(), q.size(), "pinball_loss");
  double s = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double d = y[i] - q[i];
    s += std::max(p * d, (p - 1.0) * d);
  }
  return y.empty() ? 0.0 : s / static_cast<double>(y.size());
}

ScoreCard score_forecasts(const ForecastPath& f, const std::vector<double>& rv, const std::vector<double>& ret,
                          double floor) {
  check_sizes(f.variance.size(), rv.size(), "score_forecasts");
  check_sizes(rv.size(), ret.size(), "score_forecasts");
  check_sizes(f.q10.size(), ret.size(), "score_forecasts");
  check_sizes(f.q50.size(), ret.size(), "score_forecasts");
  check_sizes(f.q90.size(), ret.size(), "score_forecasts");
  if (rv.empty()) throw std::invalid_argument("score_forecasts: no samples");
  ScoreCard s;
  s.samples = rv.size();
  s.qlike = mean(qlike_losses(rv, f.variance, floor));
  s.mse_log_var = mse_log_variance(rv, f.variance, floor);
  s.coverage80 = coverage(ret, f.q10, f.q90);
  s.pinball10 = pinball_loss(ret, f.q10, 0.10);
  s.pinball50 = pinball_loss(ret, f.q50, 0.50);
  s.pinball90 = pinball_loss(ret, f.q90, 0.90);
  return s;
}

nlohmann::json ScoreCard::to_json() const {
  return {{"samples", samples},
          {"qlike", qlike},
          {"mseLogVar", mse_log_var},
          {"coverage80", coverage80},
          {"pinball", {{"q10", pinball10}, {"q50", pinball50}, {"q90", pinball90}, {"mean", pinball_mean()}}}};
}

BootstrapInterval paired_block_bootstrap(const std::vector<double>& loss_a, const std::vector<double>& loss_b,
                                         std::size_t block_length, std::size_t resamples, std::uint64_t seed,
                                         double level) {
  check_sizes(loss_a.size(), loss_b.size(), "paired_block_bootstrap");
  const std::size_t n = loss_a.size();
  if (n < 2) throw std::invalid_argument("paired_block_bootstrap: need at least 2 samples");
  if (block_length == 0 || resamples == 0)
    throw std::invalid_argument("paired_block_bootstrap: block_length and resamples must be positive");
  if (!(level > 0.0 && level < 1.0)) throw std::invalid_argument("paired_block_bootstrap: level in (0, 1)");
  std::vector<double> d(n);
  for (std::size_t i = 0; i < n; ++i) d[i] = loss_a[i] - loss_b[i];
  BootstrapInterval b;
  b.mean_difference = mean(d);
  b.level = level;
  b.block_length = std::min(block_length, n);
  b.resamples = resamples;
  b.seed = seed;
  std::mt19937_64 rng(seed);
  std::vector<double> means(resamples);
  for (std::size_t r = 0; r < resamples; ++r) {
    double s = 0.0;
    std::size_t taken = 0;
    while (taken < n) {
      const std::size_t start = static_cast<std::size_t>(rng() % n);
      for (std::size_t k = 0; k < b.block_length && taken < n; ++k, ++taken) s += d[(start + k) % n];
    }
    means[r] = s / static_cast<double>(n);
  }
  b.low = empirical_quantile(means, (1.0 - level) / 2.0);
  b.high = empirical_quantile(std::move(means), 1.0 - (1.0 - level) / 2.0);
  return b;
}

nlohmann::json BootstrapInterval::to_json() const {
  return {{"meanDifference", mean_difference},
          {"interval", {low, high}},
          {"level", level},
          {"blockLength", block_length},
          {"resamples", resamples},
          {"seed", seed},
          {"excludesZero", a_better() || b_better()}};
}

std::size_t default_block_length(std::size_t samples, std::size_t horizon) {
  const auto root = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(samples))));
  return std::max<std::size_t>({horizon, root, 1});
}

}  // namespace tbml::volatility
