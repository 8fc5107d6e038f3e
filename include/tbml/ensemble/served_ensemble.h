#pragma once
// The ensemble as it is served: combined once, when a snapshot is built, for every strategy a request
// can name, with the weights in force then. Requests only serialise it (ensemble/prediction_json.h);
// decide() in ensemble_decision.h is the rule that fills it.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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

struct ServedEnsemble {
  Strategy served = Strategy::kWeighted;  // the pair's configured strategy: the answer without ?strategy=
  WeightMap weights;                      // the weights in force when the snapshot was combined
  std::string weight_reason;              // why these weights (echoed as ensemble.weightReason)
  std::map<Strategy, EnsembleDecision> decisions;  // one per servable_strategies(); empty: not combined

  const EnsembleDecision* find(Strategy strategy) const {
    auto it = decisions.find(strategy);
    return it == decisions.end() ? nullptr : &it->second;
  }
  const EnsembleDecision* served_decision() const { return find(served); }
};

}  // namespace tbml
