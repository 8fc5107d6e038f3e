#include "tbml/ensemble/prediction_json.h"

#include <set>

#include "tbml/ensemble/ensemble_decision.h"

#include "tbml/util/time.h"

namespace tbml {

using nlohmann::json;

namespace {

std::int64_t or_now(std::int64_t ts) { return ts != 0 ? ts : now_ms(); }

void require_models(const PredictionSnapshot& snapshot) {
  if (snapshot.models.empty() && !snapshot.base_rate_only) {
    throw NoPredictionError("no model produced a prediction for " + snapshot.pair, snapshot.errors);
  }
}

// prediction.metadata of both forms: the snapshot's numbers, then the form's own fields.
json metadata_json(const PredictionSnapshot& snapshot, const json& extra) {
  json m = {{"featureCount", snapshot.feature_count},
            {"horizon", snapshot.horizon},
            {"sequenceLength", snapshot.sequence_length},
            {"dataTimestamp", snapshot.data_timestamp},
            {"computedAt", snapshot.computed_at}};
  m.update(extra);
  return m;
}

// The outer shape shared by the ensemble and individual forms.
json outer(const std::string& pair, json prediction, const std::string& direction, double confidence,
           bool ensemble, json strategy, json single_model, const ResponseMeta& response, std::int64_t ts) {
  json body;
  body["pair"] = pair;
  body["prediction"] = std::move(prediction);
  body["predictions"] = {{"price_direction", direction}, {"confidence", confidence}};
  body["ensemble"] = ensemble;
  body["strategy"] = std::move(strategy);
  body["singleModel"] = std::move(single_model);
  body["timestamp"] = ts;
  body["cached"] = response.cached;
  body["responseTime"] = response.response_time_ms;
  body["stale"] = response.stale;
  return body;
}

}  // namespace

json ensemble_prediction_json(const PredictionSnapshot& snapshot, Strategy strategy, const ResponseMeta& response) {
  require_models(snapshot);
  const EnsembleDecision* combined = snapshot.ensemble.find(strategy);
  if (combined == nullptr) {
    throw NoPredictionError("the ensemble of " + snapshot.pair + " was not combined for strategy " + to_string(strategy),
                            snapshot.errors);
  }
  const EnsembleDecision& d = *combined;
  const WeightMap& weights = snapshot.ensemble.weights;
  const std::string& weight_reason = snapshot.ensemble.weight_reason;
  const std::int64_t ts = or_now(response.timestamp);

  // Every member is listed with its own probability; only members with a real edge carry weight.
  json individual = json::object(), confidences = json::object(), used_weights = json::object(),
       versions = json::object(), edges = json::object();
  for (const auto& m : snapshot.models) {
    individual[m.model] = m.probability;
    confidences[m.model] = confidence_of(m.probability);
    used_weights[m.model] = m.votes() ? weight_for(weights, m.model) : 0.0;
    versions[m.model] = m.version;
    edges[m.model] = member_edge_json(m);
  }

  json ens = {{"strategy", to_string(strategy)},
              {"modelCount", d.voting.size()},
              {"membersShown", snapshot.models.size()},
              {"individualPredictions", std::move(individual)},
              {"individualConfidences", std::move(confidences)},
              {"weights", std::move(used_weights)},
              {"edges", std::move(edges)}};
  if (d.has_edge) {
    const Combined& c = d.combined;
    ens["agreement"] = c.agreement;
    ens["votes"] = {{"up", c.up_votes}, {"down", c.down_votes}, {"neutral", c.neutral_votes}};
    if (strategy == Strategy::kMajority) ens["tie"] = c.tie;
    if (!c.note.empty()) ens["note"] = c.note;
  } else {
    ens["agreement"] = nullptr;
    ens["votes"] = {{"up", 0}, {"down", 0}, {"neutral", 0}};
  }
  if (!snapshot.errors.empty()) ens["errors"] = snapshot.errors;
  if (!d.benched.empty()) {
    json benched = json::object();
    for (const auto& m : snapshot.models)
      if (!m.benched.empty()) benched[m.model] = m.benched;
    ens["benched"] = std::move(benched);
  }
  if (!weight_reason.empty()) ens["weightReason"] = weight_reason;

  json prediction = {{"prediction", d.probability},
                     {"confidence", d.confidence},
                     {"direction", d.direction},
                     {"signal", d.signal},
                     {"source", d.source},
                     {"edge", d.has_edge ? "real" : "none"},
                     {"edgeReason", d.reason},
                     {"baseRate", {{"probability", snapshot.base_rate}, {"windows", snapshot.base_rate_windows}}},
                     {"ensemble", std::move(ens)},
                     {"metadata", metadata_json(snapshot, {{"modelVersions", std::move(versions)}})},
                     {"timestamp", ts},
                     {"type", "ensemble"}};
  json body = outer(snapshot.pair, std::move(prediction), d.direction, d.confidence, true, to_string(strategy),
                    nullptr, response, ts);
  body["edge"] = d.edge_json();
  if (!snapshot.volatility.is_null()) body["volatility"] = snapshot.volatility;
  return body;
}

json individual_prediction_json(const PredictionSnapshot& snapshot, const std::string& model,
                                const ResponseMeta& response, const CombineOptions& options) {
  const ModelPrediction* m = snapshot.find(model);
  if (m == nullptr) {
    auto err = snapshot.errors.find(model);
    if (err != snapshot.errors.end()) {
      throw NoPredictionError("model " + model + " failed for " + snapshot.pair + ": " + err->second,
                              {{model, err->second}});
    }
    throw NoPredictionError("model " + model + " has no prediction for " + snapshot.pair, snapshot.errors);
  }
  const std::int64_t ts = or_now(response.timestamp);
  const double confidence = confidence_of(m->probability);
  const std::string direction = direction_of(m->probability);
  // The model's own calibrated probability, labelled; without a real edge, benched, or while the ensemble
  // breaker holds every signal, it never moves the signal.
  const std::string signal = m->votes() && snapshot.hold_reason.empty()
                                 ? signal_of(m->probability, confidence, options.signal_threshold)
                                 : "HOLD";
  json prediction = {{"prediction", m->probability},
                     {"confidence", confidence},
                     {"direction", direction},
                     {"signal", signal},
                     {"edge", m->has_edge() ? "real" : "none"},
                     {"edgeDetails", member_edge_json(*m)},
                     {"modelType", m->model},
                     {"benched", m->benched.empty() ? json(nullptr) : json(m->benched)},
                     {"metadata", metadata_json(snapshot, {{"modelVersion", m->version}, {"trainedAt", m->trained_at}})},
                     {"timestamp", ts},
                     {"type", "individual"}};
  json body = outer(snapshot.pair, std::move(prediction), direction, confidence, false, nullptr, m->model, response, ts);
  if (!snapshot.volatility.is_null()) body["volatility"] = snapshot.volatility;
  return body;
}

json rolling_stats_json(const RollingStats& s) {
  if (s.count == 0) {
    return {{"count", 0},          {"accuracy", nullptr},      {"brier", nullptr},
            {"logLoss", nullptr},  {"baseRate", nullptr},      {"baselineBrier", nullptr},
            {"meanProbability", nullptr}};
  }
  return {{"count", s.count},       {"accuracy", s.accuracy},          {"brier", s.brier},
          {"logLoss", s.log_loss},  {"baseRate", s.base_rate},         {"baselineBrier", s.baseline_brier},
          {"meanProbability", s.mean_probability}};
}

json ensemble_stats_json(const EnsembleStatsView& v) {
  json models = json::object();
  for (const auto& [name, m] : v.stats.models) {
    json entry = rolling_stats_json(m.realised);
    entry["agreement"] = m.agreement_count ? json(m.agreement) : json(nullptr);
    entry["weight"] = weight_for(v.weights.weights, name);
    models[name] = std::move(entry);
  }
  json by_strategy = json::object();
  for (const auto& [name, s] : v.stats.ensemble) by_strategy[name] = rolling_stats_json(s);
  const std::string strategy = to_string(v.strategy);
  json ensemble = v.stats.ensemble.count(strategy) ? rolling_stats_json(v.stats.ensemble.at(strategy))
                                                   : rolling_stats_json(RollingStats{});
  ensemble["byStrategy"] = std::move(by_strategy);

  json current = nullptr;
  const EnsembleDecision* d = v.snapshot && !v.snapshot->models.empty() ? v.snapshot->ensemble.find(v.strategy) : nullptr;
  if (d != nullptr) {
    current = {{"prediction", d->probability},
               {"direction", d->direction},
               {"signal", d->signal},
               {"agreement", d->has_edge ? json(d->combined.agreement) : json(nullptr)},
               {"modelCount", d->voting.size()},
               {"edge", d->edge_json()},
               {"dataTimestamp", v.snapshot->data_timestamp}};
  }
  return {{"pair", v.pair},
          {"strategy", strategy},
          {"weights", v.weights.weights},
          {"configuredWeights", v.configured_weights},
          {"defaultWeights", default_weights()},
          {"autoUpdateWeights", v.auto_update},
          {"weightsSource", v.weights.dynamic ? "dynamic" : "configured"},
          {"weightReason", v.weights.reason},
          {"minOutcomes", v.min_outcomes},
          {"window", v.stats.window},
          {"models", std::move(models)},
          {"ensemble", std::move(ensemble)},
          {"agreement", current.is_null() ? json(nullptr) : current["agreement"]},
          {"current", std::move(current)},
          {"predictions",
           {{"recorded", v.stats.recorded},
            {"resolved", v.stats.resolved},
            {"pending", v.stats.pending},
            {"replaced", v.stats.replaced},
            {"dropped", v.stats.dropped},
            {"rejected", v.stats.rejected}}},
          {"timestamp", or_now(v.timestamp)}};
}

json models_compare_json(const ModelCompareView& v) {
  std::set<std::string> names;
  for (const auto& [name, m] : v.stats.models) names.insert(name);
  const EnsembleDecision* ens = nullptr;
  if (v.snapshot) {
    for (const auto& m : v.snapshot->models) names.insert(m.model);
    for (const auto& [name, e] : v.snapshot->errors) names.insert(name);
    if (!v.snapshot->models.empty()) ens = v.snapshot->ensemble.find(v.strategy);
  }
  json models = json::object();
  for (const auto& name : names) {
    json entry = json::object();
    const ModelPrediction* m = v.snapshot ? v.snapshot->find(name) : nullptr;
    if (m != nullptr) {
      const double conf = confidence_of(m->probability);
      entry["latest"] = {{"prediction", m->probability},
                         {"confidence", conf},
                         {"direction", direction_of(m->probability)},
                         {"signal", signal_of(m->probability, conf, v.options.signal_threshold)},
                         {"version", m->version},
                         {"trainedAt", m->trained_at},
                         {"inferenceMicros", m->inference_us}};
    } else {
      entry["latest"] = nullptr;
    }
    if (v.snapshot) {
      if (auto e = v.snapshot->errors.find(name); e != v.snapshot->errors.end()) entry["error"] = e->second;
    }
    auto st = v.stats.models.find(name);
    const ModelStats stats = st != v.stats.models.end() ? st->second : ModelStats{};
    entry["realised"] = rolling_stats_json(stats.realised);
    entry["agreesWithEnsemble"] = (m != nullptr && ens != nullptr) ? json(direction_of(m->probability) == ens->direction)
                                                        : json(nullptr);
    entry["realisedAgreement"] = stats.agreement_count ? json(stats.agreement) : json(nullptr);
    entry["weight"] = (m != nullptr && !m->votes()) ? 0.0 : weight_for(v.weights, name);
    if (m != nullptr) entry["edge"] = member_edge_json(*m);
    models[name] = std::move(entry);
  }
  json ensemble = nullptr;
  if (ens != nullptr) {
    ensemble = {{"strategy", to_string(v.strategy)},
                {"prediction", ens->probability},
                {"confidence", ens->confidence},
                {"direction", ens->direction},
                {"signal", ens->signal},
                {"agreement", ens->has_edge ? json(ens->combined.agreement) : json(nullptr)},
                {"edge", ens->edge_json()}};
  }
  const std::string strategy = to_string(v.strategy);
  return {{"pair", v.pair},
          {"strategy", strategy},
          {"dataTimestamp", v.snapshot ? json(v.snapshot->data_timestamp) : json(nullptr)},
          {"ensemble", std::move(ensemble)},
          {"ensembleRealised", v.stats.ensemble.count(strategy) ? rolling_stats_json(v.stats.ensemble.at(strategy))
                                                                : rolling_stats_json(RollingStats{})},
          {"models", std::move(models)},
          {"timestamp", or_now(v.timestamp)}};
}

}  // namespace tbml
