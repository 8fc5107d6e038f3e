#pragma once
// The one rule that turns a snapshot's model probabilities into what a trader is told. Only members
// whose training showed a real edge over the base-rate forecast (block-bootstrap interval above zero)
// vote; the others are still shown, labelled, with weight 0. When no member has an edge the answer is the
// base rate itself, HOLD, confidence 0 and edge "none" with the numbers: no number is presented as a
// model's opinion that is not one.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/ensemble/prediction_snapshot.h"
#include "tbml/ensemble/served_ensemble.h"
#include "tbml/ensemble/stacked.h"
#include "tbml/ensemble/strategy.h"
#include "tbml/ensemble/weights.h"

namespace tbml {

// Members benched by their circuit breaker (ModelPrediction::benched) do not vote; while the snapshot's
// hold_reason is set the signal is HOLD (probability and direction unchanged: they are still scored).
// Throws std::invalid_argument only on an empty snapshot (callers check first). `stacked` is the pair's
// fitted meta-learner for Strategy::kStacked; without one over exactly the voting members, the weighted
// rule answers and the reason says so.
EnsembleDecision decide(const PredictionSnapshot& snapshot, Strategy strategy, const WeightMap& weights,
                        const CombineOptions& options = {}, const StackedFit* stacked = nullptr);

// What a snapshot is combined with: the pair's configured strategy and weights (and why), the signal
// threshold, and the stacked meta-learner (may be null).
struct EnsembleInputs {
  Strategy served = Strategy::kWeighted;
  WeightMap weights;
  std::string weight_reason;
  CombineOptions options;
  const StackedFit* stacked = nullptr;
};

// Combines the snapshot once for every servable strategy into snapshot.ensemble, before it is
// published; a snapshot with no member and no base-rate answer is left uncombined. Throws what decide()
// throws on bad member numbers.
void combine_snapshot(PredictionSnapshot& snapshot, const EnsembleInputs& inputs);

// Per member: {"edge": "real"|"none"|"worse"|"unknown", "lower", "upper", "modelBrier", "baseBrier", "samples"}.
nlohmann::json member_edge_json(const ModelPrediction& m);

}  // namespace tbml
