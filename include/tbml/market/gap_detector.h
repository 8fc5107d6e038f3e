#pragma once
// The gap rule, in a form that can be fed one timestamp at a time so that a batch Series and the live
// PairState flag exactly the same candles. A step is a gap when it is longer than 1.5x the median of the
// previous (up to 64) positive steps; no gap is reported until 3 steps have been seen, so the first few
// candles of a history never count as gaps.
#include <cstddef>
#include <cstdint>
#include <deque>

namespace tbml {

class GapDetector {
 public:
  static constexpr std::size_t kWindow = 64;   // steps remembered for the median
  static constexpr std::size_t kMinSteps = 3;  // steps needed before anything is called a gap

  // Consumes the next timestamp (epoch ms) and returns whether a gap precedes it. The first timestamp
  // never has a gap before it. Non-increasing timestamps are not gaps and are not remembered as steps.
  bool push(std::int64_t timestamp);
  void reset();

  std::size_t steps_seen() const { return steps_.size(); }
  // Median of the remembered steps in ms (mean of the two middle ones for an even count); 0 if none.
  double typical_step_ms() const;

 private:
  bool has_last_ = false;
  std::int64_t last_ = 0;
  std::deque<std::int64_t> steps_;
};

}  // namespace tbml
