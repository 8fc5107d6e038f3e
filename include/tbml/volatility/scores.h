#pragma once
// Out-of-sample scores of variance and quantile forecasts. Pure functions over plain vectors.
//  - QLIKE: RV/σ̂² − log(RV/σ̂²) − 1 per sample (0 for a perfect forecast). Among the usual losses it is
//    the one whose ranking of forecasters is robust to the noise in RV as a proxy of the true variance
//    (Patton 2011), and it punishes under-prediction more than over-prediction. RV and σ̂² are floored at
//    `floor` first, so a flat stretch (RV = 0) gives a large but finite loss.
//  - MSE of log variance: (log RV − log σ̂²)², same floor.
//  - coverage of [q10, q90] (0.80 when calibrated) and pinball loss at 10/50/90 % of the h-candle return.
//  - a paired circular block bootstrap of the mean loss difference, because neighbouring samples share
//    h − 1 returns and volatility clusters: "A beats B" only when the interval excludes zero.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml::volatility {

double qlike(double rv, double variance, double floor);
std::vector<double> qlike_losses(const std::vector<double>& rv, const std::vector<double>& variance, double floor);
double mse_log_variance(const std::vector<double>& rv, const std::vector<double>& variance, double floor);
// Share of i with lower[i] <= ret[i] <= upper[i].
double coverage(const std::vector<double>& ret, const std::vector<double>& lower, const std::vector<double>& upper);
// Mean of max(p (y − q), (p − 1)(y − q)).
double pinball_loss(const std::vector<double>& y, const std::vector<double>& q, double p);

// One forecaster's forecasts over a set of samples.
struct ForecastPath {
  std::vector<double> variance, q10, q50, q90;
  std::size_t size() const { return variance.size(); }
};

struct ScoreCard {
  std::size_t samples = 0;
  double qlike = 0.0, mse_log_var = 0.0, coverage80 = 0.0;
  double pinball10 = 0.0, pinball50 = 0.0, pinball90 = 0.0;
  double pinball_mean() const { return (pinball10 + pinball50 + pinball90) / 3.0; }
  nlohmann::json to_json() const;
};

// Throws std::invalid_argument on mismatched sizes or no samples.
ScoreCard score_forecasts(const ForecastPath& f, const std::vector<double>& rv, const std::vector<double>& ret,
                          double floor);

struct BootstrapInterval {
  double mean_difference = 0.0;  // mean(a − b): negative = a has the lower loss
  double low = 0.0, high = 0.0;  // percentile interval at `level`
  double level = 0.95;
  std::size_t block_length = 0, resamples = 0;
  std::uint64_t seed = 0;
  bool a_better() const { return high < 0.0; }  // the whole interval below zero
  bool b_better() const { return low > 0.0; }
  nlohmann::json to_json() const;
};

// Paired circular block bootstrap of mean(loss_a − loss_b): each resample concatenates blocks of
// `block_length` consecutive differences (wrapping at the end) starting at uniform positions, until n
// values. Deterministic for a given seed (std::mt19937_64, index = draw mod n). Throws
// std::invalid_argument on mismatched sizes, fewer than 2 samples, block_length 0 or resamples 0.
BootstrapInterval paired_block_bootstrap(const std::vector<double>& loss_a, const std::vector<double>& loss_b,
                                         std::size_t block_length, std::size_t resamples = 1000,
                                         std::uint64_t seed = 42, double level = 0.95);

// The block length used by default: max(horizon, ceil(sqrt(n))). At least h so a block keeps the
// overlap of neighbouring targets; sqrt(n) (longer than the usual n^(1/3)) because volatility loss
// differences stay correlated well beyond h.
std::size_t default_block_length(std::size_t samples, std::size_t horizon);

}  // namespace tbml::volatility
