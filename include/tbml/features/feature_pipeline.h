#pragma once
// Per-candle feature rows, computed incrementally: pushing one candle costs O(number of features), and
// the row for a candle depends only on that candle and the ones before it. The same code runs at training
// and at serving time, so a model always sees the features it was trained on. The last columns describe a
// reference pair (features/reference_features.h) at the same timestamp; the caller looks that up and
// passes it in, so the pipeline itself stays one pair's state.
#include <memory>
#include <string>
#include <vector>

#include "tbml/features/candle.h"
#include "tbml/features/reference_features.h"

namespace tbml {

class FeaturePipeline {
 public:
  FeaturePipeline();
  ~FeaturePipeline();
  FeaturePipeline(FeaturePipeline&&) noexcept;
  FeaturePipeline& operator=(FeaturePipeline&&) noexcept;

  // Stable, ordered feature names; their order is the column order of every row.
  static const std::vector<std::string>& names();
  static std::size_t width();
  // Changes whenever names, order or the meaning of a feature change; stored with every model.
  static const std::string& version();
  // The cross-pair columns among names(), in order; they are the last reference_names().size() columns.
  static const std::vector<std::string>& reference_names();

  // Consume the next candle (timestamps strictly increasing) and write width() finite floats to out.
  // `reference` is the reference pair's input for this candle's timestamp (default: none configured).
  void push(const Candle& candle, float* out, const ReferenceInput& reference = {});
  std::vector<float> push(const Candle& candle, const ReferenceInput& reference = {});
  // This pair's own return summary at the latest candle: what other pairs read when it is the reference.
  const ReturnSummary& summary() const;
  // Number of candles consumed so far.
  std::size_t count() const;
  void reset();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tbml
