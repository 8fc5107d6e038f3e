#pragma once
// One forecast horizon of the service: a separate target with its own direction models (registry), its
// published answers (snapshots), its outcomes resolved h candles after each prediction (tracker), the
// weights and stacked meta-learner its realised skill gives, and its volatility forecasts. The Service
// keeps one per configured horizon (ml.horizons); only the configured ensemble settings (weights and
// strategy set through config or the API) are shared, and the caller passes them in.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "tbml/ensemble/ensemble_settings.h"
#include "tbml/ensemble/outcome_tracker.h"
#include "tbml/ensemble/prediction_snapshot.h"
#include "tbml/ensemble/stacked.h"
#include "tbml/ensemble/weights.h"
#include "tbml/models/model_registry.h"
#include "tbml/service/decision_guard.h"
#include "tbml/storage/records.h"
#include "tbml/volatility/volatility_serving.h"

namespace tbml {

// What a pair's ensemble uses now at one horizon: configured weights and strategy (config, then POST
// /api/ensemble/:pair/weights) and the weights in force after this horizon's realised skill had its say.
struct PairEnsembleView {
  WeightMap configured;
  Strategy strategy = Strategy::kWeighted;
  WeightDecision decision;
  std::shared_ptr<const StackedFit> stacked;  // the `stacked` strategy's meta-learner (may hold no model)
};

class HorizonTrack {
 public:
  HorizonTrack(std::size_t horizon, const OutcomeTrackerOptions& tracker_options);
  HorizonTrack(const HorizonTrack&) = delete;
  HorizonTrack& operator=(const HorizonTrack&) = delete;

  std::size_t horizon() const { return horizon_; }

  ModelRegistry registry;
  SnapshotStore snapshots;
  OutcomeTracker tracker;
  std::unique_ptr<volatility::VolatilityServing> volatility;  // set at start-up; null when not running
  std::unique_ptr<DecisionGuard> guard;  // circuit breakers and signal monitor; set by the Service's constructor

  // The configured settings with this horizon's realised-skill decision and stacked fit.
  PairEnsembleView view(const std::string& pair, const PairEnsembleSettings& configured) const;
  // Refits this horizon's weights and its stacked meta-learner (over the members of the pair's latest
  // snapshot that have an edge) from its resolved outcomes. Returns the decision when realised skill
  // changed the weights (the caller stores it), nullopt otherwise.
  std::optional<WeightDecision> refit(const std::string& pair, const PairEnsembleSettings& configured,
                                      bool auto_update);
  // Feeds candles to the tracker and returns the storage updates of the predictions they resolve, for
  // this horizon's rows only (another horizon's prediction on the same candle has its own outcome).
  std::vector<OutcomeUpdate> resolve(const std::string& pair, const std::vector<Candle>& candles, std::int64_t now);

 private:
  const std::size_t horizon_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, WeightDecision> decisions_;
  std::map<std::string, std::shared_ptr<const StackedFit>> stacked_;
};

}  // namespace tbml
