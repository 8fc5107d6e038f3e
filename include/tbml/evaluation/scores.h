#pragma once
// Out-of-sample scores beyond training/metrics.h: confidence interval of accuracy, reliability bins and
// expected calibration error, accuracy of the most confident predictions, and the return of a simple
// long/flat trading rule next to buy-and-hold after costs. Pure functions over plain vectors.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml::evaluation {

struct Interval {
  double low = 0.0, high = 1.0;
};

// Wilson score interval for `hits` successes in `n` trials (n may be fractional: an effective sample
// size). z = 1.96 gives 95 %. n <= 0 -> [0, 1].
Interval wilson_interval(double hits, double n, double z = 1.96);

struct ReliabilityBin {
  double lower = 0.0, upper = 0.0;  // predicted-probability range [lower, upper) (last bin closed)
  std::size_t count = 0;
  double mean_predicted = 0.0;  // 0 when empty
  double observed_rate = 0.0;   // share of label 1; 0 when empty
};

// `bins` equal-width bins over [0, 1].
std::vector<ReliabilityBin> reliability_bins(const std::vector<double>& p, const std::vector<std::uint8_t>& y,
                                             std::size_t bins = 10);
// Σ count/N · |mean_predicted − observed_rate| over the bins.
double expected_calibration_error(const std::vector<ReliabilityBin>& bins);

// Accuracy (threshold 0.5) of the ceil(fraction · N) predictions with the largest |p − 0.5|; ties keep
// chronological order. Empty input -> 0.
double top_confidence_accuracy(const std::vector<double>& p, const std::vector<std::uint8_t>& y, double fraction);

struct TradingResult {
  double strategy_return = 0.0;      // compounded, after costs
  double buy_and_hold_return = 0.0;  // compounded, after one entry and one exit cost
  std::size_t trades = 0;            // position changes, including the final exit when still long
  double exposure = 0.0;             // share of steps spent long
  std::vector<double> strategy_equity, buy_and_hold_equity;  // after each step, starting from 1
};

// Long/flat rule: at step i go (or stay) long when p[i] > threshold, otherwise flat, and earn
// next_return[i] (the close-to-close return of the candle after the prediction) while long. Every entry
// and exit costs `cost` (0.001 = 0.1 %) of equity; a position still open at the end is closed.
TradingResult long_flat(const std::vector<double>& p, const std::vector<double>& next_return, double cost,
                        double threshold = 0.5);

struct ScoreCard {
  std::size_t samples = 0;
  double accuracy = 0.0;
  Interval accuracy_ci;       // Wilson on the effective sample size
  double effective_samples = 0.0;
  double brier = 0.0, log_loss = 0.0, auc = 0.5, ece = 0.0;
  double base_rate = 0.0;
  double top10_accuracy = 0.0, top20_accuracy = 0.0;
  double mean_probability = 0.0;
  std::vector<ReliabilityBin> reliability;
  TradingResult trading;
  nlohmann::json to_json(bool with_equity = false) const;
};

// All scores of one prediction vector. `horizon` divides the sample size for the interval, because
// labels of neighbouring windows share horizon − 1 price moves and are not independent.
ScoreCard score(const std::vector<double>& p, const std::vector<std::uint8_t>& y,
                const std::vector<double>& next_return, std::size_t horizon, double cost);

}  // namespace tbml::evaluation
