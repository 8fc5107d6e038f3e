#include "tbml/decision/served_history.h"

#include <algorithm>
#include <stdexcept>

namespace tbml::decision {

ServedHistory::ServedHistory(std::int64_t keep_ms, std::size_t keep_count) : keep_ms_(keep_ms), keep_count_(keep_count) {
  if (keep_ms <= 0 || keep_count == 0) throw std::invalid_argument("served history: keep_ms and keep_count must be positive");
}

void ServedHistory::add(const ServedRecord& record) {
  if (!records_.empty() && record.candle_ts < records_.front().candle_ts) return;
  auto it = std::lower_bound(records_.begin(), records_.end(), record.candle_ts,
                             [](const ServedRecord& r, std::int64_t ts) { return r.candle_ts < ts; });
  if (it != records_.end() && it->candle_ts == record.candle_ts) {
    const std::optional<bool> known = it->up;
    *it = record;
    if (!it->up) it->up = known;
    return;
  }
  records_.insert(it, record);
  prune();
}

bool ServedHistory::resolve(std::int64_t candle_ts, bool up) {
  auto it = std::lower_bound(records_.begin(), records_.end(), candle_ts,
                             [](const ServedRecord& r, std::int64_t ts) { return r.candle_ts < ts; });
  if (it == records_.end() || it->candle_ts != candle_ts) return false;
  it->up = up;
  return true;
}

std::optional<double> ServedHistory::base_rate_at(std::int64_t candle_ts) const {
  auto it = std::lower_bound(records_.begin(), records_.end(), candle_ts,
                             [](const ServedRecord& r, std::int64_t ts) { return r.candle_ts < ts; });
  if (it == records_.end() || it->candle_ts != candle_ts) return std::nullopt;
  return it->base_rate;
}

std::vector<SignalRecord> ServedHistory::signals() const {
  std::vector<SignalRecord> out;
  out.reserve(records_.size());
  for (const ServedRecord& r : records_) out.push_back(SignalRecord{r.candle_ts, r.signal, r.agreement, r.up});
  return out;
}

std::vector<ResolvedOutcome> ServedHistory::resolved_outcomes() const {
  std::vector<ResolvedOutcome> out;
  for (const ServedRecord& r : records_)
    if (r.up) out.push_back(ResolvedOutcome{r.candle_ts, r.probability, *r.up, r.base_rate});
  return out;
}

void ServedHistory::prune() {
  const std::int64_t newest = records_.back().candle_ts;
  while (records_.size() > keep_count_ && records_.front().candle_ts <= newest - keep_ms_) records_.pop_front();
}

}  // namespace tbml::decision
