#include "tbml/market/series.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "tbml/features/feature_pipeline.h"
#include "tbml/market/gap_detector.h"
#include "tbml/market/pair_name.h"

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

Series build_series(const std::string& pair, const std::vector<Candle>& candles, const ReferenceLookup& reference,
                    SummaryHistory* summaries) {
  require_increasing(candles);
  Series series;
  series.pair = pair;
  series.candles = candles;
  series.gap_before = detect_gaps(candles);
  series.width = FeaturePipeline::width();
  series.features.resize(candles.size() * series.width);
  FeaturePipeline pipeline;
  for (std::size_t i = 0; i < candles.size(); ++i) {
    const ReferenceInput ref = reference ? reference(candles[i].timestamp) : ReferenceInput{};
    pipeline.push(candles[i], series.features.data() + i * series.width, ref);
    if (summaries) summaries->push(pipeline.summary());
  }
  return series;
}

std::vector<Series> build_series_set(const std::vector<PairCandles>& inputs, const std::string& reference_pair) {
  const std::string ref = reference_pair.empty() ? std::string() : normalize_pair_name(reference_pair);
  std::vector<Series> out(inputs.size());
  std::vector<std::string> names;
  for (const PairCandles& in : inputs) names.push_back(normalize_pair_name(in.pair));
  // The reference first, keeping its summaries (all of them: offline every candle is "held").
  std::size_t ref_index = inputs.size();
  for (std::size_t i = 0; i < inputs.size() && !ref.empty(); ++i)
    if (names[i] == ref) ref_index = i;
  SummaryHistory history(ref_index < inputs.size() ? std::max<std::size_t>(1, inputs[ref_index].candles.size()) : 1);
  if (ref_index < inputs.size())
    out[ref_index] = build_series(inputs[ref_index].pair, inputs[ref_index].candles,
                                  constant_reference(ReferenceStatus::kIsReference), &history);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (i == ref_index) continue;
    const ReferenceStatus role = reference_role(names[i], ref);
    ReferenceLookup lookup = constant_reference(role);
    if (role == ReferenceStatus::kAvailable) {
      lookup = ref_index < inputs.size() ? ReferenceLookup([&history](std::int64_t t) { return history.at(t); })
                                         : constant_reference(ReferenceStatus::kNoCandle);
    }
    out[i] = build_series(inputs[i].pair, inputs[i].candles, lookup);
  }
  return out;
}

}  // namespace tbml
