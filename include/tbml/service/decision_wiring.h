#pragma once
// The service's wiring of the decision stage (docs/decision.md, "Service wiring"): the option structs
// from Config::decision and the position sizing of a published decision. Pure functions over plain
// inputs, so the rules the service applies are unit-tested without a server.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/config/config.h"
#include "tbml/decision/sizing.h"
#include "tbml/ensemble/ensemble_decision.h"
#include "tbml/ensemble/outcome_tracker.h"

namespace tbml {

decision::SizingOptions sizing_options(const DecisionConfig& config);

// The h-candle log moves log(outcome_close / prediction.close) of the resolved predictions in the
// tracker's window (non-positive closes are skipped).
std::vector<double> window_log_moves(const std::vector<ResolvedPrediction>& window);

// Sizing of the served decision: p_up = its probability, signal = the (gated) signal, edge_real =
// has_edge, calibration_checked = every voting member's flag in `calibration_checked` (false when a
// voting member is missing there, and without voters), moves over the tracker's window, sigma from the
// snapshot's volatility object ({"available": true, "sigma": σ}; anything else: no volatility).
decision::Sizing decision_sizing(const EnsembleDecision& decision, const std::string& signal,
                                 const std::map<std::string, bool>& calibration_checked,
                                 const std::vector<ResolvedPrediction>& window, const nlohmann::json& volatility,
                                 std::size_t horizon_hours, const decision::SizingOptions& options);

// The answer's uncertainty object: {"memberSpread": spread of every member's probability} (null without
// a member, as in the base-rate answer).
nlohmann::json uncertainty_json(const PredictionSnapshot& snapshot);

}  // namespace tbml
