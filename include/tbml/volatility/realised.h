#pragma once
// What the volatility forecasters predict and what they may look at. r_i = log(close_i / close_{i-1}) is
// the return of candle i; it is missing (NaN) for i = 0 and for a candle that follows a gap, because a
// "return" across a missing stretch is several candles' move in one. At "now" t the targets are the
// realised variance of the next h candles, RV_t = Σ_{i=1..h} r_{t+i}², and the h-candle log return
// R_t = log(close_{t+h} / close_t); both exist only when candles t+1..t+h follow each other without a gap.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tbml/market/series.h"

namespace tbml::volatility {

// One entry per candle; NaN where the return is missing (see above).
std::vector<double> log_returns(const Series& series);

struct Targets {
  std::size_t horizon = 0;
  std::vector<double> rv;          // RV_t, NaN where undefined
  std::vector<double> ret;         // R_t, NaN where undefined
  std::vector<std::uint8_t> valid;  // 1 where both are defined
};

// Throws std::invalid_argument for horizon 0.
Targets realised_targets(const Series& series, const std::vector<double>& returns, std::size_t horizon);

// Causal realised variance of the last `n` candles up to and including t, scaled to `horizon` candles:
// (horizon / k) Σ r_i² over the k non-missing returns among r_{t-n+1..t}. Missing returns are skipped
// rather than zero-filled so a gap does not look like a calm stretch. Returns false (out untouched) when
// fewer than ceil(n / 2) of the n returns exist or t + 1 < n.
bool lookback_variance(const std::vector<double>& returns, std::size_t t, std::size_t n, std::size_t horizon,
                       double& out);

// Sample variance about zero, mean r², of the non-missing returns in [begin, end): the scale the
// recursions are seeded with. Throws std::invalid_argument when there are fewer than 2 of them.
double mean_square(const std::vector<double>& returns, std::size_t begin, std::size_t end);

}  // namespace tbml::volatility
