#include "tbml/market/series.h"

#include <stdexcept>
#include <string>

#include "tbml/features/feature_pipeline.h"
#include "tbml/market/gap_detector.h"

namespace tbml {
namespace {

void require_increasing(const std::vector<Candle>& candles) {
  for (std::size_t i = 1; i < candles.size(); ++i) {
    if (candles[i].timestamp <= candles[i - 1].timestamp) {
      throw std::invalid_argument("candles must have strictly increasing timestamps: index " +
                                  std::to_string(i) + " has " + std::to_string(candles[i].timestamp) +
                                  " after " + std::to_string(candles[i - 1].timestamp));
    }
  }
}

}  // namespace

std::vector<std::uint8_t> detect_gaps(const std::vector<Candle>& candles) {
  GapDetector detector;
  std::vector<std::uint8_t> gaps;
  gaps.reserve(candles.size());
  for (const Candle& c : candles) gaps.push_back(detector.push(c.timestamp) ? 1 : 0);
  return gaps;
}

Series build_series(const std::string& pair, const std::vector<Candle>& candles) {
  require_increasing(candles);
  Series series;
  series.pair = pair;
  series.candles = candles;
  series.gap_before = detect_gaps(candles);
  series.width = FeaturePipeline::width();
  series.features.resize(candles.size() * series.width);
  FeaturePipeline pipeline;
  for (std::size_t i = 0; i < candles.size(); ++i) {
    pipeline.push(candles[i], series.features.data() + i * series.width);
  }
  return series;
}

}  // namespace tbml
