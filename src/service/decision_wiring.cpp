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

decision::BreakerOptions breaker_options(const DecisionConfig& config, std::size_t horizon) {
  decision::BreakerOptions o;
  o.window = config.breaker_window;
  o.min_outcomes = config.breaker_min_outcomes;
  o.accuracy_floor = config.accuracy_floor;
  o.skill_floor = config.skill_floor;
  o.ensemble_skill_floor = config.ensemble_skill_floor;
  o.horizon = horizon;
  return o;
}

decision::SignalMonitorOptions monitor_options(const DecisionConfig& config) {
  decision::SignalMonitorOptions o;
  o.share_bound = config.share_bound;
  o.tolerance = config.share_tolerance;
  o.short_window_ms = static_cast<std::int64_t>(config.window_hours) * 3600 * 1000;
  o.long_window_ms = static_cast<std::int64_t>(config.long_window_hours) * 3600 * 1000;
  o.min_resolved = config.min_resolved;
  return o;
}

decision::RetrainCheck retrain_check(int version, const TrainingReport& report) {
  decision::RetrainCheck c;
  c.version = version;
  c.data_to = report.data_to;
  c.test_samples = report.test.samples;
  c.test_accuracy = report.test.accuracy;
  c.test_brier = report.test.brier;
  c.test_base_rate = report.test.base_rate;
  return c;
}

std::vector<decision::ResolvedOutcome> member_outcomes(const std::vector<ResolvedPrediction>& window,
                                                       const std::string& model,
                                                       const decision::ServedHistory& history) {
  std::vector<decision::ResolvedOutcome> out;
  for (const ResolvedPrediction& r : window) {
    auto p = r.prediction.models.find(model);
    if (p == r.prediction.models.end()) continue;
    const std::optional<double> base = history.base_rate_at(r.prediction.candle_ts);
    if (!base) continue;
    out.push_back(decision::ResolvedOutcome{r.prediction.candle_ts, p->second, r.outcome == 1, *base});
  }
  return out;
}

double served_agreement(const PredictionSnapshot& snapshot, double served_probability) {
  if (snapshot.models.empty()) return 0.0;
  std::size_t same = 0;
  for (const ModelPrediction& m : snapshot.models) same += (m.probability > 0.5) == (served_probability > 0.5);
  return static_cast<double>(same) / static_cast<double>(snapshot.models.size());
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

nlohmann::json uncertainty_json(const PredictionSnapshot& snapshot, double level) {
  std::vector<double> p;
  nlohmann::json mc = nlohmann::json::object();
  for (const ModelPrediction& m : snapshot.models) {
    p.push_back(m.probability);
    if (!m.samples.empty()) {
      nlohmann::json j = decision::sample_interval(m.samples, level).to_json();
      j["costUs"] = m.samples_us;
      mc[m.model] = std::move(j);
    }
  }
  return {{"memberSpread", p.empty() ? nlohmann::json() : decision::member_spread(p).to_json()}, {"mcDropout", mc}};
}

}  // namespace tbml
