// The decision stage's options from config and the sizing of a published decision (decision_wiring.h).
#include "tbml/service/decision_wiring.h"

#include <cmath>

#include "tbml/decision/uncertainty.h"

namespace tbml {

decision::SizingOptions sizing_options(const DecisionConfig& config) {
  decision::SizingOptions o;
  o.kelly_fraction = config.kelly_fraction;
  o.volatility_target = config.volatility_target;
  o.max_position = config.max_position;
  o.min_outcomes = config.min_outcomes;
  o.allow_short = config.allow_short;
  return o;
}

std::vector<double> window_log_moves(const std::vector<ResolvedPrediction>& window) {
  std::vector<double> moves;
  moves.reserve(window.size());
  for (const ResolvedPrediction& r : window) {
    if (r.prediction.close > 0.0 && r.outcome_close > 0.0) moves.push_back(std::log(r.outcome_close / r.prediction.close));
  }
  return moves;
}

decision::Sizing decision_sizing(const EnsembleDecision& decision, const std::string& signal,
                                 const std::map<std::string, bool>& calibration_checked,
                                 const std::vector<ResolvedPrediction>& window, const nlohmann::json& volatility,
                                 std::size_t horizon_hours, const decision::SizingOptions& options) {
  decision::SizingInputs in;
  in.p_up = decision.probability;
  in.signal = signal;
  in.edge_real = decision.has_edge;
  bool checked = !decision.voting.empty();
  for (const std::string& name : decision.voting) {
    auto it = calibration_checked.find(name);
    checked = checked && it != calibration_checked.end() && it->second;
  }
  in.calibration_checked = checked;
  in.moves = decision::realised_moves(window_log_moves(window));
  if (volatility.is_object() && volatility.value("available", false) && volatility.contains("sigma") &&
      volatility["sigma"].is_number()) {
    const double sigma = volatility["sigma"].get<double>();
    in.volatility_available = std::isfinite(sigma) && sigma > 0.0;
    if (in.volatility_available) in.sigma = sigma;
  }
  in.horizon_hours = static_cast<double>(horizon_hours);
  return decision::size_position(in, options);
}

nlohmann::json uncertainty_json(const PredictionSnapshot& snapshot) {
  std::vector<double> p;
  for (const ModelPrediction& m : snapshot.models) p.push_back(m.probability);
  return {{"memberSpread", p.empty() ? nlohmann::json() : decision::member_spread(p).to_json()}};
}

}  // namespace tbml
