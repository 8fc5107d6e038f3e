#pragma once
// Whether a direction model's Brier score beats the base-rate forecast by more than noise. Neighbouring
// windows share `horizon - 1` moves, so their score differences are not independent: the interval comes
// from a paired moving-block bootstrap (circular, blocks of at least `horizon` windows) of the per-window
// difference base − model. The edge is real only when the whole interval lies above zero.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml {

struct EdgeOptions {
  std::size_t block = 0;   // windows per bootstrap block; 0 = 2 × horizon
  int resamples = 1000;
  double level = 0.95;     // two-sided interval
  std::uint64_t seed = 42; // fixed: the same data gives the same verdict
};

enum class EdgeVerdict { kReal, kNone, kWorse };
std::string to_string(EdgeVerdict verdict);  // "real", "none", "worse"

struct DirectionEdge {
  std::size_t samples = 0;
  std::size_t horizon = 0;
  std::size_t block = 0;
  double effective_samples = 0.0;  // samples / horizon: windows that share no move
  double base_forecast = 0.5;      // the constant probability the model is compared with
  double model_brier = 0.0;
  double base_brier = 0.0;
  double improvement = 0.0;        // base_brier − model_brier (positive: the model is better)
  double lower = 0.0, upper = 0.0; // bootstrap interval of the improvement
  double level = 0.95;
  EdgeVerdict verdict = EdgeVerdict::kNone;
  std::string reason;              // one sentence with the numbers

  bool real() const { return verdict == EdgeVerdict::kReal; }
  nlohmann::json to_json() const;
  static DirectionEdge from_json(const nlohmann::json& j);  // throws std::invalid_argument
};

// `p` and `y` are aligned, oldest first (the order matters for the blocks). Throws std::invalid_argument
// on empty or mismatched input, probabilities outside [0, 1] or bad options.
DirectionEdge measure_edge(const std::vector<double>& p, const std::vector<std::uint8_t>& y, double base_forecast,
                           std::size_t horizon, const EdgeOptions& options = {});

// Percentile interval of the mean of `d` under the circular moving-block bootstrap (used for Brier
// and for volatility-loss differences alike).
struct BootstrapInterval {
  double mean = 0.0, lower = 0.0, upper = 0.0;
};
BootstrapInterval block_bootstrap_mean(const std::vector<double>& d, std::size_t block, int resamples, double level,
                                       std::uint64_t seed);

}  // namespace tbml
