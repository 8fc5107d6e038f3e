#include "tbml/training/model_lifecycle.h"

#include <algorithm>

#include "tbml/features/feature_pipeline.h"
#include "tbml/models/acceptance.h"
#include "tbml/util/logging.h"
#include "tbml/util/time.h"

namespace tbml {

int priority_of(JobReason reason, bool default_horizon) {
  // Steps of 5 between reasons leave room for the horizon's -1 without reordering the reasons.
  const int other_horizon = default_horizon ? 0 : 1;
  switch (reason) {
    case JobReason::kRebuild: return 30 - other_horizon;
    case JobReason::kManual: return 20 - other_horizon;
    case JobReason::kRetry: return 15 - other_horizon;
    case JobReason::kAutoNoModel: return 10 - other_horizon;
    case JobReason::kPeriodic: return 0 - other_horizon;
  }
  return 0;
}

namespace {

std::string queued_message(JobReason reason, const std::string& job_id) {
  switch (reason) {
    case JobReason::kRebuild:
      return "rebuild for " + std::to_string(FeaturePipeline::width()) + " features (" + job_id + ")";
    case JobReason::kManual: return "queued by request (" + job_id + ")";
    case JobReason::kAutoNoModel: return "queued automatically: no trained model yet (" + job_id + ")";
    case JobReason::kPeriodic: return "periodic retraining (" + job_id + ")";
    case JobReason::kRetry: return "retry (" + job_id + ")";
  }
  return job_id;
}

// Records how the run ended and answers the queue with the job status of the same outcome: the model's
// state and the job's status come from one event (models/version_state.h).
JobResult settle(ModelRegistry& reg, const TrainingJob& job, TrainingRun run) {
  JobResult result{job_status_of(run.outcome), run.reason};
  reg.record_run(job.pair, job.type, std::move(run));
  return result;
}

}  // namespace

ModelLifecycle::ModelLifecycle(LifecycleOptions options, std::map<std::size_t, ModelRegistry*> registries,
                               LifecycleHooks hooks)
    : options_(std::move(options)), registries_(std::move(registries)), hooks_(std::move(hooks)) {
  if (!hooks_.series || !hooks_.candles) throw std::invalid_argument("model lifecycle: series hooks are required");
  if (!registries_.count(options_.train.horizon) || !registries_.at(options_.train.horizon))
    throw std::invalid_argument("model lifecycle: no registry for the default horizon");
  horizons_.push_back(options_.train.horizon);
  for (const auto& [h, r] : registries_) {
    if (!r || h == 0) throw std::invalid_argument("model lifecycle: a horizon needs a registry and h > 0");
    if (h != options_.train.horizon) horizons_.push_back(h);
  }
  queue_ = std::make_unique<TrainingQueue>(options_.queue,
                                           [this](const TrainingJob& job, JobContext& ctx) { return run(job, ctx); });
}

ModelLifecycle::~ModelLifecycle() { stop(std::chrono::milliseconds(0)); }

void ModelLifecycle::stop(std::chrono::milliseconds deadline) { queue_->stop(deadline); }

ModelRegistry& ModelLifecycle::registry(std::size_t horizon) const {
  auto it = registries_.find(horizon);
  if (it == registries_.end())
    throw std::invalid_argument("model lifecycle: horizon " + std::to_string(horizon) + " is not configured");
  return *it->second;
}

const MemberSpec* ModelLifecycle::member(ModelType type) const {
  for (const auto& m : options_.members)
    if (m.type == type) return &m;
  return nullptr;
}

EnqueueResult ModelLifecycle::request_training(const std::string& pair, ModelType type, JobReason reason,
                                               const TrainingOverrides& overrides, std::size_t horizon) {
  if (horizon == 0) horizon = default_horizon();
  ModelRegistry& reg = registry(horizon);
  EnqueueRequest req;
  req.pair = pair;
  req.type = type;
  req.horizon = horizon;
  req.priority = priority_of(reason, horizon == default_horizon());
  req.overrides = overrides;
  req.reason = reason;
  EnqueueResult r = queue_->enqueue(req);
  // A deduplicated request joins a job that already set the state; a periodic retrain leaves a
  // serving model's state alone (it keeps serving while the candidate trains).
  if (r.outcome == EnqueueOutcome::kQueued && reason != JobReason::kPeriodic)
    reg.apply(pair, type, VersionEvent::kQueued, queued_message(reason, r.job_id));
  return r;
}

void ModelLifecycle::ensure_models(const std::string& pair) {
  if (hooks_.candles(pair) < options_.min_candles) return;
  for (std::size_t h : horizons_) {
    // One status read answers both questions per member: is one serving, is one queued or training.
    for (const auto& s : registry(h).status(pair)) {
      if (!member(s.type)) continue;
      if (s.trained || s.state == ModelState::kQueued || s.state == ModelState::kTraining) continue;
      auto r = request_training(pair, s.type, JobReason::kAutoNoModel, {}, h);
      if (r.outcome == EnqueueOutcome::kQueued)
        get_logger("lifecycle")->info("{} {} h={}: queued for training ({})", pair, to_string(s.type), h, r.job_id);
    }
  }
}

void ModelLifecycle::periodic(const std::string& pair, std::chrono::milliseconds interval) {
  if (interval.count() <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(periodic_mutex_);
    auto [it, fresh] = last_periodic_.emplace(pair, now);
    if (fresh || now - it->second < interval) return;
    it->second = now;
  }
  for (std::size_t h : horizons_)
    for (const auto& m : options_.members)
      if (registry(h).get(pair, m.type)) request_training(pair, m.type, JobReason::kPeriodic, {}, h);
}

bool ModelLifecycle::cancel(const std::string& job_id) {
  const std::optional<TrainingJob> job = queue_->job(job_id);
  if (!job || !queue_->cancel(job_id)) return false;
  const std::size_t horizon = job->horizon ? job->horizon : default_horizon();
  if (job->status == JobStatus::kQueued && registries_.count(horizon))
    registry(horizon).apply(job->pair, job->type, VersionEvent::kCancelled, "cancelled while queued (" + job_id + ")");
  return true;
}

std::size_t ModelLifecycle::cancel_pair(const std::string& pair, std::optional<std::size_t> horizon) {
  return queue_->cancel_pair(pair, horizon);
}

TrainOptions ModelLifecycle::options_for(const TrainingJob& job, const MemberSpec& spec) const {
  TrainOptions to = options_.train;
  to.epochs = job.overrides.epochs.value_or(to.epochs);
  to.batch_size = job.overrides.batch_size.value_or(to.batch_size);
  to.learning_rate = job.overrides.learning_rate.value_or(to.learning_rate);
  to.patience = job.overrides.patience.value_or(to.patience);
  to.architecture = spec.architecture;
  to.horizon = job.horizon ? job.horizon : options_.train.horizon;
  return to;
}

JobResult ModelLifecycle::run(const TrainingJob& job, JobContext& ctx) {
  auto log = get_logger("lifecycle");
  const std::string name = to_string(job.type);
  const MemberSpec* spec = member(job.type);
  if (!spec) return JobResult{JobStatus::kFailed, name + " is not an enabled member"};
  const std::size_t horizon = job.horizon ? job.horizon : default_horizon();
  if (!registries_.count(horizon))
    return JobResult{JobStatus::kFailed, "horizon " + std::to_string(horizon) + " is not configured"};
  ModelRegistry& reg = registry(horizon);
  const std::size_t have = hooks_.candles(job.pair);
  if (have < options_.min_candles) {
    const std::string msg = "not enough data: " + std::to_string(have) + " candles, need " +
                            std::to_string(options_.min_candles);
    return settle(reg, job, TrainingRun{RunOutcome::kFailed, msg, std::nullopt, 0, 0});
  }
  std::optional<Series> series = hooks_.series(job.pair, options_.max_candles);
  if (!series) return settle(reg, job, TrainingRun{RunOutcome::kFailed, "unknown pair " + job.pair, std::nullopt, 0, 0});
  reg.apply(job.pair, job.type, VersionEvent::kStarted, "training (" + job.id + ")");

  const TrainOptions to = options_for(job, *spec);
  ServingModel incumbent = reg.serving(job.pair, job.type);
  TrainControl control;
  control.cancelled = [&ctx] { return ctx.cancelled(); };
  control.on_epoch = [&ctx](const EpochProgress& p) {
    ctx.progress(p.epoch, p.epochs, p.validation_loss, p.train_loss);
  };
  control.incumbent = incumbent.model;

  LifecycleRun rec;
  rec.pair = job.pair;
  rec.model = name;
  rec.started_at = now_ms();
  rec.config = {{"epochs", to.epochs},         {"batchSize", to.batch_size},
                {"learningRate", to.learning_rate}, {"patience", to.patience},
                {"seed", to.seed},             {"sequenceLength", to.sequence_length},
                {"horizon", to.horizon},       {"architecture", to.architecture},
                {"target", spec->target},      {"candles", series->size()},
                {"jobId", job.id},             {"reason", to_string(job.reason)}};
  auto finish = [&](const std::string& result, const std::string& reason, const nlohmann::json& metrics,
                    int version) {
    rec.finished_at = now_ms();
    rec.duration_s = static_cast<double>(rec.finished_at - rec.started_at) / 1000.0;
    rec.result = result;
    rec.reason = reason;
    rec.metrics = metrics;
    rec.version = version;
    if (hooks_.record) hooks_.record(rec);
  };

  TrainResult result;
  try {
    result = train_model(job.type, *series, to, control);
  } catch (const TrainingCancelled&) {
    const JobResult settled = settle(reg, job, TrainingRun{RunOutcome::kCancelled, "cancelled", std::nullopt, 0, 0});
    finish("cancelled", "cancelled", nlohmann::json::object(), 0);
    return settled;
  } catch (const std::exception& e) {
    const std::string msg = std::string("training failed: ") + e.what();
    const JobResult settled = settle(reg, job, TrainingRun{RunOutcome::kFailed, msg, std::nullopt, 0, 0});
    finish("failed", msg, nlohmann::json::object(), 0);
    log->error("{} {}: {}", job.pair, name, msg);
    return settled;
  }

  const AcceptanceDecision decision =
      decide_replacement(result.report, result.incumbent_test, incumbent.model != nullptr, result.report.edge);
  nlohmann::json metrics = result.report.to_json();
  if (result.incumbent_test) metrics["incumbentTest"] = result.incumbent_test->to_json();
  int version = reg.next_version(job.pair, job.type);
  if (!decision.accept) {
    const JobResult settled = settle(reg, job, TrainingRun{RunOutcome::kRejected, decision.reason, result.report, version, 0});
    finish("rejected", decision.reason, metrics, 0);
    log->info("{} {} h={}: candidate rejected: {}", job.pair, name, horizon, decision.reason);
    if (hooks_.settled) hooks_.settled(job.pair, horizon);
    return settled;
  }
  if (hooks_.save) {
    try {
      version = std::max(version, hooks_.save(job.pair, name, horizon, export_model(*result.model)));
      if (hooks_.save_problem) hooks_.save_problem("");
    } catch (const std::exception& e) {
      // The model still serves from memory; health shows the storage problem.
      log->error("{} {}: saving the model failed: {}", job.pair, name, e.what());
      if (hooks_.save_problem) hooks_.save_problem(std::string("model save failed: ") + e.what());
    }
  }
  reg.publish(job.pair, job.type, result.model, version);
  const JobResult settled = settle(reg, job, TrainingRun{RunOutcome::kAccepted, decision.reason, result.report, version, 0});
  finish("accepted", decision.reason, metrics, version);
  log->info("{} {} h={} v{} serving: test accuracy {:.3f}, Brier {:.4f} (base rate {:.3f}, edge {}); {} epochs in {:.1f} s",
            job.pair, name, horizon, version, result.report.test.accuracy, result.report.test.brier,
            result.report.test.base_rate, result.report.edge ? to_string(result.report.edge->verdict) : "unknown",
            result.report.epochs_run, result.report.wall_seconds);
  if (hooks_.settled) hooks_.settled(job.pair, horizon);
  return settled;
}

}  // namespace tbml
