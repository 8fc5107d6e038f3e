#include "tbml/ensemble/ensemble_decision.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

namespace tbml {

nlohmann::json member_edge_json(const ModelPrediction& m) {
  if (!m.edge) return {{"edge", "unknown"}, {"reason", "trained before the edge test existed: treated as no edge"}};
  const DirectionEdge& e = *m.edge;
  return {{"edge", to_string(e.verdict)}, {"modelBrier", e.model_brier}, {"baseBrier", e.base_brier},
          {"improvement", e.improvement}, {"lower", e.lower},          {"upper", e.upper},
          {"samples", e.samples},       {"effectiveSamples", e.effective_samples}};
}

nlohmann::json EnsembleDecision::edge_json() const {
  return {{"edge", has_edge ? "real" : "none"},
          {"source", source},
          {"reason", reason},
          {"votingModels", voting},
          {"modelsWithoutEdge", without_edge},
          {"benchedModels", benched}};
}

EnsembleDecision decide(const PredictionSnapshot& snapshot, Strategy strategy, const WeightMap& weights,
                        const CombineOptions& options, const StackedFit* stacked) {
  if (snapshot.models.empty() && !snapshot.base_rate_only)
    throw std::invalid_argument("decide: no model prediction for " + snapshot.pair);
  EnsembleDecision d;
  std::vector<ModelVote> votes;
  std::string numbers;
  bool edge_benched = false;
  for (const auto& m : snapshot.models) {
    if (!m.benched.empty()) {
      d.benched.push_back(m.model);
      edge_benched = edge_benched || m.has_edge();
    }
    if (m.votes()) {
      votes.push_back(ModelVote{m.model, m.probability, weight_for(weights, m.model)});
      d.voting.push_back(m.model);
    } else if (!m.has_edge()) {
      d.without_edge.push_back(m.model);
    }
    if (!m.benched.empty()) {
      numbers += (numbers.empty() ? "" : "; ") + m.model + " benched by its circuit breaker";
    } else if (m.edge) {
      numbers += fmt::format("{}{} Brier {:.4f} vs base rate {:.4f} (interval of the improvement [{:+.4f}, {:+.4f}])",
                             numbers.empty() ? "" : "; ", m.model, m.edge->model_brier, m.edge->base_brier,
                             m.edge->lower, m.edge->upper);
    } else {
      numbers += (numbers.empty() ? "" : "; ") + m.model + " untested";
    }
  }
  if (votes.empty()) {
    d.source = "base-rate";
    if (edge_benched) {
      d.reason = fmt::format("every member with a real edge is benched by its circuit breaker ({}); the answer is the "
                             "base rate of up-moves over {} candles ({:.4f} over {} windows)",
                             numbers, snapshot.horizon, snapshot.base_rate, snapshot.base_rate_windows);
      return d;
    }
    d.probability = snapshot.base_rate;
    if (snapshot.models.empty()) {
      d.reason = fmt::format("{}; the answer is the base rate of up-moves over {} candles ({:.4f} over {} windows)",
                             snapshot.base_rate_reason, snapshot.horizon, snapshot.base_rate,
                             snapshot.base_rate_windows);
      return d;
    }
    d.reason = fmt::format(
        "no model beats the base-rate forecast beyond noise on its unseen test data ({}); the answer is the "
        "base rate of up-moves over {} candles ({:.4f} over {} windows), not a model's opinion",
        numbers, snapshot.horizon, snapshot.base_rate, snapshot.base_rate_windows);
    return d;
  }
  d.has_edge = true;
  d.source = "ensemble";
  std::string stacking;
  if (strategy == Strategy::kStacked) {
    std::vector<std::string> voting = d.voting;
    std::sort(voting.begin(), voting.end());
    if (stacked && stacked->model && stacked->model->members == voting) {
      std::map<std::string, double> p;
      for (const auto& v : votes) p[v.name] = v.probability;
      d.combined = combine_at(votes, stacked->model->predict(p), Strategy::kStacked, options);
      d.combined.note = stacked->reason;
    } else {
      d.combined = combine(votes, Strategy::kWeighted, options);
      d.combined.note = (stacked && !stacked->model ? stacked->reason : std::string("stacked meta-learner not fitted for these members")) +
                        "; the weighted rule answered";
    }
    stacking = "; " + d.combined.note;
  } else {
    d.combined = combine(votes, strategy, options);
  }
  d.probability = d.combined.probability;
  d.confidence = d.combined.confidence;
  d.direction = d.combined.direction;
  d.signal = d.combined.signal;
  d.reason = fmt::format("{} of {} models have a real edge and vote ({}); the others are shown with weight 0{}",
                         votes.size(), snapshot.models.size(), numbers, stacking);
  if (!snapshot.hold_reason.empty() && d.signal != "HOLD") {
    d.signal = "HOLD";
    d.held = true;
    d.reason += "; signal " + d.combined.signal + " held: " + snapshot.hold_reason;
  }
  return d;
}

void combine_snapshot(PredictionSnapshot& snapshot, const EnsembleInputs& inputs) {
  ServedEnsemble e;
  e.served = inputs.served;
  e.weights = inputs.weights;
  e.weight_reason = inputs.weight_reason;
  if (!snapshot.models.empty() || snapshot.base_rate_only) {
    for (Strategy s : servable_strategies())
      e.decisions.emplace(s, decide(snapshot, s, inputs.weights, inputs.options, inputs.stacked));
  }
  snapshot.ensemble = std::move(e);
}

}  // namespace tbml
