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

// ---------------------------------------------------------------------------------------------------
// Training

Reply Service::train(const std::string& pair, const std::optional<std::string>& model_type,
                     const nlohmann::json& body) {
  Impl& d = *impl_;
  d.require_pair(pair);
  std::vector<ModelType> types;
  if (model_type) {
    ModelType t = require_model_type(*model_type);
    if (std::find(d.enabled.begin(), d.enabled.end(), t) == d.enabled.end())
      throw bad_request("Model type '" + to_string(t) + "' is not enabled (ml.enabledModels)");
    types.push_back(t);
  } else {
    types = d.enabled;
  }
  TrainingOverrides overrides;
  try {
    overrides = TrainingOverrides::from_json(body);
  } catch (const std::invalid_argument& e) {
    throw bad_request(e.what());
  }
  nlohmann::json jobs = nlohmann::json::array();
  bool any = false;
  for (ModelType t : types) {
    auto r = d.lifecycle->request_training(pair, t, JobReason::kManual, overrides);
    nlohmann::json j = r.to_json();
    j["modelType"] = to_string(t);
    jobs.push_back(j);
    any = any || r.ok();
  }
  if (!any)
    throw unavailable("Training not queued", jobs.front().value("message", "the training queue refused the job"),
                      {{"jobs", jobs}});
  return Reply{202, {{"pair", pair}, {"jobs", jobs}, {"overrides", overrides.to_json()},
                     {"message", "Training queued"}, {"timestamp", now_ms()}}};
}

nlohmann::json Service::training_queue() const {
  nlohmann::json body = impl_->lifecycle->queue().snapshot().to_json();
  body["timestamp"] = now_ms();
  return body;
}

Reply Service::cancel_job(const std::string& id) {
  if (id.size() > 64) throw bad_request("Invalid job id");
  if (!impl_->lifecycle->queue().job(id)) throw not_found("Job not found", "No training job " + id, {{"id", id}});
  if (!impl_->lifecycle->queue().cancel(id))
    throw ApiError(409, "Job finished", "Training job " + id + " has already finished", {{"id", id}});
  return Reply{200, {{"id", id}, {"cancelled", true}, {"timestamp", now_ms()}}};
}

nlohmann::json Service::model_status(const std::string& pair) const {
  impl_->require_pair(pair);
  nlohmann::json body = impl_->registry.status_json(pair);
  body["enabledModels"] = impl_->enabled_names();
  body["featureCount"] = FeaturePipeline::width();
  body["featureVersion"] = FeaturePipeline::version();
  if (impl_->volatility) {
    nlohmann::json st = impl_->volatility->status(pair);
    st.erase("report");  // the full report is in /compare
    body["volatility"] = st;
  }
  body["timestamp"] = now_ms();
  return body;
}

Reply Service::rebuild(const std::string& pair) {
  Impl& d = *impl_;
  d.require_pair(pair);
  std::size_t cancelled = d.lifecycle->cancel_pair(pair);
  d.registry.clear(pair);
  d.snapshots.erase(pair);
  if (d.volatility) {
    d.volatility->drop(pair);
    d.volatility->request(pair);
  }
  nlohmann::json jobs = nlohmann::json::array();
  for (ModelType t : d.enabled) {
    auto r = d.lifecycle->request_training(pair, t, JobReason::kRebuild);
    nlohmann::json j = r.to_json();
    j["modelType"] = to_string(t);
    jobs.push_back(j);
  }
  return Reply{202, {{"pair", pair},
                     {"featureCount", FeaturePipeline::width()},
                     {"featureVersion", FeaturePipeline::version()},
                     {"cancelledJobs", cancelled},
                     {"jobs", jobs},
                     {"message", "Models dropped and queued for retraining"},
                     {"timestamp", now_ms()}}};
}

// ---------------------------------------------------------------------------------------------------
// Ensemble

nlohmann::json Service::ensemble_stats(const std::string& pair) const {
  Impl& d = *impl_;
  d.require_pair(pair);
  PairEnsembleView s = d.ensemble_view(pair);
  EnsembleStatsView v;
  v.pair = pair;
  v.strategy = s.strategy;
  v.weights = s.decision;
  v.configured_weights = s.configured;
  v.auto_update = d.cfg.ensemble.auto_update_weights;
  v.min_outcomes = d.cfg.ensemble.min_outcomes;
  v.stats = d.tracker.stats(pair, s.strategy);
  v.snapshot = d.snapshots.get(pair);
  v.options.signal_threshold = d.cfg.ensemble.signal_threshold;
  nlohmann::json body = ensemble_stats_json(v);
  if (s.stacked) {
    body["stacked"] = {{"fitted", s.stacked->model.has_value()},
                       {"reason", s.stacked->reason},
                       {"model", s.stacked->model ? s.stacked->model->to_json() : nlohmann::json(nullptr)}};
  }
  // Realised skill of the served volatility forecasts: QLIKE against EWMA's on the same candles, coverage.
  if (d.volatility) body["volatility"] = {{"realised", d.volatility->realised(pair)}, {"model", d.volatility->status(pair)}};
  return body;
}

nlohmann::json Service::model_compare(const std::string& pair) const {
  Impl& d = *impl_;
  d.require_pair(pair);
  PairEnsembleView s = d.ensemble_view(pair);
  ModelCompareView v;
  v.pair = pair;
  v.strategy = s.strategy;
  v.weights = s.decision.weights;
  v.stats = d.tracker.stats(pair, s.strategy);
  v.snapshot = d.snapshots.get(pair);
  v.options.signal_threshold = d.cfg.ensemble.signal_threshold;
  nlohmann::json body = models_compare_json(v);
  // The volatility candidates side by side on the served model's unseen test part, and what is served.
  if (d.volatility) {
    const nlohmann::json st = d.volatility->status(pair);
    const nlohmann::json& rep = st["report"];
    body["volatility"] = {{"served", st["served"]},
                          {"state", st["state"]},
                          {"horizon", st["horizon"]},
                          {"candidates", rep.is_object() && rep.contains("candidates") ? rep["candidates"] : nlohmann::json(nullptr)},
                          {"skillVsEwma", rep.is_object() && rep.contains("skillVsEwma") ? rep["skillVsEwma"] : nlohmann::json(nullptr)},
                          {"comparisons", rep.is_object() && rep.contains("comparisons") ? rep["comparisons"] : nlohmann::json(nullptr)},
                          {"reason", st["reason"]},
                          {"realised", d.volatility->realised(pair)}};
  }
  // Held-out metrics from training, next to the realised ones.
  for (const auto& st : d.registry.status(pair)) {
    if (st.info) body["training"][to_string(st.type)] = {{"version", st.version},
                                                         {"test", st.info->report.test.to_json()},
                                                         {"validation", st.info->report.validation.to_json()}};
  }
  return body;
}

nlohmann::json Service::set_weights(const std::string& pair, const nlohmann::json& body) {
  Impl& d = *impl_;
  d.require_pair(pair);
  PairEnsembleView s = d.ensemble_view(pair);
  WeightsRequest req = parse_weights_request(body, d.enabled_names(), s.configured);
  if (!req.ok()) {
    std::string msg;
    for (const auto& e : req.errors) msg += (msg.empty() ? "" : "; ") + e;
    throw ApiError(400, "Invalid weights", msg, {{"errors", req.errors}, {"validModels", d.enabled_names()},
                                                 {"validStrategies", valid_strategy_names()}});
  }
  if (req.weights) d.ensemble_config->set_weights(pair, *req.weights);
  if (req.strategy) d.ensemble_config->set_strategy(pair, *req.strategy);
  d.update_dynamic_weights(pair);
  s = d.ensemble_view(pair);
  const std::int64_t now = now_ms();
  d.store(WeightChange{0, pair, now, to_string(s.strategy), s.configured, "set through the API"});
  d.store(KvPut{ensemble_kv_key(pair),
                nlohmann::json{{"weights", s.configured}, {"strategy", to_string(s.strategy)}}.dump(), now});
  if (d.storage) d.storage->flush(std::chrono::seconds(2));
  return {{"pair", pair},
          {"weights", s.configured},
          {"strategy", to_string(s.strategy)},
          {"effectiveWeights", s.decision.weights},
          {"weightReason", s.decision.reason},
          {"autoUpdateWeights", d.cfg.ensemble.auto_update_weights},
          {"timestamp", now_ms()}};
}


}  // namespace tbml
