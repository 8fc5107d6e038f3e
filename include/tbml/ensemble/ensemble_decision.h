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
#include "tbml/ensemble/stacked.h"
#include "tbml/ensemble/strategy.h"
#include "tbml/ensemble/weights.h"

namespace tbml {

struct EnsembleDecision {
  bool has_edge = false;        // at least one member with a real edge voted
  Combined combined;            // over the voting members (meaningful only when has_edge)
  double probability = 0.5;     // combined, or the base rate
  double confidence = 0.0;
  std::string direction = "neutral";
  std::string signal = "HOLD";
  std::string source;           // "ensemble" or "base-rate"
  std::string reason;           // why these members voted, with the numbers
  std::vector<std::string> voting, without_edge;
  std::vector<std::string> benched;  // members with an edge that their circuit breaker benched (weight 0)
  bool held = false;                 // the ensemble breaker turned the signal to HOLD
  // {"edge","reason","source","votingModels","modelsWithoutEdge","benchedModels"}
  nlohmann::json edge_json() const;
};

// Members benched by their circuit breaker (ModelPrediction::benched) do not vote; while the snapshot's
// hold_reason is set the signal is HOLD (probability and direction unchanged: they are still scored).
// Throws std::invalid_argument only on an empty snapshot (callers check first). `stacked` is the pair's
// fitted meta-learner for Strategy::kStacked; without one over exactly the voting members, the weighted
// rule answers and the reason says so.
EnsembleDecision decide(const PredictionSnapshot& snapshot, Strategy strategy, const WeightMap& weights,
                        const CombineOptions& options = {}, const StackedFit* stacked = nullptr);

// Per member: {"edge": "real"|"none"|"worse"|"unknown", "lower", "upper", "modelBrier", "baseBrier", "samples"}.
nlohmann::json member_edge_json(const ModelPrediction& m);

}  // namespace tbml
