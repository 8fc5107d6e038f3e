#include "tbml/market/market_data.h"

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include "tbml/market/pair_name.h"

namespace tbml {

MarketData::MarketData(std::size_t capacity_per_pair, std::string reference_pair)
    : capacity_(capacity_per_pair),
      reference_pair_(reference_pair.empty() ? std::string() : normalize_pair_name(reference_pair)) {
  if (capacity_per_pair == 0) throw std::invalid_argument("MarketData capacity per pair must be > 0");
}

std::shared_ptr<PairState> MarketData::get_or_create(const std::string& pair) {
  const std::string name = normalize_pair_name(pair);
  {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    auto it = states_.find(name);
    if (it != states_.end()) return it->second;
  }
  std::unique_lock<std::shared_mutex> lock(mutex_);
  auto& slot = states_[name];  // another thread may have created it meanwhile
  if (!slot) slot = std::make_shared<PairState>(name, capacity_);
  return slot;
}

std::shared_ptr<PairState> MarketData::find(const std::string& pair) const {
  std::string name;
  try {
    name = normalize_pair_name(pair);
  } catch (const std::invalid_argument&) {
    return nullptr;
  }
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto it = states_.find(name);
  return it == states_.end() ? nullptr : it->second;
}

std::vector<std::string> MarketData::pairs() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  std::vector<std::string> names;
  names.reserve(states_.size());
  for (const auto& [name, state] : states_) names.push_back(name);
  return names;
}

ReferenceLookup MarketData::reference_for(const std::string& pair) const {
  std::string name;
  try {
    name = normalize_pair_name(pair);
  } catch (const std::invalid_argument&) {
    name = pair;
  }
  const ReferenceStatus role = reference_role(name, reference_pair_);
  if (role != ReferenceStatus::kAvailable) return constant_reference(role);
  std::shared_ptr<const PairState> reference = find(reference_pair_);
  if (!reference) return constant_reference(ReferenceStatus::kNoCandle);
  return [reference](std::int64_t timestamp) { return reference->reference_at(timestamp); };
}

std::shared_ptr<PairState> MarketData::ingest(const std::string& pair, const std::vector<Candle>& candles,
                                              IngestResult* result) {
  std::shared_ptr<PairState> state = get_or_create(pair);
  const IngestResult r = state->ingest(candles, reference_for(state->pair()));
  if (result) *result = r;
  return state;
}

std::vector<std::string> MarketData::reference_first(std::vector<std::string> pairs) const {
  std::stable_partition(pairs.begin(), pairs.end(), [this](const std::string& p) {
    try {
      return !reference_pair_.empty() && normalize_pair_name(p) == reference_pair_;
    } catch (const std::invalid_argument&) {
      return false;
    }
  });
  return pairs;
}

std::size_t MarketData::size() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return states_.size();
}

}  // namespace tbml
