#pragma once
// Registry of every tracked pair's PairState. Pairs are added on demand (by the poller when core reports
// them, or by an offline loader); a PairState, once created, lives as long as anyone holds it.
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
  explicit MarketData(std::size_t capacity_per_pair = PairState::kDefaultCapacity);

  // Normalises the name (upper-case, ^[A-Z0-9]{2,20}$; std::invalid_argument otherwise) and returns the
  // pair's state, creating it if needed.
  std::shared_ptr<PairState> get_or_create(const std::string& pair);
  // The pair's state, or nullptr if it is not tracked (or the name is invalid). Case-insensitive.
  std::shared_ptr<PairState> find(const std::string& pair) const;
  // Tracked pair names, sorted.
  std::vector<std::string> pairs() const;
  std::size_t size() const;
  std::size_t capacity_per_pair() const { return capacity_; }

 private:
  const std::size_t capacity_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::shared_ptr<PairState>> states_;
};

}  // namespace tbml
