#include "tbml/features/reference_features.h"

#include <cmath>
#include <stdexcept>

namespace tbml {

const char* reference_status_name(ReferenceStatus status) {
  switch (status) {
    case ReferenceStatus::kAvailable: return "available";
    case ReferenceStatus::kNotConfigured: return "no_reference";
    case ReferenceStatus::kIsReference: return "is_reference";
    case ReferenceStatus::kNoCandle: return "no_candle";
    case ReferenceStatus::kNotEnoughHistory: return "not_enough_history";
  }
  return "unknown";
}

std::string reference_status_reason(ReferenceStatus status, const std::string& reference_pair) {
  const std::string ref = reference_pair.empty() ? std::string("the reference pair") : reference_pair;
  switch (status) {
    case ReferenceStatus::kAvailable: return ref + " candle at this timestamp";
    case ReferenceStatus::kNotConfigured: return "no reference pair is configured (ml.referencePair is empty)";
    case ReferenceStatus::kIsReference: return "this pair is the reference pair " + ref;
    case ReferenceStatus::kNoCandle: return "no " + ref + " candle with this timestamp";
    case ReferenceStatus::kNotEnoughHistory:
      return "not enough " + ref + " history at this timestamp (needs " +
             std::to_string(ReturnSummary::kFullHistory) + " candles)";
  }
  return "unknown";
}

ReturnTracker::ReturnTracker() : closes_(ReturnSummary::kFullHistory), returns_(ReturnSummary::kFullHistory - 1) {}

const ReturnSummary& ReturnTracker::push(const Candle& c) {
  if (!closes_.empty()) returns_.push(std::log(c.close / closes_.back()));
  closes_.push(c.close);
  const std::size_t n = closes_.size();
  auto ret = [&](std::size_t k) { return n > k ? std::log(c.close / closes_[n - 1 - k]) : 0.0; };
  latest_.timestamp = c.timestamp;
  ++latest_.count;
  latest_.ret1 = ret(1);
  latest_.ret5 = ret(5);
  latest_.ret24 = ret(24);
  latest_.vol24 = 0.0;
  if (returns_.size() == returns_.capacity()) {
    double mean = 0.0, var = 0.0;
    for (std::size_t i = 0; i < returns_.size(); ++i) mean += returns_[i];
    mean /= static_cast<double>(returns_.size());
    for (std::size_t i = 0; i < returns_.size(); ++i) var += (returns_[i] - mean) * (returns_[i] - mean);
    latest_.vol24 = std::sqrt(var / static_cast<double>(returns_.size()));
  }
  return latest_;
}

ReferenceStatus reference_role(const std::string& pair, const std::string& reference_pair) {
  if (reference_pair.empty()) return ReferenceStatus::kNotConfigured;
  if (pair == reference_pair) return ReferenceStatus::kIsReference;
  return ReferenceStatus::kAvailable;
}

ReferenceLookup constant_reference(ReferenceStatus status) {
  return [status](std::int64_t) { return ReferenceInput{status, {}}; };
}

SummaryHistory::SummaryHistory(std::size_t capacity) : summaries_(capacity) {}

void SummaryHistory::push(const ReturnSummary& summary) {
  if (!summaries_.empty() && summary.timestamp <= summaries_.back().timestamp)
    throw std::invalid_argument("SummaryHistory: timestamp " + std::to_string(summary.timestamp) +
                                " is not after " + std::to_string(summaries_.back().timestamp));
  summaries_.push(summary);
}

ReferenceInput SummaryHistory::at(std::int64_t timestamp) const {
  // Binary search over the ring (oldest first, strictly increasing timestamps).
  std::size_t lo = 0, hi = summaries_.size();
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (summaries_[mid].timestamp < timestamp) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == summaries_.size() || summaries_[lo].timestamp != timestamp) return {ReferenceStatus::kNoCandle, {}};
  const ReturnSummary& s = summaries_[lo];
  if (!s.full()) return {ReferenceStatus::kNotEnoughHistory, {}};
  return {ReferenceStatus::kAvailable, s};
}

}  // namespace tbml
