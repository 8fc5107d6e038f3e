#include "tbml/evaluation/scores.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "tbml/training/metrics.h"

namespace tbml::evaluation {
namespace {

void check_sizes(std::size_t a, std::size_t b, const char* what) {
  if (a != b)
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(a) + " predictions for " +
                                std::to_string(b) + " values");
}

}  // namespace

Interval wilson_interval(double hits, double n, double z) {
  if (!(n > 0.0)) return {};
  const double phat = std::clamp(hits / n, 0.0, 1.0);
  const double z2 = z * z;
  const double centre = (phat + z2 / (2.0 * n)) / (1.0 + z2 / n);
  const double half = z * std::sqrt(phat * (1.0 - phat) / n + z2 / (4.0 * n * n)) / (1.0 + z2 / n);
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

std::vector<ReliabilityBin> reliability_bins(const std::vector<double>& p, const std::vector<std::uint8_t>& y,
                                             std::size_t bins) {
  check_sizes(p.size(), y.size(), "reliability_bins");
  if (bins == 0) throw std::invalid_argument("reliability_bins: need at least one bin");
  std::vector<ReliabilityBin> out(bins);
  std::vector<double> sum_p(bins, 0.0), sum_y(bins, 0.0);
  for (std::size_t b = 0; b < bins; ++b) {
    out[b].lower = static_cast<double>(b) / static_cast<double>(bins);
    out[b].upper = static_cast<double>(b + 1) / static_cast<double>(bins);
  }
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double q = std::clamp(p[i], 0.0, 1.0);
    const auto b = std::min(bins - 1, static_cast<std::size_t>(q * static_cast<double>(bins)));
    ++out[b].count;
    sum_p[b] += q;
    sum_y[b] += y[i] ? 1.0 : 0.0;
  }
  for (std::size_t b = 0; b < bins; ++b) {
    if (out[b].count == 0) continue;
    out[b].mean_predicted = sum_p[b] / static_cast<double>(out[b].count);
    out[b].observed_rate = sum_y[b] / static_cast<double>(out[b].count);
  }
  return out;
}

double expected_calibration_error(const std::vector<ReliabilityBin>& bins) {
  std::size_t total = 0;
  for (const auto& b : bins) total += b.count;
  if (total == 0) return 0.0;
  double ece = 0.0;
  for (const auto& b : bins)
    ece += static_cast<double>(b.count) / static_cast<double>(total) * std::abs(b.mean_predicted - b.observed_rate);
  return ece;
}

double top_confidence_accuracy(const std::vector<double>& p, const std::vector<std::uint8_t>& y, double fraction) {
  check_sizes(p.size(), y.size(), "top_confidence_accuracy");
  if (!(fraction > 0.0 && fraction <= 1.0)) throw std::invalid_argument("top_confidence_accuracy: fraction in (0, 1]");
  if (p.empty()) return 0.0;
  std::vector<std::size_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return std::abs(p[a] - 0.5) > std::abs(p[b] - 0.5); });
  const auto k = std::max<std::size_t>(
      1, static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(p.size()) - 1e-9)));
  std::size_t hits = 0;
  for (std::size_t i = 0; i < k; ++i) hits += ((p[order[i]] > 0.5) == (y[order[i]] != 0)) ? 1 : 0;
  return static_cast<double>(hits) / static_cast<double>(k);
}

TradingResult long_flat(const std::vector<double>& p, const std::vector<double>& next_return, double cost,
                        double threshold) {
  check_sizes(p.size(), next_return.size(), "long_flat");
  if (!(cost >= 0.0 && cost < 1.0)) throw std::invalid_argument("long_flat: cost must be in [0, 1)");
  TradingResult r;
  double equity = 1.0;
  double hold = 1.0 - cost;  // buy-and-hold enters at the first step
  bool long_now = false;
  std::size_t long_steps = 0;
  r.strategy_equity.reserve(p.size());
  r.buy_and_hold_equity.reserve(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    const bool want_long = p[i] > threshold;
    if (want_long != long_now) {
      equity *= 1.0 - cost;
      ++r.trades;
      long_now = want_long;
    }
    if (long_now) {
      equity *= 1.0 + next_return[i];
      ++long_steps;
    }
    hold *= 1.0 + next_return[i];
    r.strategy_equity.push_back(equity);
    r.buy_and_hold_equity.push_back(hold);
  }
  if (long_now) {
    equity *= 1.0 - cost;
    ++r.trades;
    if (!r.strategy_equity.empty()) r.strategy_equity.back() = equity;
  }
  if (!p.empty()) {
    hold *= 1.0 - cost;
    r.buy_and_hold_equity.back() = hold;
  }
  r.strategy_return = equity - 1.0;
  r.buy_and_hold_return = p.empty() ? 0.0 : hold - 1.0;
  r.exposure = p.empty() ? 0.0 : static_cast<double>(long_steps) / static_cast<double>(p.size());
  return r;
}

ScoreCard score(const std::vector<double>& p, const std::vector<std::uint8_t>& y,
                const std::vector<double>& next_return, std::size_t horizon, double cost) {
  check_sizes(p.size(), y.size(), "score");
  ScoreCard s;
  s.samples = p.size();
  if (p.empty()) return s;
  s.accuracy = tbml::accuracy(p, y);
  s.effective_samples = static_cast<double>(p.size()) / static_cast<double>(std::max<std::size_t>(1, horizon));
  s.accuracy_ci = wilson_interval(s.accuracy * s.effective_samples, s.effective_samples);
  s.brier = brier_score(p, y);
  s.log_loss = tbml::log_loss(p, y);
  s.auc = tbml::auc(p, y);
  s.base_rate = tbml::base_rate(y);
  s.reliability = reliability_bins(p, y);
  s.ece = expected_calibration_error(s.reliability);
  s.top10_accuracy = top_confidence_accuracy(p, y, 0.10);
  s.top20_accuracy = top_confidence_accuracy(p, y, 0.20);
  s.mean_probability = std::accumulate(p.begin(), p.end(), 0.0) / static_cast<double>(p.size());
  s.trading = long_flat(p, next_return, cost);
  return s;
}

nlohmann::json ScoreCard::to_json(bool with_equity) const {
  nlohmann::json bins = nlohmann::json::array();
  for (const auto& b : reliability)
    bins.push_back({{"lower", b.lower}, {"upper", b.upper}, {"count", b.count},
                    {"meanPredicted", b.mean_predicted}, {"observedRate", b.observed_rate}});
  nlohmann::json trade{{"strategyReturn", trading.strategy_return},
                       {"buyAndHoldReturn", trading.buy_and_hold_return},
                       {"trades", trading.trades},
                       {"exposure", trading.exposure}};
  if (with_equity) {
    trade["strategyEquity"] = trading.strategy_equity;
    trade["buyAndHoldEquity"] = trading.buy_and_hold_equity;
  }
  return nlohmann::json{{"samples", samples},
                        {"accuracy", accuracy},
                        {"accuracyCi95", {accuracy_ci.low, accuracy_ci.high}},
                        {"effectiveSamples", effective_samples},
                        {"brier", brier},
                        {"logLoss", log_loss},
                        {"auc", auc},
                        {"ece", ece},
                        {"baseRate", base_rate},
                        {"meanProbability", mean_probability},
                        {"top10Accuracy", top10_accuracy},
                        {"top20Accuracy", top20_accuracy},
                        {"reliability", bins},
                        {"longFlat", trade}};
}

}  // namespace tbml::evaluation
