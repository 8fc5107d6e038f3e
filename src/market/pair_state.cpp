#include "tbml/market/pair_state.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tbml/util/time.h"

namespace tbml {
namespace {

// Returns false for a candle that must not enter the history; otherwise fills the open and repairs
// high/low in place.
bool sanitize(Candle& c, double prev_close) {
  if (candle_problem(c) != CandleProblem::kNone) return false;
  c = complete_candle(c, prev_close);
  return true;
}

struct PendingRow {
  Candle candle;
  std::vector<float> row;
  ReturnSummary summary;
  ReferenceStatus reference = ReferenceStatus::kNotConfigured;
  bool gap = false;
};

}  // namespace

PairState::PairState(std::string pair, std::size_t capacity)
    : pair_(std::move(pair)),
      capacity_(capacity),
      candles_(capacity),
      rows_(capacity),
      gap_before_(capacity),
      reference_status_(capacity),
      summaries_(capacity) {}

IngestResult PairState::ingest(const std::vector<Candle>& input, const ReferenceLookup& reference) {
  std::lock_guard<std::mutex> write_lock(write_mutex_);
  std::vector<Candle> sorted = input;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Candle& a, const Candle& b) { return a.timestamp < b.timestamp; });

  // Features are computed before taking the data lock so readers never wait on the pipeline.
  IngestResult result;
  std::vector<PendingRow> pending;
  pending.reserve(sorted.size());
  for (Candle c : sorted) {
    if (last_accepted_ != 0 && c.timestamp <= last_accepted_) {
      ++result.duplicates;
      continue;
    }
    if (!sanitize(c, prev_close_)) {
      ++result.rejected;
      continue;
    }
    PendingRow p;
    p.candle = c;
    p.gap = gaps_.push(c.timestamp);
    const ReferenceInput ref = reference ? reference(c.timestamp) : ReferenceInput{};
    p.row = pipeline_.push(c, ref);
    p.summary = pipeline_.summary();
    p.reference = ref.status;
    pending.push_back(std::move(p));
    last_accepted_ = c.timestamp;
    prev_close_ = c.close;
  }
  result.added = pending.size();

  std::unique_lock<std::shared_mutex> data_lock(data_mutex_);
  // Only the newest `capacity_` rows can survive; skip pushing the ones that would fall off at once.
  const std::size_t first = pending.size() > capacity_ ? pending.size() - capacity_ : 0;
  for (std::size_t i = first; i < pending.size(); ++i) {
    candles_.push(pending[i].candle);
    rows_.push(pending[i].row);
    gap_before_.push(pending[i].gap ? 1 : 0);
    reference_status_.push(pending[i].reference);
    summaries_.push(pending[i].summary);
  }
  const std::int64_t now = now_ms();
  counters_.total_ingested += result.added;
  counters_.total_duplicates += result.duplicates;
  counters_.total_rejected += result.rejected;
  counters_.last_ingest_ms = now;
  if (result.added > 0) {
    counters_.last_update_ms = now;
    counters_.last_timestamp = candles_.back().timestamp;
  }
  counters_.size = candles_.size();
  return result;
}

std::optional<FeatureSnapshot> PairState::latest_features() const {
  std::shared_lock<std::shared_mutex> lock(data_mutex_);
  if (candles_.empty()) return std::nullopt;
  FeatureSnapshot snap;
  snap.timestamp = candles_.back().timestamp;
  snap.names = FeaturePipeline::names();
  snap.values = rows_.back();
  snap.data_points = candles_.size();
  snap.reference = reference_status_.back();
  return snap;
}

ReferenceInput PairState::reference_at(std::int64_t timestamp) const {
  std::shared_lock<std::shared_mutex> lock(data_mutex_);
  return summaries_.at(timestamp);
}

std::optional<Candle> PairState::latest_candle() const {
  std::shared_lock<std::shared_mutex> lock(data_mutex_);
  if (candles_.empty()) return std::nullopt;
  return candles_.back();
}

std::size_t PairState::size() const {
  std::shared_lock<std::shared_mutex> lock(data_mutex_);
  return candles_.size();
}

std::int64_t PairState::last_timestamp() const {
  std::shared_lock<std::shared_mutex> lock(data_mutex_);
  return candles_.empty() ? 0 : candles_.back().timestamp;
}

PairCounters PairState::counters() const {
  std::shared_lock<std::shared_mutex> lock(data_mutex_);
  return counters_;
}

Series PairState::copy_series(std::size_t max_rows) const {
  std::shared_lock<std::shared_mutex> lock(data_mutex_);
  Series s;
  s.pair = pair_;
  s.width = width();
  const std::size_t n = std::min(max_rows, candles_.size());
  const std::size_t start = candles_.size() - n;
  s.candles.reserve(n);
  s.gap_before.reserve(n);
  s.features.resize(n * s.width);
  for (std::size_t i = 0; i < n; ++i) {
    s.candles.push_back(candles_[start + i]);
    s.gap_before.push_back(gap_before_[start + i]);
    std::memcpy(s.features.data() + i * s.width, rows_[start + i].data(), s.width * sizeof(float));
  }
  return s;
}

bool PairState::copy_window(std::size_t seq_len, float* out, std::int64_t* last_timestamp) const {
  std::shared_lock<std::shared_mutex> lock(data_mutex_);
  if (seq_len == 0 || candles_.size() < seq_len) return false;
  const std::size_t start = candles_.size() - seq_len;
  for (std::size_t i = start + 1; i < candles_.size(); ++i) {
    if (gap_before_[i]) return false;
  }
  const std::size_t w = width();
  for (std::size_t i = 0; i < seq_len; ++i) {
    std::memcpy(out + i * w, rows_[start + i].data(), w * sizeof(float));
  }
  if (last_timestamp) *last_timestamp = candles_.back().timestamp;
  return true;
}

}  // namespace tbml
