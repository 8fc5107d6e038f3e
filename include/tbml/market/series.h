#pragma once
// A pair's history as plain arrays: what training, evaluation and the predictor read. Row i of `features`
// (width floats) was computed from candles[0..i]. gap_before[i] is true when candle i does not follow
// candle i-1 at the series' regular spacing (a missing stretch), so windows must not span it.
#include <cstdint>
#include <string>
#include <vector>

#include "tbml/features/candle.h"

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
Series build_series(const std::string& pair, const std::vector<Candle>& candles);

// Gap rule shared by every consumer: a step longer than 1.5x the series' typical (median) spacing.
std::vector<std::uint8_t> detect_gaps(const std::vector<Candle>& candles);

}  // namespace tbml
