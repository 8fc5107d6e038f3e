#pragma once
// A pair's history as plain arrays: what training, evaluation and the predictor read. Row i of `features`
// (width floats) was computed from candles[0..i]. gap_before[i] is true when candle i does not follow
// candle i-1 at the series' regular spacing (a missing stretch), so windows must not span it.
#include <cstdint>
#include <string>
#include <vector>

#include "tbml/features/candle.h"
#include "tbml/features/reference_features.h"

namespace tbml {

struct Series {
  std::string pair;
  std::vector<Candle> candles;
  std::vector<std::uint8_t> gap_before;
  std::vector<float> features;  // candles.size() * width, row-major
  std::size_t width = 0;

  std::size_t size() const { return candles.size(); }
  const float* row(std::size_t i) const { return features.data() + i * width; }
};

// Builds a Series from candles (sorted, unique timestamps) with the FeaturePipeline and gap detection.
// `reference` gives each row its reference pair's input (empty: none configured). When `summaries` is
// given it receives this pair's return summary at every candle, for use as another pair's reference.
Series build_series(const std::string& pair, const std::vector<Candle>& candles,
                    const ReferenceLookup& reference = {}, SummaryHistory* summaries = nullptr);

struct PairCandles {
  std::string pair;
  std::vector<Candle> candles;
};
// Offline counterpart of MarketData + the poller: every pair's Series with its cross-pair columns, in the
// order given. The reference pair (normalised name; "" = none) is built first and the others read its
// summary at their own timestamps through the same lookup as live; if it is not among the inputs, their
// reference columns are "no candle". Throws std::invalid_argument for an invalid pair name.
std::vector<Series> build_series_set(const std::vector<PairCandles>& inputs, const std::string& reference_pair);

// Gap rule shared by every consumer: a step longer than 1.5x the series' typical (median) spacing.
std::vector<std::uint8_t> detect_gaps(const std::vector<Candle>& candles);

}  // namespace tbml
