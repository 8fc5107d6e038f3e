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
#include "tbml/service/decision_wiring.h"
#include "tbml/training/model_io.h"
#include "tbml/training/dataset.h"
#include "tbml/training/tree_trainer.h"
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
      market(std::make_shared<MarketData>(options.config.market.buffer_capacity, options.config.ml.reference_pair)) {
  shards = ShardRule(cfg.cluster.replicas, cfg.cluster.ordinal, cfg.cluster.peer_url_template);
  for (std::size_t h : cfg.ml.horizons) {
    auto t = std::make_unique<HorizonTrack>(h, tracker_options(cfg));
    t->guard = std::make_unique<DecisionGuard>(breaker_options(cfg.decision, h), monitor_options(cfg.decision));
    tracks.emplace(h, std::move(t));
  }
  if (!tracks.count(cfg.ml.horizon)) throw ConfigError("ml.horizons must include ml.horizon");
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
// The candle path: runs on the poller thread after each ingest that added candles.

void Service::Impl::on_new_candles(const std::string& pair, std::size_t added) {
  auto state = market->find(pair);
  if (!state) return;
  Series fresh = state->copy_series(added);
  const std::int64_t now = now_ms();
  store(CandleBatch{pair, fresh.candles});
  if (!serves(pair)) return;  // the reference pair of another replica: its candles feed features only
  // Only this (the poller) thread ingests, so one copy serves every horizon's refresh of this candle.
  const Series history = state->copy_series(cfg.training.max_candles);
  for (auto& [h, t] : tracks) {
    resolve_outcomes(*t, *state, fresh.candles, now);
    refresh_prediction(pair, *t, true, &history);
  }
  if (cfg.training.auto_train && lifecycle) lifecycle->ensure_models(pair);
}

void Service::Impl::resolve_outcomes(HorizonTrack& t, const PairState& state, const std::vector<Candle>& fresh,
                                     std::int64_t now) {
  const std::string& pair = state.pair();
  // Predictions whose horizon has now passed, and realised skill moving this horizon's weights.
  const std::vector<OutcomeUpdate> resolved = t.resolve(pair, fresh, now);
  for (const auto& u : resolved) store(u);
  observe_breakers(t, pair, resolved, now);
  if (!resolved.empty()) update_dynamic_weights(pair, t);
  if (!t.volatility) return;
  const Series recent = state.copy_series(std::min<std::size_t>(state.size(), 4 * t.horizon() + 600));
  for (const auto& r : t.volatility->resolve(pair, recent.candles, now)) {
    VolatilityOutcomeUpdate u;
    u.pair = pair;
    u.candle_ts = r.candle_ts;
    u.horizon = static_cast<int>(r.horizon);
    u.realised_variance = r.realised_variance;
    u.realised_return = r.realised_return;
    u.resolved_at = r.resolved_at;
    store(u);
  }
  if (cfg.training.auto_train) t.volatility->ensure(pair, state.size());
}

void Service::Impl::refresh_all(const std::string& pair, bool record) {
  auto state = market->find(pair);
  if (!state) return;
  const Series history = state->copy_series(cfg.training.max_candles);
  for (auto& [h, t] : tracks) refresh_prediction(pair, *t, record, &history);
}

SnapshotPtr Service::Impl::refresh_prediction(const std::string& pair, HorizonTrack& t, bool record,
                                              const Series* shared_history) {
  std::lock_guard lock(predict_mutex);
  auto state = market->find(pair);
  if (!state) return nullptr;
  std::vector<ModelPtr> models;
  std::map<std::string, int> versions;  // the registry's version: a model's own info() predates saving
  std::map<std::string, bool> calibrated;  // held-out calibration check per member, for sizing
  for (ModelType type : enabled) {
    ServingModel serving = t.registry.serving(pair, type);
    if (!serving.model) continue;
    models.push_back(serving.model);
    versions[to_string(type)] = serving.version;
    calibrated[to_string(type)] = serving.model->info().report.calibration_checked();
  }
  // No member serves: once a candidate has been trained and turned away, the pair still gets the honest
  // answer (the base rate, edge none); before any training finished it stays a 503 with the state.
  std::string rejected_reason;
  if (models.empty()) {
    for (ModelType type : enabled) {
      auto run = t.registry.last_run(pair, type);
      if (run && run->outcome == RunOutcome::kRejected)
        rejected_reason += (rejected_reason.empty() ? "" : "; ") + to_string(type) + ": " + run->reason;
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
  meta.horizon = t.horizon();
  meta.mc_dropout_passes = cfg.decision.mc_dropout_passes;
  auto snapshot = std::make_shared<PredictionSnapshot>(run_models(models, window.data(), rows, width, meta));
  if (models.empty()) {
    snapshot->base_rate_only = true;
    snapshot->base_rate_reason = "no model serves: every trained candidate was rejected (" + rejected_reason + ")";
  }
  {
    // The climatology the edge test compares with, from the same label rule as training.
    const Series own = shared_history ? Series{} : state->copy_series(cfg.training.max_candles);
    const Series& history = shared_history ? *shared_history : own;
    snapshot->volatility = volatility_json(t, pair, history, record);
    const std::vector<Window> labelled = eligible_windows(history, 1, t.horizon());
    std::size_t up = 0;
    for (const Window& w : labelled) up += w.label;
    snapshot->base_rate_windows = labelled.size();
    snapshot->base_rate = labelled.empty() ? 0.5 : static_cast<double>(up) / static_cast<double>(labelled.size());
  }
  for (auto& m : snapshot->models) {
    auto it = versions.find(m.model);
    if (it != versions.end()) m.version = it->second;
    m.calibration_checked = calibrated[m.model];
  }
  for (const auto& m : snapshot->models) metrics.observe_inference(m.model, m.inference_us / 1e6);
  const PairEnsembleView settings = ensemble_view(pair, t);
  combine_and_publish(snapshot, t, settings);

  if (record && !snapshot->models.empty()) {
    auto candle = state->latest_candle();
    try {
      if (candle && candle->timestamp == data_ts) {
        t.tracker.record(tracked_from_snapshot(*snapshot, candle->close, settings.decision.weights));
      }
    } catch (const std::exception& e) {
      log->warn("{} h={}: prediction not tracked: {}", pair, t.horizon(), e.what());
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
      r.horizon = static_cast<int>(t.horizon());
      r.model_version = m.version;
      r.created_at = now;
      store(r);
    }
    // The answer clients got: the combined vote of members with an edge, or the base rate (recorded as
    // "ensemble" with the strategy, so history shows what was served).
    if (const EnsembleDecision* c = snapshot->ensemble.served_decision()) {
      PredictionRecord e;
      e.pair = pair;
      e.model = "ensemble";
      e.strategy = to_string(snapshot->ensemble.served);
      e.probability = c->probability;
      e.confidence = c->confidence;
      e.direction = c->direction;
      e.candle_ts = data_ts;
      e.horizon = static_cast<int>(t.horizon());
      e.created_at = now;
      store(e);
    }
  }
  return snapshot;
}

void Service::Impl::combine_and_publish(const std::shared_ptr<PredictionSnapshot>& snapshot, HorizonTrack& t,
                                        const PairEnsembleView& settings) {
  // The breakers first: benched members and the ensemble hold are inputs of the one combination.
  apply_breakers(*snapshot, t);
  EnsembleInputs inputs;
  inputs.served = settings.strategy;
  inputs.weights = settings.decision.weights;
  inputs.weight_reason = settings.decision.reason;
  inputs.options.signal_threshold = cfg.ensemble.signal_threshold;
  inputs.stacked = settings.stacked.get();
  try {
    combine_snapshot(*snapshot, inputs);
  } catch (const std::exception& e) {
    // Members' numbers the rule refuses (the predictor already rejects them): published uncombined, the
    // routes answer 503 rather than a number.
    log->warn("{} h={}: ensemble not combined: {}", snapshot->pair, t.horizon(), e.what());
  }
  attach_sizing(*snapshot, t, settings);
  t.snapshots.publish(snapshot);
}

void Service::Impl::recombine(const std::string& pair, HorizonTrack& t) {
  std::lock_guard lock(predict_mutex);
  SnapshotPtr current = t.snapshots.get(pair);
  if (!current) return;
  combine_and_publish(std::make_shared<PredictionSnapshot>(*current), t, ensemble_view(pair, t));
}

// ---------------------------------------------------------------------------------------------------
// Ensemble settings

PairEnsembleView Service::Impl::ensemble_view(const std::string& pair, const HorizonTrack& t) const {
  return t.view(pair, ensemble_config->get(pair));
}

void Service::Impl::update_dynamic_weights(const std::string& pair, HorizonTrack& t) {
  const PairEnsembleSettings configured = ensemble_config->get(pair);
  if (auto d = t.refit(pair, configured, cfg.ensemble.auto_update_weights)) {
    // The default horizon's reason reads as before; another horizon's names it.
    const std::string tag = t.horizon() == cfg.ml.horizon ? "dynamic: " : "dynamic (h=" + std::to_string(t.horizon()) + "): ";
    store(WeightChange{0, pair, now_ms(), to_string(configured.strategy), d->weights, tag + d->reason});
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
      if (!serves(pair)) continue;
      if (cfg.training.auto_train) lifecycle->ensure_models(pair);
      lifecycle->periodic(pair, std::chrono::milliseconds(cfg.training.periodic_interval_ms));
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Service

Service::Service(ServiceOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  // Tree settings are checked at construction, so a typo stops start-up before anything trains.
  if (impl_->cfg.ml.architectures.contains("xgboost")) {
    try {
      check_tree_architecture(impl_->cfg.ml.architectures["xgboost"]);
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
  for (const auto& pair : d.market->pairs())
    if (d.serves(pair)) d.refresh_all(pair, false);
  d.start_poller();
  d.scheduler = std::thread([&d] { d.scheduler_loop(); });
}

void Service::stop(int deadline_ms) {
  Impl& d = *impl_;
  if (d.stopped.exchange(true)) return;
  const auto begin = std::chrono::steady_clock::now();
  const auto deadline = begin + std::chrono::milliseconds(std::max(0, deadline_ms));
  // Each step's time goes into one log line, so a shutdown that overruns its bound says which step did.
  auto mark = begin;
  auto step_ms = [&mark] {
    const auto now = std::chrono::steady_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - mark).count();
    mark = now;
    return ms;
  };
  {
    std::lock_guard lock(d.scheduler_mutex);
    d.stopping = true;
  }
  d.scheduler_cv.notify_all();
  // Every worker is told to stop before any is waited for, so the waits overlap instead of adding up
  // (one horizon's volatility worker could otherwise start a new run while another is joined).
  for (auto& [h, t] : d.tracks)
    if (t->volatility) t->volatility->request_stop();
  if (d.scheduler.joinable()) d.scheduler.join();
  const auto scheduler_ms = step_ms();
  if (d.poller) d.poller->stop();
  const auto poller_ms = step_ms();
  // A training run takes minutes, so waiting for it is pointless: cancel at once, which ends it after
  // the batch in progress (the trainer checks between batches); the serving model is untouched.
  if (d.lifecycle) d.lifecycle->stop(std::chrono::milliseconds(0));
  const auto training_ms = step_ms();
  for (auto& [h, t] : d.tracks)
    if (t->volatility) t->volatility->stop();
  const auto volatility_ms = step_ms();
  // Everything queued is committed; only writes that keep failing (disk full, locked database) are given
  // up, at the deadline less a margin for the final WAL checkpoint, and counted as lost in the log.
  if (d.storage) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    d.storage->shutdown(std::max(std::chrono::milliseconds(0), left - std::chrono::milliseconds(kCheckpointMarginMs)));
  }
  d.log->info("stopped in {} ms (scheduler {}, poller {}, training {}, volatility {}, storage {})",
              std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begin).count(),
              scheduler_ms, poller_ms, training_ms, volatility_ms, step_ms());
}

void Service::observe_request(const std::string& route, int status, double seconds) {
  impl_->metrics.observe_request(route, status, seconds);
}

void Service::observe_connections(std::size_t serving, std::size_t queued, std::size_t overflow,
                                  std::size_t workers) {
  impl_->metrics.set_http_connections(serving, queued, overflow, workers);
}

}  // namespace tbml
