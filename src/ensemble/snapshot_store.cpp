#include <algorithm>

#include "tbml/ensemble/prediction_snapshot.h"

namespace tbml {

void SnapshotStore::publish(SnapshotPtr snapshot) {
  if (!snapshot) return;
  std::unique_lock lock(mutex_);
  snapshots_[snapshot->pair] = std::move(snapshot);
}

SnapshotPtr SnapshotStore::get(const std::string& pair) const {
  std::shared_lock lock(mutex_);
  auto it = snapshots_.find(pair);
  return it == snapshots_.end() ? nullptr : it->second;
}

std::vector<SnapshotPtr> SnapshotStore::all() const {
  std::vector<SnapshotPtr> out;
  {
    std::shared_lock lock(mutex_);
    out.reserve(snapshots_.size());
    for (const auto& [pair, snap] : snapshots_) out.push_back(snap);
  }
  std::sort(out.begin(), out.end(), [](const SnapshotPtr& a, const SnapshotPtr& b) { return a->pair < b->pair; });
  return out;
}

void SnapshotStore::erase(const std::string& pair) {
  std::unique_lock lock(mutex_);
  snapshots_.erase(pair);
}

std::size_t SnapshotStore::size() const {
  std::shared_lock lock(mutex_);
  return snapshots_.size();
}

}  // namespace tbml
