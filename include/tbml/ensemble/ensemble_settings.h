#pragma once
// Per-pair ensemble settings changed at run time by POST /api/ensemble/:pair/weights: strategy,
// configured weights and whether realised skill may override them. Pairs never set use the defaults
// from config. Thread-safe; values are returned by copy.
#include <mutex>
#include <string>
#include <unordered_map>

#include "tbml/ensemble/strategy.h"
#include "tbml/ensemble/weights.h"

namespace tbml {

struct EnsembleDefaults {
  Strategy strategy = Strategy::kWeighted;
  WeightMap weights = default_weights();
  bool auto_update = false;
};

struct PairEnsembleSettings {
  Strategy strategy = Strategy::kWeighted;
  WeightMap weights;
  bool auto_update = false;
};

class EnsembleSettings {
 public:
  explicit EnsembleSettings(EnsembleDefaults defaults = {});

  PairEnsembleSettings get(const std::string& pair) const;
  void set_strategy(const std::string& pair, Strategy strategy);
  // Replaces the pair's configured weights (validate first with validate_weights/parse_weights_request,
  // passing get(pair).weights as `base` to merge partial updates). Throws std::invalid_argument on a
  // negative, non-finite or all-zero map so an unvalidated caller cannot store one.
  void set_weights(const std::string& pair, const WeightMap& weights);
  void set_auto_update(const std::string& pair, bool on);
  const EnsembleDefaults& defaults() const { return defaults_; }

 private:
  PairEnsembleSettings& entry(const std::string& pair);  // caller holds mutex_

  EnsembleDefaults defaults_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, PairEnsembleSettings> pairs_;
};

}  // namespace tbml
