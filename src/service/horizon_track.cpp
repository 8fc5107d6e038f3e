#include "tbml/service/horizon_track.h"

#include <mutex>

namespace tbml {

HorizonTrack::HorizonTrack(std::size_t horizon, const OutcomeTrackerOptions& tracker_options)
    : tracker(tracker_options), horizon_(horizon) {
  if (horizon == 0) throw std::invalid_argument("horizon track: horizon must be at least 1");
}

PairEnsembleView HorizonTrack::view(const std::string& pair, const PairEnsembleSettings& configured) const {
  PairEnsembleView v;
  v.configured = configured.weights;
  v.strategy = configured.strategy;
  {
    std::shared_lock lock(mutex_);
    if (auto st = stacked_.find(pair); st != stacked_.end()) v.stacked = st->second;
    if (auto it = decisions_.find(pair); it != decisions_.end()) {
      v.decision = it->second;
      return v;
    }
  }
  v.decision.weights = v.configured;
  v.decision.reason = "configured weights (no realised outcomes yet)";
  return v;
}

std::optional<WeightDecision> HorizonTrack::refit(const std::string& pair, const PairEnsembleSettings& configured,
                                                  bool auto_update) {
  const PairEnsembleView before = view(pair, configured);
  WeightDecision d = tracker.decide_weights(pair, before.configured, auto_update);
  const bool changed = d.weights != before.decision.weights;
  // The stacked meta-learner over the members that vote now (those with a real edge), on the resolved
  // live predictions: out of sample for the members that made them.
  std::vector<std::string> voting;
  if (SnapshotPtr snap = snapshots.get(pair))
    for (const auto& m : snap->models)
      if (m.votes()) voting.push_back(m.model);
  auto fit = std::make_shared<const StackedFit>(fit_stacked(tracker.window(pair), voting));
  {
    std::unique_lock lock(mutex_);
    decisions_[pair] = d;
    stacked_[pair] = std::move(fit);
  }
  if (changed && d.dynamic) return d;
  return std::nullopt;
}

std::vector<OutcomeUpdate> HorizonTrack::resolve(const std::string& pair, const std::vector<Candle>& candles,
                                                 std::int64_t now) {
  std::vector<OutcomeUpdate> out;
  for (const auto& r : tracker.on_candles(pair, candles, now)) {
    OutcomeUpdate u;
    u.pair = pair;
    u.candle_ts = r.prediction.candle_ts;
    u.horizon = static_cast<int>(horizon_);
    u.outcome = r.outcome == 1;
    u.resolved_at = r.resolved_at;
    out.push_back(u);  // empty model: every model's and the ensemble's prediction for that candle
  }
  return out;
}

}  // namespace tbml
