#include "tbml/training/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace tbml {
namespace {

void check_sizes(const std::vector<double>& p, const std::vector<std::uint8_t>& y) {
  if (p.size() != y.size())
    throw std::invalid_argument("metrics: " + std::to_string(p.size()) + " predictions for " +
                                std::to_string(y.size()) + " labels");
}

}  // namespace

double accuracy(const std::vector<double>& p, const std::vector<std::uint8_t>& y, double threshold) {
  check_sizes(p, y);
  if (p.empty()) return 0.0;
  std::size_t hits = 0;
  for (std::size_t i = 0; i < p.size(); ++i) hits += ((p[i] > threshold) == (y[i] != 0)) ? 1 : 0;
  return static_cast<double>(hits) / static_cast<double>(p.size());
}

double brier_score(const std::vector<double>& p, const std::vector<std::uint8_t>& y) {
  check_sizes(p, y);
  if (p.empty()) return 0.0;
  double sum = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double d = p[i] - (y[i] ? 1.0 : 0.0);
    sum += d * d;
  }
  return sum / static_cast<double>(p.size());
}

double auc(const std::vector<double>& p, const std::vector<std::uint8_t>& y) {
  check_sizes(p, y);
  const std::size_t n = p.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  // Sum of (1-based, tie-averaged) ranks of the positives.
  double positive_rank_sum = 0.0;
  std::size_t positives = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j + 1 < n && p[order[j + 1]] == p[order[i]]) ++j;
    const double avg_rank = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2.0;
    for (std::size_t k = i; k <= j; ++k) {
      if (y[order[k]]) {
        positive_rank_sum += avg_rank;
        ++positives;
      }
    }
    i = j + 1;
  }
  const std::size_t negatives = n - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  const double np = static_cast<double>(positives);
  const double u = positive_rank_sum - np * (np + 1.0) / 2.0;
  return u / (np * static_cast<double>(negatives));
}

double log_loss(const std::vector<double>& p, const std::vector<std::uint8_t>& y, double eps) {
  check_sizes(p, y);
  if (p.empty()) return 0.0;
  double sum = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double q = std::clamp(p[i], eps, 1.0 - eps);
    sum -= y[i] ? std::log(q) : std::log(1.0 - q);
  }
  return sum / static_cast<double>(p.size());
}

double base_rate(const std::vector<std::uint8_t>& y) {
  if (y.empty()) return 0.0;
  std::size_t ones = 0;
  for (auto v : y) ones += v ? 1 : 0;
  return static_cast<double>(ones) / static_cast<double>(y.size());
}

double base_rate_brier(const std::vector<std::uint8_t>& y) {
  const double r = base_rate(y);
  return r * (1.0 - r);
}

SplitMetrics split_metrics(const std::vector<double>& p, const std::vector<std::uint8_t>& y) {
  SplitMetrics m;
  m.samples = y.size();
  m.loss = log_loss(p, y);
  m.accuracy = accuracy(p, y);
  m.brier = brier_score(p, y);
  m.auc = auc(p, y);
  m.base_rate = base_rate(y);
  return m;
}

}  // namespace tbml
