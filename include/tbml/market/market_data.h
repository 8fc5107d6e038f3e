#pragma once
// Registry of every tracked pair's PairState. Pairs are added on demand (by the poller when core reports
// them, or by an offline loader); a PairState, once created, lives as long as anyone holds it. It also
// knows the reference pair whose candles give every other pair its cross-pair columns.
#include <cstddef>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "tbml/market/pair_state.h"

namespace tbml {

class MarketData {
 public:
  // reference_pair: the pair the cross-pair columns come from ("" = none); normalised like pair names.
  explicit MarketData(std::size_t capacity_per_pair = PairState::kDefaultCapacity, std::string reference_pair = "");

  // Normalises the name (upper-case, ^[A-Z0-9]{2,20}$; std::invalid_argument otherwise) and returns the
  // pair's state, creating it if needed.
  std::shared_ptr<PairState> get_or_create(const std::string& pair);
  // The pair's state, or nullptr if it is not tracked (or the name is invalid). Case-insensitive.
  std::shared_ptr<PairState> find(const std::string& pair) const;
  // Tracked pair names, sorted.
  std::vector<std::string> pairs() const;
  std::size_t size() const;
  std::size_t capacity_per_pair() const { return capacity_; }
  const std::string& reference_pair() const { return reference_pair_; }

  // The lookup `pair`'s ingest passes to its rows: the reference pair's state as tracked now (a
  // reference not tracked yet answers "no candle"), or a constant status for no reference / the
  // reference itself. Pass it to PairState::ingest.
  ReferenceLookup reference_for(const std::string& pair) const;
  // Ingests into `pair`'s state (created if needed) with its reference lookup; returns the state.
  std::shared_ptr<PairState> ingest(const std::string& pair, const std::vector<Candle>& candles,
                                    IngestResult* result = nullptr);
  // The same names with the reference pair moved to the front (order otherwise kept), so that within a
  // cycle the reference's candle at t is held before any other pair's row at t is computed.
  std::vector<std::string> reference_first(std::vector<std::string> pairs) const;

 private:
  const std::size_t capacity_;
  const std::string reference_pair_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::shared_ptr<PairState>> states_;
};

}  // namespace tbml
