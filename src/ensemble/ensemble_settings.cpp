#include "tbml/ensemble/ensemble_settings.h"

#include <cmath>
#include <stdexcept>

namespace tbml {

namespace {

void check_weights(const WeightMap& weights) {
  double total = 0.0;
  for (const auto& [name, w] : weights) {
    if (!std::isfinite(w) || w < 0.0 || w > kMaxWeight) {
      throw std::invalid_argument("weight of '" + name + "' must be a finite number in [0, 1e6]");
    }
    total += w;
  }
  if (total <= 0.0) throw std::invalid_argument("weights are empty or all zero");
}

}  // namespace

EnsembleSettings::EnsembleSettings(EnsembleDefaults defaults) : defaults_(std::move(defaults)) {
  check_weights(defaults_.weights);
}

PairEnsembleSettings& EnsembleSettings::entry(const std::string& pair) {
  auto it = pairs_.find(pair);
  if (it == pairs_.end()) {
    it = pairs_.emplace(pair, PairEnsembleSettings{defaults_.strategy, defaults_.weights, defaults_.auto_update}).first;
  }
  return it->second;
}

PairEnsembleSettings EnsembleSettings::get(const std::string& pair) const {
  std::lock_guard lock(mutex_);
  auto it = pairs_.find(pair);
  if (it != pairs_.end()) return it->second;
  return PairEnsembleSettings{defaults_.strategy, defaults_.weights, defaults_.auto_update};
}

void EnsembleSettings::set_strategy(const std::string& pair, Strategy strategy) {
  std::lock_guard lock(mutex_);
  entry(pair).strategy = strategy;
}

void EnsembleSettings::set_weights(const std::string& pair, const WeightMap& weights) {
  check_weights(weights);
  std::lock_guard lock(mutex_);
  entry(pair).weights = weights;
}

void EnsembleSettings::set_auto_update(const std::string& pair, bool on) {
  std::lock_guard lock(mutex_);
  entry(pair).auto_update = on;
}

}  // namespace tbml
