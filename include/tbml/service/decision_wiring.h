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
#include "tbml/decision/circuit_breaker.h"
#include "tbml/decision/served_history.h"
#include "tbml/decision/signal_monitor.h"
#include "tbml/decision/sizing.h"
#include "tbml/ensemble/ensemble_decision.h"
#include "tbml/ensemble/outcome_tracker.h"
#include "tbml/models/model.h"

namespace tbml {

decision::SizingOptions sizing_options(const DecisionConfig& config);
// decision.breaker.* with the track's horizon (sets the bootstrap block).
decision::BreakerOptions breaker_options(const DecisionConfig& config, std::size_t horizon);
// decision.signals.* (hours to ms).
decision::SignalMonitorOptions monitor_options(const DecisionConfig& config);

// What a serving model's training report says on its held-out test part, for ModelBreaker::on_retrain.
decision::RetrainCheck retrain_check(int version, const TrainingReport& report);

// A member's resolved predictions in the tracker's window as the breaker reads them: made_at = the
// candle, p = its probability, the outcome, and the base rate served with that candle (from `history`).
// Predictions whose served base rate is unknown (not in the history) are left out: without the
// reference known at the time, the skill would be measured against hindsight.
std::vector<decision::ResolvedOutcome> member_outcomes(const std::vector<ResolvedPrediction>& window,
                                                       const std::string& model,
                                                       const decision::ServedHistory& history);

// Share of the snapshot's members on the side of the served probability (P > 0.5 against not); 0
// without members (the base-rate answer).
double served_agreement(const PredictionSnapshot& snapshot, double served_probability);

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

// The answer's uncertainty object: {"memberSpread": spread of every member's probability (null without a
// member, as in the base-rate answer), "mcDropout": {model: sample_interval(its MC-dropout samples,
// level)} for the members that drew samples (empty object when off or no network serves)}.
nlohmann::json uncertainty_json(const PredictionSnapshot& snapshot, double level = 0.8);

}  // namespace tbml
