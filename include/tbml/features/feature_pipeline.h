#pragma once
// Per-candle feature rows, computed incrementally: pushing one candle costs O(number of features), and
// the row for a candle depends only on that candle and the ones before it. The same code runs at training
// and at serving time, so a model always sees the features it was trained on.
#include <memory>
#include <string>
#include <vector>

#include "tbml/features/candle.h"

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

  // Consume the next candle (timestamps strictly increasing) and write width() finite floats to out.
  void push(const Candle& candle, float* out);
  std::vector<float> push(const Candle& candle);
  // Number of candles consumed so far.
  std::size_t count() const;
  void reset();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tbml
