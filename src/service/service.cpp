// The Service's life cycle and its two pipelines: the candle path (poll → pair state → predictions →
// outcomes → storage) and the training path (queue → trainer → validation → registry swap → storage).
#include "tbml/service/service.h"

#include <algorithm>
#include <filesystem>

#include "service_impl.h"
#include "tbml/ensemble/ensemble_decision.h"
#include "tbml/ensemble/predictor.h"
#include "tbml/features/feature_pipeline.h"
#include "tbml/market/candle_csv.h"
#include "tbml/service/api_error.h"
#include "tbml/sim/core_sim_factory.h"
#include "tbml/training/model_io.h"
#include "tbml/training/dataset.h"
#include "tbml/trees/boosted_trees.h"
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

std::string volatility_store_type(std::size_t horizon) { return "volatility_h" + std::to_string(horizon); }

void Service::Impl::start_volatility() {
  volatility::VolatilityServingOptions vo;
  vo.horizon = cfg.ml.horizon;
  vo.min_candles = cfg.training.min_candles;
  vo.max_candles = cfg.training.max_candles;
  vo.retrain_interval = std::chrono::milliseconds(cfg.training.periodic_interval_ms);
  vo.retry_after = std::chrono::milliseconds(cfg.training.cooldown_ms);
  vo.window = cfg.ensemble.window;
  vo.niceness = cfg.training.niceness;
  volatility::VolatilityHooks hooks;
  hooks.series = [this](const std::string& pair, std::size_t max) -> std::optional<Series> {
    auto state = market->find(pair);
    if (!state) return std::nullopt;
    return state->copy_series(max);
  };
  const std::string type = volatility_store_type(cfg.ml.horizon);
  hooks.save = [this, type](const std::string& pair, const nlohmann::json& model, const std::string& bytes,
                            const nlohmann::json& report) {
    return storage->models().save(pair, type, nlohmann::json{{"volatility", model}, {"report", report}}, bytes);
  };
  hooks.trained = [this](const std::string& pair, const nlohmann::json& report) {
    TrainingRunRecord rec;
    rec.pair = pair;
    rec.model = "volatility";
    rec.finished_at = now_ms();
    rec.started_at = rec.finished_at - static_cast<std::int64_t>(report.value("seconds", 0.0) * 1000.0);
    rec.duration_s = report.value("seconds", 0.0);
    rec.config = {{"horizon", cfg.ml.horizon}, {"target", "volatility"}};
    rec.metrics = report;
    rec.result = "accepted";
    rec.reason = report.value("reason", std::string());
    store(rec);
  };
  volatility = std::make_unique<volatility::VolatilityServing>(vo, std::move(hooks));
  for (const auto& entry : storage->models().list()) {
    if (entry.type != type) continue;
    try {
      auto stored = storage->models().load_latest(entry.pair, entry.type);
      if (!stored) continue;
      volatility::ServedVolatility served;
      served.model = std::make_shared<const volatility::VolatilityModel>(
          volatility::VolatilityModel::from_json(stored->meta.at("volatility"), stored->weights));
      served.version = stored->version;
      served.report = stored->meta.value("report", nlohmann::json());
      market->get_or_create(entry.pair);
      if (volatility->load(entry.pair, std::move(served)))
        log->info("loaded {} volatility model v{} (h={})", entry.pair, stored->version, cfg.ml.horizon);
    } catch (const std::exception& e) {
      log->error("volatility model {} could not be loaded ({}); it will be retrained", entry.pair, e.what());
    }
  }
  volatility->start();
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
  LifecycleOptions lo;
  for (ModelType t : enabled) {
    MemberSpec m;
    m.type = t;
    m.name = to_string(t);
    if (cfg.ml.architectures.contains(m.name)) m.architecture = cfg.ml.architectures[m.name];
    lo.members.push_back(std::move(m));
  }
  lo.train.epochs = cfg.training.epochs;
  lo.train.batch_size = cfg.training.batch_size;
  lo.train.learning_rate = cfg.training.learning_rate;
  lo.train.patience = cfg.training.patience;
  lo.train.seed = cfg.training.seed;
  lo.train.sequence_length = cfg.ml.sequence_length;
  lo.train.horizon = cfg.ml.horizon;
  lo.min_candles = cfg.training.min_candles;
  lo.max_candles = cfg.training.max_candles;
  lo.queue.max_concurrent = static_cast<std::size_t>(cfg.training.max_concurrent);
  lo.queue.max_queued = cfg.training.max_queue;
  lo.queue.cooldown = std::chrono::milliseconds(cfg.training.cooldown_ms);
  lo.queue.max_retries = cfg.training.max_retries;
  lo.queue.worker_nice = cfg.training.niceness;

  LifecycleHooks hooks;
  hooks.series = [this](const std::string& pair, std::size_t max) -> std::optional<Series> {
    auto state = market->find(pair);
    if (!state) return std::nullopt;
    return state->copy_series(max);
  };
  hooks.candles = [this](const std::string& pair) -> std::size_t {
    auto state = market->find(pair);
    return state ? state->size() : 0;
  };
  hooks.save = [this](const std::string& pair, const std::string& model, const ModelArtifact& a) {
    return storage->models().save(pair, model, a.meta, a.weights);
  };
  hooks.save_problem = [this](const std::string& problem) {
    std::lock_guard lock(storage_mutex);
    model_save_error = problem;
  };
  hooks.record = [this](const LifecycleRun& r) {
    TrainingRunRecord rec;
    rec.pair = r.pair;
    rec.model = r.model;
    rec.started_at = r.started_at;
    rec.finished_at = r.finished_at;
    rec.duration_s = r.duration_s;
    rec.config = r.config;
    rec.metrics = r.metrics;
    rec.result = r.result;
    rec.reason = r.reason;
    rec.version = r.version;
    store(rec);
  };
  hooks.settled = [this](const std::string& pair) { refresh_prediction(pair, false); };
  lifecycle = std::make_unique<ModelLifecycle>(std::move(lo), registry, std::move(hooks));
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
  if (volatility) {
    const Series recent = state->copy_series(std::min<std::size_t>(state->size(), 4 * cfg.ml.horizon + 600));
    for (const auto& r : volatility->resolve(pair, recent.candles, now)) {
      VolatilityOutcomeUpdate u;
      u.pair = pair;
      u.candle_ts = r.candle_ts;
      u.horizon = static_cast<int>(r.horizon);
      u.realised_variance = r.realised_variance;
      u.realised_return = r.realised_return;
      u.resolved_at = r.resolved_at;
      store(u);
    }
    if (cfg.training.auto_train) volatility->ensure(pair, state->size());
  }

  refresh_prediction(pair, true);
  if (cfg.training.auto_train && lifecycle) lifecycle->ensure_models(pair);
}

nlohmann::json Service::Impl::volatility_json(const std::string& pair, const Series& history, bool record) {
  if (!volatility) return {{"available", false}, {"reason", "volatility forecasts are not running"}};
  const volatility::ServedVolatility served = volatility->served(pair);
  if (!served.model) {
    nlohmann::json st = volatility->status(pair);
    return {{"available", false}, {"state", st["state"]}, {"reason", st["reason"]}, {"horizon", cfg.ml.horizon}};
  }
  std::optional<volatility::VolatilityForecast> f = volatility->forecast(pair, history);
  if (!f) {
    nlohmann::json st = volatility->status(pair);
    return {{"available", false}, {"state", st["state"]}, {"reason", st["reason"]}, {"horizon", cfg.ml.horizon}};
  }
  nlohmann::json j = f->to_json();
  j["available"] = true;
  j["modelVersion"] = served.version;
  // Measured skill on the model's unseen test part against EWMA, with the bootstrap verdict.
  const nlohmann::json& report = served.report;
  const std::string member = to_string(served.model->served());
  nlohmann::json skill = {{"vsEwma", f->skill_vs_ewma}};
  if (report.is_object() && report.contains("comparisons")) {
    for (const char* base : {"ewma", "garch"}) {
      const std::string key = member + "-" + base;
      if (report["comparisons"].contains(key)) skill[std::string("qlikeMinus") + (base[0] == 'e' ? "Ewma" : "Garch")] =
                                                   report["comparisons"][key];
    }
    if (report.contains("reason")) skill["reason"] = report["reason"];
  }
  j["skill"] = skill;
  j["realised"] = volatility->realised(pair);
  if (record) {
    VolatilityForecastRecord r;
    r.pair = pair;
    r.candle_ts = f->timestamp;
    r.horizon = static_cast<int>(f->horizon);
    r.member = f->member;
    r.model_version = served.version;
    r.variance = f->variance;
    r.q10 = f->q10;
    r.q50 = f->q50;
    r.q90 = f->q90;
    try {
      r.ewma_variance = served.model->forecast(history, volatility::Member::kEwma).variance;
      r.created_at = now_ms();
      store(r);
    } catch (const std::exception& e) {
      log->warn("{}: volatility forecast not stored: {}", pair, e.what());
    }
  }
  return j;
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
  // No member serves: once a candidate has been trained and turned away, the pair still gets the honest
  // answer (the base rate, edge none); before any training finished it stays a 503 with the state.
  std::string rejected_reason;
  if (models.empty()) {
    for (ModelType t : enabled) {
      auto run = registry.last_run(pair, t);
      if (run && run->outcome == RunOutcome::kRejected)
        rejected_reason += (rejected_reason.empty() ? "" : "; ") + to_string(t) + ": " + run->reason;
    }
    if (rejected_reason.empty()) return nullptr;
  }
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
  if (models.empty()) {
    snapshot->base_rate_only = true;
    snapshot->base_rate_reason = "no model serves: every trained candidate was rejected (" + rejected_reason + ")";
  }
  {
    // The climatology the edge test compares with, from the same label rule as training.
    const Series history = state->copy_series(cfg.training.max_candles);
    snapshot->volatility = volatility_json(pair, history, record);
    const std::vector<Window> labelled = eligible_windows(history, 1, cfg.ml.horizon);
    std::size_t up = 0;
    for (const Window& w : labelled) up += w.label;
    snapshot->base_rate_windows = labelled.size();
    snapshot->base_rate = labelled.empty() ? 0.5 : static_cast<double>(up) / static_cast<double>(labelled.size());
  }
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
    }
    // The answer clients got: the combined vote of members with an edge, or the base rate (recorded as
    // "ensemble" with the strategy, so history shows what was served).
    const EnsembleDecision c = decide(*snapshot, settings.strategy, settings.decision.weights, {}, settings.stacked.get());
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

// ---------------------------------------------------------------------------------------------------
// Ensemble settings

PairEnsembleView Service::Impl::ensemble_view(const std::string& pair) const {
  PairEnsembleSettings configured = ensemble_config->get(pair);
  PairEnsembleView v;
  v.configured = configured.weights;
  v.strategy = configured.strategy;
  {
    std::shared_lock lock(decisions_mutex);
    if (auto st = stacked.find(pair); st != stacked.end()) v.stacked = st->second;
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
  // The stacked meta-learner over the members that vote now (those with a real edge), on the resolved
  // live predictions: out of sample for the members that made them.
  std::vector<std::string> voting;
  if (SnapshotPtr snap = snapshots.get(pair))
    for (const auto& m : snap->models)
      if (m.has_edge()) voting.push_back(m.model);
  auto fit = std::make_shared<const StackedFit>(fit_stacked(tracker.window(pair), voting));
  {
    std::unique_lock lock(decisions_mutex);
    decisions[pair] = d;
    stacked[pair] = std::move(fit);
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
    if (!lifecycle) continue;
    for (const auto& pair : market->pairs()) {
      if (cfg.training.auto_train) lifecycle->ensure_models(pair);
      lifecycle->periodic(pair, std::chrono::milliseconds(cfg.training.periodic_interval_ms));
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Service

Service::Service(ServiceOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  if (!impl_->options.demo_csv.empty() && !impl_->options.demo)
    throw ConfigError("--csv is only valid together with --demo");
  // Tree settings are checked here, where the trees stage is known, so a typo stops start-up.
  if (impl_->cfg.ml.architectures.contains("xgboost")) {
    try {
      resolve_tree_architecture(impl_->cfg.ml.architectures["xgboost"]);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(std::string("ml.architectures.xgboost: ") + e.what());
    }
  }
}

Service::~Service() { stop(5000); }

const Config& Service::config() const { return impl_->cfg; }

void Service::start() {
  Impl& d = *impl_;
  d.started_at_ms = now_ms();
  d.open_storage();
  d.restore_state();
  d.load_models();
  d.start_queue();
  d.start_volatility();
  for (const auto& pair : d.market->pairs()) d.refresh_prediction(pair, false);
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
  if (d.lifecycle) d.lifecycle->stop(std::chrono::milliseconds(0));
  if (d.volatility) d.volatility->stop();
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
