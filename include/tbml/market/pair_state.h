#pragma once
// One pair's live history: candles, their feature rows and gap flags in fixed-capacity rings. The poller
// thread writes through ingest(); predictors, trainers and HTTP handlers read copies concurrently.
// Feature rows are computed once, incrementally, as candles arrive, so ingesting a history in one call or
// candle by candle yields identical rows (and identical rows to build_series on the same candles).
// Cross-pair columns: ingest is given a ReferenceLookup (MarketData::reference_for) and each new row reads
// the reference pair's summary at exactly its timestamp, once. A reference candle that arrives after the
// row was computed does not change it: the row stays "not available" (build_series, given both pairs'
// full data, would find the candle, so live and offline agree only when the reference came first; the
// poller therefore ingests the reference pair first in every cycle).
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "tbml/features/feature_pipeline.h"
#include "tbml/features/candle.h"
#include "tbml/market/gap_detector.h"
#include "tbml/features/ring_buffer.h"
#include "tbml/market/series.h"

namespace tbml {

struct IngestResult {
  std::size_t added = 0;       // appended, in timestamp order
  std::size_t duplicates = 0;  // timestamp not newer than the last accepted candle
  std::size_t rejected = 0;    // non-finite or non-positive price, negative volume, timestamp <= 0
};

struct FeatureSnapshot {
  std::int64_t timestamp = 0;  // of the candle the row belongs to
  std::vector<std::string> names;
  std::vector<float> values;
  std::size_t data_points = 0;  // rows held when the snapshot was taken
  ReferenceStatus reference = ReferenceStatus::kNotConfigured;  // of this row's cross-pair columns
};

struct PairCounters {
  std::uint64_t total_ingested = 0;
  std::uint64_t total_duplicates = 0;
  std::uint64_t total_rejected = 0;
  std::int64_t last_update_ms = 0;  // wall clock of the last ingest that added a candle; 0 = never
  std::int64_t last_ingest_ms = 0;  // wall clock of the last ingest call of any kind; 0 = never
  std::int64_t last_timestamp = 0;  // newest candle held; 0 = none
  std::size_t size = 0;
};

class PairState {
 public:
  static constexpr std::size_t kDefaultCapacity = 5000;

  explicit PairState(std::string pair, std::size_t capacity = kDefaultCapacity);
  PairState(const PairState&) = delete;
  PairState& operator=(const PairState&) = delete;

  const std::string& pair() const { return pair_; }
  std::size_t capacity() const { return capacity_; }
  static std::size_t width() { return FeaturePipeline::width(); }

  // Appends the candles newer than the last accepted one, in timestamp order (the input is sorted first).
  // A missing open (0, negative or non-finite) is filled with the previous close (its own close for the
  // very first candle); high/low are widened to contain open and close, since core's high/low are 24-hour
  // extremes of a ticker rather than bar extremes.
  // `reference` gives each new row its reference pair's input (empty: no reference configured).
  IngestResult ingest(const std::vector<Candle>& candles, const ReferenceLookup& reference = {});

  // This pair as a reference: its return summary at exactly `timestamp` (see SummaryHistory::at).
  ReferenceInput reference_at(std::int64_t timestamp) const;

  std::optional<FeatureSnapshot> latest_features() const;
  std::optional<Candle> latest_candle() const;
  std::size_t size() const;
  std::int64_t last_timestamp() const;  // 0 when empty
  PairCounters counters() const;

  // The newest max_rows candles with their stored feature rows and gap flags (copied, not recomputed).
  Series copy_series(std::size_t max_rows) const;
  // Writes the newest seq_len feature rows (seq_len * width() floats, oldest first) to out. Returns false
  // and leaves out untouched when fewer than seq_len rows are held or a gap lies inside the window (a gap
  // before the window's first row is fine). last_timestamp, if given, receives the newest row's time.
  bool copy_window(std::size_t seq_len, float* out, std::int64_t* last_timestamp = nullptr) const;

 private:
  const std::string pair_;
  const std::size_t capacity_;

  // Writer side: only ingest() touches these; serialises writers without blocking readers.
  std::mutex write_mutex_;
  FeaturePipeline pipeline_;
  GapDetector gaps_;
  std::int64_t last_accepted_ = 0;
  double prev_close_ = 0.0;

  // Reader-visible data.
  mutable std::shared_mutex data_mutex_;
  RingBuffer<Candle> candles_;
  RingBuffer<std::vector<float>> rows_;
  RingBuffer<std::uint8_t> gap_before_;
  RingBuffer<ReferenceStatus> reference_status_;
  SummaryHistory summaries_;  // this pair's own return summaries, read by other pairs' ingest
  PairCounters counters_;
};

}  // namespace tbml
