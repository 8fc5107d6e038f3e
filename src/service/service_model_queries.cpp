// The JSON bodies of the training, model and ensemble routes (read published state; queue training through the lifecycle).
#include <chrono>
#include <cmath>
#include <sstream>

#include "service_impl.h"
#include "tbml/ensemble/prediction_json.h"
#include "tbml/features/feature_pipeline.h"
#include "tbml/service/api_error.h"
#include "tbml/util/time.h"

namespace tbml {

namespace {

// A POST's horizon: the query parameter or the body field "horizon" (a positive integer or its digits),
// taken out of the body so the rest of it is validated as before. Both given and different: one error.
std::optional<std::string> take_horizon(const std::optional<std::string>& query, nlohmann::json& body,
                                        BodyErrors& errors) {
  if (!body.is_object() || !body.contains("horizon")) return query;
  const nlohmann::json v = body["horizon"];
  body.erase("horizon");
  std::string raw;
  if (v.is_number_unsigned()) raw = std::to_string(v.get<std::uint64_t>());
  else if (v.is_string()) raw = v.get<std::string>();
  else raw = v.dump();  // rejected by require_horizon, which names the valid ones
  if (query && *query != raw) {
    errors.push_back("horizon is given as " + query->substr(0, 40) + " in the query and as " + raw.substr(0, 40) +
                     " in the body");
    return query;
  }
  return raw;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Training

Reply Service::train(const std::string& pair, const std::optional<std::string>& model_type,
                     const nlohmann::json& raw_body, const std::optional<std::string>& raw_horizon) {
  Impl& d = *impl_;
  d.require_pair(pair);
  nlohmann::json body = raw_body;
  BodyErrors errors;
  const std::optional<std::string> named = take_horizon(raw_horizon, body, errors);
  TrainingOverridesRequest parsed = parse_training_overrides(body);
  errors.insert(errors.end(), parsed.errors.begin(), parsed.errors.end());
  require_valid_body(errors);
  const TrainingOverrides& overrides = parsed.overrides;
  const std::size_t horizon = d.requested_track(named).horizon();
  std::vector<ModelType> types;
  if (model_type) {
    ModelType t = require_model_type(*model_type);
    if (std::find(d.enabled.begin(), d.enabled.end(), t) == d.enabled.end())
      throw bad_request("Model type '" + to_string(t) + "' is not enabled (ml.enabledModels)");
    types.push_back(t);
  } else {
    types = d.enabled;
  }
  nlohmann::json jobs = nlohmann::json::array();
  bool any = false;
  for (ModelType t : types) {
    auto r = d.lifecycle->request_training(pair, t, JobReason::kManual, overrides, horizon);
    nlohmann::json j = r.to_json();
    j["modelType"] = to_string(t);
    j["horizon"] = horizon;
    jobs.push_back(j);
    any = any || r.ok();
  }
  if (!any)
    throw unavailable("Training not queued", jobs.front().value("message", "the training queue refused the job"),
                      {{"jobs", jobs}});
  return Reply::of({{"pair", pair}, {"horizon", horizon}, {"jobs", jobs}, {"overrides", overrides.to_json()},
                     {"message", "Training queued"}, {"timestamp", now_ms()}}, 202);
}

Reply Service::training_queue() const {
  nlohmann::json body = impl_->lifecycle->queue().snapshot().to_json();
  body["timestamp"] = now_ms();
  return Reply::of(std::move(body));
}

Reply Service::cancel_job(const std::string& id) {
  if (id.size() > 64) throw bad_request("Invalid job id");
  if (!impl_->lifecycle->queue().job(id)) throw not_found("Job not found", "No training job " + id, {{"id", id}});
  if (!impl_->lifecycle->cancel(id))
    throw ApiError(409, "Job finished", "Training job " + id + " has already finished", {{"id", id}});
  return Reply::of({{"id", id}, {"cancelled", true}, {"timestamp", now_ms()}});
}

Reply Service::model_status(const std::string& pair, const std::optional<std::string>& horizon) const {
  impl_->require_pair(pair);
  const HorizonTrack& t = impl_->requested_track(horizon);
  nlohmann::json body = t.registry.status_json(pair);
  body["horizon"] = t.horizon();
  // Each model's circuit breaker: state, reason and the realised numbers it judged (docs/decision.md).
  if (body.contains("models") && body["models"].is_object())
    for (auto it = body["models"].begin(); it != body["models"].end(); ++it)
      it.value()["breaker"] = t.guard->model_json(pair, it.key());
  body["enabledModels"] = impl_->enabled_names();
  body["featureCount"] = FeaturePipeline::width();
  body["featureVersion"] = FeaturePipeline::version();
  if (t.volatility) {
    nlohmann::json st = t.volatility->status(pair);
    st.erase("report");  // the full report is in /compare
    body["volatility"] = st;
  }
  body["timestamp"] = now_ms();
  return Reply::of(std::move(body));
}

Reply Service::rebuild(const std::string& pair, const nlohmann::json& raw_body,
                       const std::optional<std::string>& raw_horizon) {
  Impl& d = *impl_;
  d.require_pair(pair);
  nlohmann::json body = raw_body;
  BodyErrors errors;
  const std::optional<std::string> named = take_horizon(raw_horizon, body, errors);
  require_valid_body(errors);
  // Every horizon unless one is named; the default horizon's jobs go first (lifecycle priority).
  std::vector<std::size_t> horizons = d.lifecycle->horizons();
  if (named) horizons = {d.requested_track(named).horizon()};
  std::size_t cancelled = named ? d.lifecycle->cancel_pair(pair, horizons.front()) : d.lifecycle->cancel_pair(pair);
  nlohmann::json jobs = nlohmann::json::array();
  for (std::size_t h : horizons) {
    HorizonTrack& track = d.track(h);
    track.registry.clear(pair);
    track.snapshots.erase(pair);
    if (track.volatility) {
      track.volatility->drop(pair);
      track.volatility->request(pair);
    }
    for (ModelType t : d.enabled) {
      auto r = d.lifecycle->request_training(pair, t, JobReason::kRebuild, {}, h);
      nlohmann::json j = r.to_json();
      j["modelType"] = to_string(t);
      j["horizon"] = h;
      jobs.push_back(j);
    }
  }
  return Reply::of({{"pair", pair},
                     {"horizons", horizons},
                     {"featureCount", FeaturePipeline::width()},
                     {"featureVersion", FeaturePipeline::version()},
                     {"cancelledJobs", cancelled},
                     {"jobs", jobs},
                     {"message", "Models dropped and queued for retraining"},
                     {"timestamp", now_ms()}}, 202);
}

// ---------------------------------------------------------------------------------------------------
// Ensemble

Reply Service::ensemble_stats(const std::string& pair, const std::optional<std::string>& horizon) const {
  Impl& d = *impl_;
  d.require_pair(pair);
  const HorizonTrack& t = d.requested_track(horizon);
  PairEnsembleView s = d.ensemble_view(pair, t);
  EnsembleStatsView v;
  v.pair = pair;
  v.strategy = s.strategy;
  v.weights = s.decision;
  v.configured_weights = s.configured;
  v.auto_update = d.cfg.ensemble.auto_update_weights;
  v.min_outcomes = d.cfg.ensemble.min_outcomes;
  v.stats = t.tracker.stats(pair, s.strategy);
  v.snapshot = t.snapshots.get(pair);
  nlohmann::json body = ensemble_stats_json(v);
  body["horizon"] = t.horizon();
  // The circuit breakers and the signal monitor of this horizon (docs/decision.md).
  body["breaker"] = t.guard->ensemble_json(pair);
  body["memberBreakers"] = t.guard->members_json(pair);
  body["signals"] = t.guard->signals_json(pair);
  if (s.stacked) {
    body["stacked"] = {{"fitted", s.stacked->model.has_value()},
                       {"reason", s.stacked->reason},
                       {"model", s.stacked->model ? s.stacked->model->to_json() : nlohmann::json(nullptr)}};
  }
  // Realised skill of the served volatility forecasts: QLIKE against EWMA's on the same candles, coverage.
  if (t.volatility) body["volatility"] = {{"realised", t.volatility->realised(pair)}, {"model", t.volatility->status(pair)}};
  return Reply::of(std::move(body));
}

Reply Service::model_compare(const std::string& pair, const std::optional<std::string>& horizon) const {
  Impl& d = *impl_;
  d.require_pair(pair);
  const HorizonTrack& t = d.requested_track(horizon);
  PairEnsembleView s = d.ensemble_view(pair, t);
  ModelCompareView v;
  v.pair = pair;
  v.strategy = s.strategy;
  v.weights = s.decision.weights;
  v.stats = t.tracker.stats(pair, s.strategy);
  v.snapshot = t.snapshots.get(pair);
  v.options.signal_threshold = d.cfg.ensemble.signal_threshold;
  nlohmann::json body = models_compare_json(v);
  body["horizon"] = t.horizon();
  // The volatility candidates side by side on the served model's unseen test part, and what is served.
  if (t.volatility) {
    const nlohmann::json st = t.volatility->status(pair);
    const nlohmann::json& rep = st["report"];
    body["volatility"] = {{"served", st["served"]},
                          {"state", st["state"]},
                          {"horizon", st["horizon"]},
                          {"candidates", rep.is_object() && rep.contains("candidates") ? rep["candidates"] : nlohmann::json(nullptr)},
                          {"skillVsEwma", rep.is_object() && rep.contains("skillVsEwma") ? rep["skillVsEwma"] : nlohmann::json(nullptr)},
                          {"comparisons", rep.is_object() && rep.contains("comparisons") ? rep["comparisons"] : nlohmann::json(nullptr)},
                          {"reason", st["reason"]},
                          {"realised", t.volatility->realised(pair)}};
  }
  // Held-out metrics from training, next to the realised ones.
  for (const auto& st : t.registry.status(pair)) {
    if (st.info) body["training"][to_string(st.type)] = {{"version", st.version},
                                                         {"test", st.info->report.test.to_json()},
                                                         {"validation", st.info->report.validation.to_json()}};
  }
  return Reply::of(std::move(body));
}

Reply Service::set_weights(const std::string& pair, const nlohmann::json& body) {
  Impl& d = *impl_;
  d.require_pair(pair);
  PairEnsembleView s = d.ensemble_view(pair, d.default_track());
  WeightsRequest req = parse_weights_request(body, d.enabled_names(), s.configured);
  require_valid_body(req.errors, "Invalid weights",
                     {{"validModels", d.enabled_names()}, {"validStrategies", valid_strategy_names()}});
  if (req.weights) d.ensemble_config->set_weights(pair, *req.weights);
  if (req.strategy) d.ensemble_config->set_strategy(pair, *req.strategy);
  for (auto& [h, t] : d.tracks) {
    d.update_dynamic_weights(pair, *t);
    d.recombine(pair, *t);  // the published answers follow the new settings at once, no model runs
  }
  s = d.ensemble_view(pair, d.default_track());
  const std::int64_t now = now_ms();
  d.store(WeightChange{0, pair, now, to_string(s.strategy), s.configured, "set through the API"});
  d.store(KvPut{ensemble_kv_key(pair),
                nlohmann::json{{"weights", s.configured}, {"strategy", to_string(s.strategy)}}.dump(), now});
  if (d.storage) d.storage->flush(std::chrono::seconds(2));
  return Reply::of({{"pair", pair},
          {"weights", s.configured},
          {"strategy", to_string(s.strategy)},
          {"effectiveWeights", s.decision.weights},
          {"weightReason", s.decision.reason},
          {"autoUpdateWeights", d.cfg.ensemble.auto_update_weights},
          {"timestamp", now_ms()}});
}


}  // namespace tbml
