#pragma once
// Cross-pair inputs: every pair's rows carry a few columns about a reference pair (BTC by default), read
// from the reference's candle with exactly the same timestamp. Each pair's FeaturePipeline keeps a small
// ReturnSummary of its own recent returns; the reference's summaries are kept per candle (SummaryHistory,
// in PairState live and from build_series offline) and looked up by timestamp when another pair's row is
// computed. The summary at t reads candles up to t only, so a row never sees a later reference candle.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "tbml/features/candle.h"
#include "tbml/features/ring_buffer.h"

namespace tbml {

// Why a row's reference columns are (not) available. Stored per row; kAvailable is the only live state.
enum class ReferenceStatus : std::uint8_t {
  kAvailable,
  kNotConfigured,     // no reference pair configured
  kIsReference,       // this pair is the reference itself (its own columns say it all)
  kNoCandle,          // the reference has no candle with this row's timestamp (missing, late or not held)
  kNotEnoughHistory,  // the reference candle exists but fewer than ReturnSummary::kFullHistory candles lead to it
};

// Stable machine name ("available", "no_reference", "is_reference", "no_candle", "not_enough_history").
const char* reference_status_name(ReferenceStatus status);
// A sentence for people, naming the reference pair where it helps.
std::string reference_status_reason(ReferenceStatus status, const std::string& reference_pair);

// A pair's recent returns at one candle, computed from that candle and the ones before it.
struct ReturnSummary {
  static constexpr std::size_t kFullHistory = 25;  // candles for the 24-candle return and volatility
  std::int64_t timestamp = 0;
  std::size_t count = 0;  // candles consumed up to and including this one
  double ret1 = 0.0;      // ln(C / C₋₁), 0 until 2 candles
  double ret5 = 0.0;      // ln(C / C₋₅), 0 until 6 candles
  double ret24 = 0.0;     // ln(C / C₋₂₄), 0 until 25 candles
  double vol24 = 0.0;     // population std of the last 24 one-candle log returns, 0 until 25 candles
  bool full() const { return count >= kFullHistory; }
};

// Incremental ReturnSummary: 24 values summed per candle (exact, no running-sum drift). Closes must be
// finite and > 0 (the pipeline sanitises them).
class ReturnTracker {
 public:
  ReturnTracker();
  const ReturnSummary& push(const Candle& candle);
  const ReturnSummary& latest() const { return latest_; }

 private:
  RingBuffer<double> closes_;
  RingBuffer<double> returns_;
  ReturnSummary latest_;
};

// What a row is given about the reference: the status and, when available, the reference's summary.
struct ReferenceInput {
  ReferenceStatus status = ReferenceStatus::kNotConfigured;
  ReturnSummary reference;
};

// Finds the reference's input for a row timestamp. An empty function means "no reference configured".
using ReferenceLookup = std::function<ReferenceInput(std::int64_t timestamp)>;

// The rule that applies before any lookup: kNotConfigured for an empty reference name, kIsReference when
// the pair is the reference, otherwise kAvailable ("look the timestamp up"). Names must be normalised.
ReferenceStatus reference_role(const std::string& pair, const std::string& reference_pair);
// A lookup that answers `status` for every timestamp (used for the roles above).
ReferenceLookup constant_reference(ReferenceStatus status);

// The newest `capacity` summaries of one pair (timestamps strictly increasing), searchable by timestamp.
// Not thread-safe: PairState guards its copy with its data lock.
class SummaryHistory {
 public:
  explicit SummaryHistory(std::size_t capacity);
  void push(const ReturnSummary& summary);  // std::invalid_argument when not newer than the last one
  std::size_t size() const { return summaries_.size(); }
  // kAvailable with the summary for an exact timestamp match with full history; kNotEnoughHistory for a
  // match without it; kNoCandle when no held summary has this timestamp.
  ReferenceInput at(std::int64_t timestamp) const;

 private:
  RingBuffer<ReturnSummary> summaries_;
};

}  // namespace tbml
