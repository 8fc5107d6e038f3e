#include "tbml/market/gap_detector.h"

#include <algorithm>
#include <vector>

namespace tbml {
namespace {

// The two middle values of `steps` (equal for an odd count). Integers so the comparison is exact.
std::pair<std::int64_t, std::int64_t> middle_pair(const std::deque<std::int64_t>& steps) {
  std::vector<std::int64_t> sorted(steps.begin(), steps.end());
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  if (n % 2 == 1) return {sorted[n / 2], sorted[n / 2]};
  return {sorted[n / 2 - 1], sorted[n / 2]};
}

}  // namespace

bool GapDetector::push(std::int64_t timestamp) {
  if (!has_last_) {
    has_last_ = true;
    last_ = timestamp;
    return false;
  }
  const std::int64_t step = timestamp - last_;
  if (step <= 0) return false;
  last_ = timestamp;

  bool gap = false;
  if (steps_.size() >= kMinSteps) {
    // step > 1.5 * (a + b) / 2  <=>  4 * step > 3 * (a + b); steps are far below 2^61 ms.
    const auto [a, b] = middle_pair(steps_);
    gap = 4 * step > 3 * (a + b);
  }
  steps_.push_back(step);
  if (steps_.size() > kWindow) steps_.pop_front();
  return gap;
}

void GapDetector::reset() {
  has_last_ = false;
  last_ = 0;
  steps_.clear();
}

double GapDetector::typical_step_ms() const {
  if (steps_.empty()) return 0.0;
  const auto [a, b] = middle_pair(steps_);
  return (static_cast<double>(a) + static_cast<double>(b)) / 2.0;
}

}  // namespace tbml
