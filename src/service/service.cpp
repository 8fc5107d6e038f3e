// The Service's life cycle and its two pipelines: the candle path (poll → pair state → predictions →
// outcomes → storage) and the training path (queue → trainer → validation → registry swap → storage).
#include "tbml/service/service.h"

#include <algorithm>
#include <filesystem>

#include "service_impl.h"
#include "tbml/ensemble/predictor.h"
#include "tbml/features/feature_pipeline.h"
#include "tbml/market/candle_csv.h"
#include "tbml/models/acceptance.h"
#include "tbml/service/api_error.h"
#include "tbml/sim/core_sim_factory.h"
#include "tbml/training/model_io.h"
#include "tbml/training/trainer.h"
#include "tbml/util/time.h"

namespace tbml {

std::string ensemble_kv_key(const std::string& pair) { return "ensemble." + pair; }

namespace {

// What stop() keeps of its deadline for the WAL checkpoint after the storage writer has given up.
constexpr int kCheckpointMarginMs = 500;

OutcomeTrackerOptions tracker_options(const Config& c) {
  OutcomeTrackerOptions o;
  o.window = c.ensemble.window;
  o.min_outcomes = c.ensemble.min_outcomes;
  o.weight_floor = c.ensemble.weight_floor;
  o.skill_temperature = c.ensemble.skill_temperature;
  return o;
}

}  // namespace

Service::Impl::Impl(ServiceOptions o)
    : options(std::move(o)),
      cfg(options.config),
      market(std::make_shared<MarketData>(options.config.market.buffer_capacity)),
      tracker(tracker_options(options.config)) {
  EnsembleDefaults defaults;
  defaults.strategy = parse_strategy(cfg.ensemble.strategy);
  defaults.weights = cfg.ensemble.weights;
  defaults.auto_update = cfg.ensemble.auto_update_weights;
  ensemble_config = std::make_unique<EnsembleSettings>(defaults);
  for (ModelType t : all_model_types()) {
    const auto& names = cfg.ml.enabled_models;
    if (std::find(names.begin(), names.end(), to_string(t)) != names.end()) enabled.push_back(t);
  }
}

std::vector<std::string> Service::Impl::enabled_names() const {
  std::vector<std::string> out;
  for (ModelType t : enabled) out.push_back(to_string(t));
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Start-up

void Service::Impl::open_storage() {
  StorageOptions so;
  so.base_dir = cfg.storage.base_dir;
  so.max_age_hours = cfg.storage.max_age_hours;
  so.candle_max_age_hours = cfg.storage.candle_max_age_hours;
  so.cleanup_interval = std::chrono::milliseconds(cfg.storage.cleanup_interval_ms);
  so.keep_model_versions = cfg.storage.keep_versions;
  so.writer.flush_interval_ms = cfg.storage.flush_interval_ms;
  so.writer.max_queue = cfg.storage.writer_queue;
  storage = std::make_unique<Storage>(so);
  auto h = storage->health();
  if (h.healthy) {
    log->info("storage at {}", std::filesystem::absolute(cfg.storage.base_dir).string());
  } else {
    log->error("storage problem: {}; the service keeps serving without it", h.reason);
  }
}

void Service::Impl::restore_state() {
  Database* db = storage->db();
  if (!db) return;
  try {
    for (const auto& pair : db->pairs_with_candles()) {
      auto candles = db->load_candles(pair, cfg.market.buffer_capacity);
      auto state = market->get_or_create(pair);
      auto r = state->ingest(candles);
      log->info("restored {} candles for {} from storage", r.added, pair);
      tracker.on_candles(pair, candles, now_ms());
    }
    for (const auto& pair : market->pairs()) {
      // Weights and strategy set through the API (the weight_changes table keeps their history).
      if (auto kv = db->get_kv(ensemble_kv_key(pair))) {
        try {
          auto j = nlohmann::json::parse(*kv);
          if (j.contains("weights") && j["weights"].is_object() && !j["weights"].empty())
            ensemble_config->set_weights(pair, j["weights"].get<WeightMap>());
          if (j.contains("strategy") && j["strategy"].is_string())
            if (auto st = try_parse_strategy(j["strategy"].get<std::string>())) ensemble_config->set_strategy(pair, *st);
        } catch (const std::exception& e) {
          log->warn("{}: stored ensemble settings ignored: {}", pair, e.what());
        }
      }
      update_dynamic_weights(pair);
    }
  } catch (const std::exception& e) {
    log->error("restoring state from storage failed: {}", e.what());
  }
}

void Service::Impl::load_models() {
  ModelStore& model_store = storage->models();
  const auto& names = FeaturePipeline::names();
  for (const auto& entry : model_store.list()) {
    auto type = parse_model_type(entry.type);
    if (!type || std::find(enabled.begin(), enabled.end(), *type) == enabled.end()) continue;
    try {
      auto stored = model_store.load_latest(entry.pair, entry.type);
      if (!stored) continue;
      ModelPtr model = import_model(ModelArtifact{stored->meta, stored->weights});
      const ModelInfo& info = model->info();
      if (info.feature_names != names) {
        log->warn("{} {} v{} was trained on other features ({}); not loaded, it will be retrained",
                  entry.pair, entry.type, stored->version, info.feature_version);
        continue;
      }
      if (info.sequence_length != cfg.ml.sequence_length || info.horizon != cfg.ml.horizon) {
        log->warn("{} {} v{} uses sequence {} / horizon {} but the configuration says {} / {}; retraining",
                  entry.pair, entry.type, stored->version, info.sequence_length, info.horizon,
                  cfg.ml.sequence_length, cfg.ml.horizon);
        continue;
      }
      market->get_or_create(entry.pair);
      registry.publish(entry.pair, *type, model, stored->version);
      log->info("loaded {} {} v{} (test accuracy {:.3f}, Brier {:.4f})", entry.pair, entry.type,
                stored->version, info.report.test.accuracy, info.report.test.brier);
    } catch (const std::exception& e) {
      log->error("model {} {} could not be loaded ({}); it will be retrained", entry.pair, entry.type, e.what());
    }
  }
}

void Service::Impl::start_demo_core() {
  CoreSimOptions so;
  so.seed = cfg.demo.seed;
  so.step_ms = cfg.demo.step_ms;
  // The simulated core serves a longer window than the real one (1440) so that the demo's models have
  // enough history to learn from at start; a real core's history grows in storage over time instead.
  so.window = cfg.demo.window;
  if (!options.demo_csv.empty()) {
    // Replaying files: show min(demo.window, rows - 1) points first, unless demo.initial was
    // set explicitly (its default is sized for the synthetic series, which may be longer than a file).
    if (cfg.demo.initial != builtin_defaults()["demo"]["initial"].get<std::size_t>()) so.initial = cfg.demo.initial;
    for (const auto& [pair, path] : parse_pair_csv_list(options.demo_csv)) so.csv.emplace_back(pair, path);
  } else {
    so.synthetic_pairs = cfg.demo.pairs;
    so.initial = cfg.demo.initial;
  }
  demo_server = std::make_unique<CoreSimServer>(make_core_simulator(so));
  int port = demo_server->start("127.0.0.1", 0);
  log->info("demo: simulated core service on http://127.0.0.1:{} ({} pairs, one candle every {} ms)", port,
            demo_server->simulator()->pairs().size(), cfg.demo.step_ms);
}

void Service::Impl::start_poller() {
  PollerOptions po;
  if (demo_server) {
    po.base_url = "http://127.0.0.1:" + std::to_string(demo_server->port());
    po.auto_pairs = true;
    po.poll_interval_ms = cfg.demo.poll_interval_ms;
  } else {
    po.base_url = cfg.core.url;
    po.auto_pairs = cfg.core.auto_pairs;
    po.pairs = cfg.core.pairs;
    po.poll_interval_ms = cfg.core.poll_interval_ms;
  }
  po.connect_timeout_ms = cfg.core.connect_timeout_ms;
  po.timeout_ms = cfg.core.timeout_ms;
  po.retries = cfg.core.retries;
  po.backoff_ms = cfg.core.backoff_ms;
  po.max_body_bytes = cfg.core.max_body_bytes;
  poller = std::make_unique<Poller>(po, market, [this](const std::string& pair, std::size_t added) {
    on_new_candles(pair, added);
  });
  poller->start();
}

void Service::Impl::start_queue() {
  TrainingQueueOptions qo;
  qo.max_concurrent = static_cast<std::size_t>(cfg.training.max_concurrent);
  qo.max_queued = cfg.training.max_queue;
  qo.cooldown = std::chrono::milliseconds(cfg.training.cooldown_ms);
  qo.max_retries = cfg.training.max_retries;
  qo.worker_nice = cfg.training.niceness;
  queue = std::make_unique<TrainingQueue>(
      qo, [this](const TrainingJob& job, JobContext& ctx) { return run_training_job(job, ctx); });
}

// ---------------------------------------------------------------------------------------------------
// The candle path: runs on the poller thread after each ingest that added candles.

void Service::Impl::on_new_candles(const std::string& pair, std::size_t added) {
  auto state = market->find(pair);
  if (!state) return;
  Series fresh = state->copy_series(added);
  const std::int64_t now = now_ms();
  store(CandleBatch{pair, fresh.candles});

  // Resolve predictions whose horizon has now passed, and let realised skill move the weights.
  auto resolved = tracker.on_candles(pair, fresh.candles, now);
  for (const auto& r : resolved) {
    OutcomeUpdate u;
    u.pair = pair;
    u.candle_ts = r.prediction.candle_ts;
    u.outcome = r.outcome == 1;
    u.resolved_at = r.resolved_at;
    store(u);  // empty model: every model's and the ensemble's prediction for that candle
  }
  if (!resolved.empty()) update_dynamic_weights(pair);

  refresh_prediction(pair, true);
  enqueue_missing_models(pair);
}

SnapshotPtr Service::Impl::refresh_prediction(const std::string& pair, bool record) {
  std::lock_guard lock(predict_mutex);
  auto state = market->find(pair);
  if (!state) return nullptr;
  std::vector<ModelPtr> models;
  std::map<std::string, int> versions;  // the registry's version: a model's own info() predates saving
  for (ModelType t : enabled) {
    ServingModel serving = registry.serving(pair, t);
    if (!serving.model) continue;
    models.push_back(serving.model);
    versions[to_string(t)] = serving.version;
  }
  if (models.empty()) return nullptr;
  const std::size_t rows = cfg.ml.sequence_length;
  const std::size_t width = FeaturePipeline::width();
  std::vector<float> window(rows * width);
  std::int64_t data_ts = 0;
  if (!state->copy_window(rows, window.data(), &data_ts)) return nullptr;
  PredictionMeta meta;
  meta.pair = pair;
  meta.data_timestamp = data_ts;
  meta.horizon = cfg.ml.horizon;
  auto snapshot = std::make_shared<PredictionSnapshot>(run_models(models, window.data(), rows, width, meta));
  for (auto& m : snapshot->models) {
    auto it = versions.find(m.model);
    if (it != versions.end()) m.version = it->second;
  }
  for (const auto& m : snapshot->models) metrics.observe_inference(m.model, m.inference_us / 1e6);
  snapshots.publish(snapshot);

  if (record && !snapshot->models.empty()) {
    auto candle = state->latest_candle();
    PairEnsembleView settings = ensemble_view(pair);
    try {
      if (candle && candle->timestamp == data_ts) {
        tracker.record(tracked_from_snapshot(*snapshot, candle->close, settings.decision.weights));
      }
    } catch (const std::exception& e) {
      log->warn("{}: prediction not tracked: {}", pair, e.what());
    }
    const std::int64_t now = now_ms();
    std::vector<ModelVote> votes;
    for (const auto& m : snapshot->models) {
      PredictionRecord r;
      r.pair = pair;
      r.model = m.model;
      r.strategy = "";
      r.probability = m.probability;
      r.confidence = confidence_of(m.probability);
      r.direction = direction_of(m.probability);
      r.candle_ts = data_ts;
      r.horizon = static_cast<int>(cfg.ml.horizon);
      r.model_version = m.version;
      r.created_at = now;
      store(r);
      votes.push_back(ModelVote{m.model, m.probability, weight_for(settings.decision.weights, m.model)});
    }
    Combined c = combine(votes, settings.strategy);
    PredictionRecord e;
    e.pair = pair;
    e.model = "ensemble";
    e.strategy = to_string(settings.strategy);
    e.probability = c.probability;
    e.confidence = c.confidence;
    e.direction = c.direction;
    e.candle_ts = data_ts;
    e.horizon = static_cast<int>(cfg.ml.horizon);
    e.created_at = now;
    store(e);
  }
  return snapshot;
}

void Service::Impl::enqueue_missing_models(const std::string& pair) {
  if (!cfg.training.auto_train || !queue) return;
  auto state = market->find(pair);
  if (!state || state->size() < cfg.training.min_candles) return;
  // One status read answers both questions per model: is one serving, is one queued or training.
  for (const auto& s : registry.status(pair)) {
    const ModelType t = s.type;
    if (std::find(enabled.begin(), enabled.end(), t) == enabled.end()) continue;
    if (s.trained || s.state == ModelState::kQueued || s.state == ModelState::kTraining) continue;
    EnqueueRequest req;
    req.pair = pair;
    req.type = t;
    req.priority = 10;
    req.reason = JobReason::kAutoNoModel;
    auto r = queue->enqueue(req);
    if (r.outcome == EnqueueOutcome::kQueued) {
      registry.set_state(pair, t, ModelState::kQueued, "queued automatically: no trained model yet");
      log->info("{} {}: queued for training ({})", pair, to_string(t), r.job_id);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Training: runs on a TrainingQueue worker.

JobResult Service::Impl::run_training_job(const TrainingJob& job, JobContext& ctx) {
  const std::string type_name = to_string(job.type);
  auto state = market->find(job.pair);
  if (!state) return JobResult{JobStatus::kFailed, "unknown pair " + job.pair};
  if (state->size() < cfg.training.min_candles) {
    std::string msg = "not enough data: " + std::to_string(state->size()) + " candles, need " +
                      std::to_string(cfg.training.min_candles);
    registry.record_run(job.pair, job.type, TrainingRun{RunOutcome::kFailed, msg, std::nullopt, 0, 0});
    return JobResult{JobStatus::kFailed, msg};
  }
  registry.set_state(job.pair, job.type, ModelState::kTraining, "training (" + job.id + ")");
  Series series = state->copy_series(cfg.training.max_candles);

  TrainOptions to;
  to.epochs = job.overrides.epochs.value_or(cfg.training.epochs);
  to.batch_size = job.overrides.batch_size.value_or(cfg.training.batch_size);
  to.learning_rate = job.overrides.learning_rate.value_or(cfg.training.learning_rate);
  to.patience = job.overrides.patience.value_or(cfg.training.patience);
  to.seed = cfg.training.seed;
  to.sequence_length = cfg.ml.sequence_length;
  to.horizon = cfg.ml.horizon;
  if (cfg.ml.architectures.contains(type_name)) to.architecture = cfg.ml.architectures[type_name];

  ServingModel incumbent = registry.serving(job.pair, job.type);
  TrainControl control;
  control.cancelled = [&ctx] { return ctx.cancelled(); };
  control.on_epoch = [&ctx](const EpochProgress& p) { ctx.progress(p.epoch, p.epochs, p.validation_loss); };
  control.incumbent = incumbent.model;

  const std::int64_t started = now_ms();
  TrainingRunRecord rec;
  rec.pair = job.pair;
  rec.model = type_name;
  rec.started_at = started;
  rec.config = {{"epochs", to.epochs},           {"batchSize", to.batch_size}, {"learningRate", to.learning_rate},
                {"patience", to.patience},       {"seed", to.seed},            {"sequenceLength", to.sequence_length},
                {"horizon", to.horizon},         {"architecture", to.architecture},
                {"candles", series.size()},      {"jobId", job.id},            {"reason", to_string(job.reason)}};
  auto finish = [&](const std::string& result, const std::string& reason, const nlohmann::json& metrics,
                    int version) {
    rec.finished_at = now_ms();
    rec.duration_s = static_cast<double>(rec.finished_at - started) / 1000.0;
    rec.result = result;
    rec.reason = reason;
    rec.metrics = metrics;
    rec.version = version;
    store(rec);
  };

  TrainResult result;
  try {
    result = train_model(job.type, series, to, control);
  } catch (const TrainingCancelled&) {
    registry.record_run(job.pair, job.type, TrainingRun{RunOutcome::kCancelled, "cancelled", std::nullopt, 0, 0});
    finish("cancelled", "cancelled", nlohmann::json::object(), 0);
    return JobResult{JobStatus::kCancelled, "cancelled"};
  } catch (const std::exception& e) {
    std::string msg = std::string("training failed: ") + e.what();
    registry.record_run(job.pair, job.type, TrainingRun{RunOutcome::kFailed, msg, std::nullopt, 0, 0});
    finish("failed", msg, nlohmann::json::object(), 0);
    log->error("{} {}: {}", job.pair, type_name, msg);
    return JobResult{JobStatus::kFailed, msg};
  }

  AcceptanceDecision decision =
      decide_replacement(result.report, result.incumbent_test, incumbent.model != nullptr);
  nlohmann::json metrics = result.report.to_json();
  if (result.incumbent_test) metrics["incumbentTest"] = result.incumbent_test->to_json();
  int version = registry.next_version(job.pair, job.type);
  if (!decision.accept) {
    registry.record_run(job.pair, job.type, TrainingRun{RunOutcome::kRejected, decision.reason, result.report, version, 0});
    finish("rejected", decision.reason, metrics, 0);
    log->info("{} {}: candidate rejected: {}", job.pair, type_name, decision.reason);
    return JobResult{JobStatus::kRejected, decision.reason};
  }
  try {
    ModelArtifact artifact = export_model(*result.model);
    version = std::max(version, storage->models().save(job.pair, type_name, artifact.meta, artifact.weights));
    std::lock_guard lock(storage_mutex);
    model_save_error.clear();
  } catch (const std::exception& e) {
    // The model still serves from memory; health shows the storage problem.
    log->error("{} {}: saving the model failed: {}", job.pair, type_name, e.what());
    std::lock_guard lock(storage_mutex);
    model_save_error = std::string("model save failed: ") + e.what();
  }
  registry.publish(job.pair, job.type, result.model, version);
  registry.record_run(job.pair, job.type, TrainingRun{RunOutcome::kAccepted, decision.reason, result.report, version, 0});
  finish("accepted", decision.reason, metrics, version);
  log->info("{} {} v{} serving: test accuracy {:.3f}, Brier {:.4f} (base rate {:.3f}); {} epochs in {:.1f} s",
            job.pair, type_name, version, result.report.test.accuracy, result.report.test.brier,
            result.report.test.base_rate, result.report.epochs_run, result.report.wall_seconds);
  refresh_prediction(job.pair, false);
  return JobResult{JobStatus::kSucceeded, decision.reason};
}

// ---------------------------------------------------------------------------------------------------
// Ensemble settings

PairEnsembleView Service::Impl::ensemble_view(const std::string& pair) const {
  PairEnsembleSettings configured = ensemble_config->get(pair);
  PairEnsembleView v;
  v.configured = configured.weights;
  v.strategy = configured.strategy;
  {
    std::shared_lock lock(decisions_mutex);
    auto it = decisions.find(pair);
    if (it != decisions.end()) {
      v.decision = it->second;
      return v;
    }
  }
  v.decision.weights = v.configured;
  v.decision.reason = "configured weights (no realised outcomes yet)";
  return v;
}

void Service::Impl::update_dynamic_weights(const std::string& pair) {
  PairEnsembleView v = ensemble_view(pair);
  WeightDecision d = tracker.decide_weights(pair, v.configured, cfg.ensemble.auto_update_weights);
  bool changed = d.weights != v.decision.weights;
  {
    std::unique_lock lock(decisions_mutex);
    decisions[pair] = d;
  }
  if (changed && d.dynamic) {
    store(WeightChange{0, pair, now_ms(), to_string(v.strategy), d.weights, "dynamic: " + d.reason});
  }
}

// ---------------------------------------------------------------------------------------------------
// Storage helpers

void Service::Impl::store(StorageOp op) {
  if (!storage) return;
  try {
    storage->enqueue(std::move(op));
  } catch (const std::exception& e) {
    log->warn("storage write refused: {}", e.what());
  }
}

std::string Service::Impl::storage_problem() const {
  {
    std::lock_guard lock(storage_mutex);
    if (!model_save_error.empty()) return model_save_error;
  }
  if (!storage) return "storage not opened";
  auto h = storage->health();
  return h.healthy ? "" : h.reason;
}

// ---------------------------------------------------------------------------------------------------
// Scheduler: auto-training for pairs that have data but no model, and periodic retraining of every pair.

void Service::Impl::scheduler_loop() {
  while (true) {
    {
      std::unique_lock lock(scheduler_mutex);
      scheduler_cv.wait_for(lock, std::chrono::seconds(5), [this] { return stopping; });
      if (stopping) return;
    }
    const std::int64_t now = now_ms();
    for (const auto& pair : market->pairs()) {
      enqueue_missing_models(pair);
      if (cfg.training.periodic_interval_ms > 0 && queue) {
        auto& last = last_periodic_ms[pair];
        if (last == 0) last = now;
        if (now - last >= cfg.training.periodic_interval_ms) {
          last = now;
          for (ModelType t : enabled) {
            if (!registry.get(pair, t)) continue;
            EnqueueRequest req;
            req.pair = pair;
            req.type = t;
            req.priority = 0;
            req.reason = JobReason::kPeriodic;
            queue->enqueue(req);
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Service

Service::Service(ServiceOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  if (!impl_->options.demo_csv.empty() && !impl_->options.demo)
    throw ConfigError("--csv is only valid together with --demo");
}

Service::~Service() { stop(5000); }

const Config& Service::config() const { return impl_->cfg; }

void Service::start() {
  Impl& d = *impl_;
  d.started_at_ms = now_ms();
  d.open_storage();
  d.restore_state();
  d.load_models();
  for (const auto& pair : d.market->pairs()) d.refresh_prediction(pair, false);
  d.start_queue();
  if (d.options.demo) d.start_demo_core();
  d.start_poller();
  d.scheduler = std::thread([&d] { d.scheduler_loop(); });
}

void Service::stop(int deadline_ms) {
  Impl& d = *impl_;
  if (d.stopped.exchange(true)) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(0, deadline_ms));
  {
    std::lock_guard lock(d.scheduler_mutex);
    d.stopping = true;
  }
  d.scheduler_cv.notify_all();
  if (d.scheduler.joinable()) d.scheduler.join();
  if (d.poller) d.poller->stop();
  // A training run takes minutes, so waiting for it is pointless: cancel at once, which ends it after
  // the batch in progress (the trainer checks between batches); the serving model is untouched.
  if (d.queue) d.queue->stop(std::chrono::milliseconds(0));
  if (d.demo_server) d.demo_server->stop();
  // Everything queued is committed; only writes that keep failing (disk full, locked database) are given
  // up, at the deadline less a margin for the final WAL checkpoint, and counted as lost in the log.
  if (d.storage) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    d.storage->shutdown(std::max(std::chrono::milliseconds(0), left - std::chrono::milliseconds(kCheckpointMarginMs)));
  }
}

void Service::observe_request(const std::string& route, int status, double seconds) {
  impl_->metrics.observe_request(route, status, seconds);
}

void Service::observe_connections(std::size_t serving, std::size_t queued, std::size_t overflow) {
  impl_->metrics.set_http_connections(serving, queued, overflow);
}

int Service::demo_core_port() const { return impl_->demo_server ? impl_->demo_server->port() : 0; }

}  // namespace tbml
