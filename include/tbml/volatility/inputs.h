#pragma once
// The input row of the learned forecasters at "now" t, built the same way at training and at serving
// time (so a forecast from the last candles of a live Series equals the one training scored):
//   log lookback variances (last n candles for each n in `lookbacks`, scaled to h candles),
//   log EWMA and log GARCH h-candle forecasts (their recursions read the last `window` returns),
//   then the Series' own feature row at t (width floats).
// Logs because variance is multiplicative: a tree split or a HAR slope on log scale means the same at
// calm and at wild levels. Every variance is floored at `floor` before the log (flat candles).
#include <cstddef>
#include <string>
#include <vector>

#include "tbml/volatility/ewma.h"
#include "tbml/volatility/garch.h"

namespace tbml::volatility {

struct InputSpec {
  std::size_t horizon = 5;
  std::vector<std::size_t> lookbacks{1, 6, 24, 120};
  std::size_t window = 200;  // returns the EWMA and GARCH recursions read (0.94^200 ≈ 4e-6 of the seed left)
  double floor = 0.0;        // variance floor (h-candle) before logs

  std::size_t max_lookback() const;
  // Candles a forecast needs: the longest lookback or recursion window plus the candle before it.
  std::size_t min_candles() const;
  std::size_t base_width() const { return lookbacks.size() + 2; }  // columns before the feature row
  void validate() const;  // throws std::invalid_argument naming the bad field
};

// Column names: log_rv_<n> ..., log_ewma, log_garch, then `feature_names` (or feature_<k> when empty).
std::vector<std::string> input_names(const InputSpec& spec, const std::vector<std::string>& feature_names,
                                     std::size_t feature_width);

struct InputRow {
  std::vector<double> log_lookbacks;  // one per lookback
  double ewma_variance = 0.0, garch_variance = 0.0;  // h-candle forecasts (unfloored)
};

// Fills `row` for t from returns[..t]. Returns false, with the reason in `why` when given, if a lookback
// window has too few returns (t too early, or just after a gap: see lookback_variance).
bool compute_inputs(const std::vector<double>& returns, std::size_t t, const InputSpec& spec, const Ewma& ewma,
                    const Garch& garch, InputRow& row, std::string* why = nullptr);

// The trees' row: base_width() log variances, then the Series' feature row (width floats), to `out`.
void write_tree_inputs(const InputRow& row, const InputSpec& spec, const float* series_row, std::size_t width,
                       float* out);

}  // namespace tbml::volatility
