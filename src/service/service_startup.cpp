// Start-up: storage, the state restored from it, stored models, the poller, the model
// lifecycle and the volatility target. Each part is wired from the validated configuration.
#include <algorithm>
#include <filesystem>

#include "service_impl.h"
#include "tbml/features/feature_pipeline.h"
#include "tbml/market/candle_csv.h"
#include "tbml/training/model_io.h"
#include "tbml/util/time.h"

namespace tbml {
namespace {

// Which of a version's two files a loader's rejection is about, for health's refusal list.
std::string refused_file(const std::string& why) {
  for (const char* word : {"weight", "tensor", "byte", "xgboost", "torch"})
    if (why.find(word) != std::string::npos) return "weights.pt";
  return "meta.json";
}

// The newest stored version of pair/type that `import` accepts. A version the store verified but whose
// contents `import` rejects is refused (logged, quarantined, named by /api/health), and the one before
// it is tried; nothing it rejects is ever served.
template <typename Import>
auto load_newest_accepted(ModelStore& store, const std::string& pair, const std::string& type, Import import)
    -> std::optional<std::pair<StoredModel, decltype(import(std::declval<const StoredModel&>()))>> {
  const auto versions = store.versions(pair, type);
  for (auto v = versions.rbegin(); v != versions.rend(); ++v) {
    auto stored = store.load_version(pair, type, *v);  // nullopt (and quarantined) if it fails verification
    if (!stored) continue;
    try {
      auto loaded = import(*stored);
      return std::make_pair(std::move(*stored), std::move(loaded));
    } catch (const std::exception& e) {
      store.refuse(pair, type, stored->version, refused_file(e.what()), e.what());
    }
  }
  return std::nullopt;
}

}  // namespace

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
    // The reference pair first, so the others' restored rows find its candles (as the poller does).
    for (const auto& pair : market->reference_first(db->pairs_with_candles())) {
      // After a change of cluster.replicas the volume may hold pairs another replica owns now: they stay
      // in the database untouched (docs/scaling.md) and are not loaded.
      if (!ingests(pair)) {
        log->info("{} is stored here but owned by replica {}; not restored", pair, shards.owner(pair));
        continue;
      }
      auto candles = db->load_candles(pair, cfg.market.buffer_capacity);
      IngestResult r;
      market->ingest(pair, candles, &r);
      log->info("restored {} candles for {} from storage", r.added, pair);
      for (auto& [h, t] : tracks) t->tracker.on_candles(pair, candles, now_ms());
    }
    for (const auto& pair : market->pairs()) {
      if (!serves(pair)) continue;
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
      for (auto& [h, t] : tracks) update_dynamic_weights(pair, *t);
      restore_breakers(pair);
    }
  } catch (const std::exception& e) {
    log->error("restoring state from storage failed: {}", e.what());
  }
}

void Service::Impl::load_models() {
  ModelStore& model_store = storage->models();
  const auto& names = FeaturePipeline::names();
  for (const auto& entry : model_store.list()) {
    // "lstm" is the default horizon's, "lstm_h24" horizon 24's; horizons no longer configured are skipped.
    const auto named = parse_direction_store_type(entry.type, cfg.ml.horizon);
    if (!named || !tracks.count(named->second)) continue;
    const auto type = named->first;
    const std::size_t horizon = named->second;
    if (std::find(enabled.begin(), enabled.end(), type) == enabled.end()) continue;
    if (!serves(entry.pair)) {
      log->info("{} {}: owned by replica {}; the stored model stays on this volume, not loaded", entry.pair,
                entry.type, shards.owner(entry.pair));
      continue;
    }
    try {
      auto accepted = load_newest_accepted(model_store, entry.pair, entry.type, [](const StoredModel& m) {
        return import_model(ModelArtifact{m.meta, m.weights});
      });
      if (!accepted) continue;
      const StoredModel* stored = &accepted->first;
      ModelPtr model = accepted->second;
      const ModelInfo& info = model->info();
      if (info.feature_names != names) {
        log->warn("{} {} v{} was trained on other features ({}); not loaded, it will be retrained",
                  entry.pair, entry.type, stored->version, info.feature_version);
        continue;
      }
      if (info.sequence_length != cfg.ml.sequence_length || info.horizon != horizon) {
        log->warn("{} {} v{} uses sequence {} / horizon {} but the configuration says {} / {}; retraining",
                  entry.pair, entry.type, stored->version, info.sequence_length, info.horizon,
                  cfg.ml.sequence_length, horizon);
        continue;
      }
      market->get_or_create(entry.pair);
      track(horizon).registry.publish(entry.pair, type, model, stored->version);
      log->info("loaded {} {} v{} (test accuracy {:.3f}, Brier {:.4f})", entry.pair, entry.type,
                stored->version, info.report.test.accuracy, info.report.test.brier);
    } catch (const std::exception& e) {
      log->error("model {} {} could not be loaded ({}); it will be retrained", entry.pair, entry.type, e.what());
    }
  }
}

std::optional<Series> Service::Impl::copy_series(const std::string& pair, std::size_t max_candles) const {
  auto state = market->find(pair);
  if (!state) return std::nullopt;
  return state->copy_series(max_candles);
}

std::size_t Service::Impl::candle_count(const std::string& pair) const {
  auto state = market->find(pair);
  return state ? state->size() : 0;
}

void Service::Impl::start_volatility() {
  for (auto& [horizon, t] : tracks) {
    volatility::VolatilityServingOptions vo;
    vo.horizon = horizon;
    vo.min_candles = cfg.training.min_candles;
    vo.max_candles = cfg.training.max_candles;
    vo.retrain_interval = std::chrono::milliseconds(cfg.training.periodic_interval_ms);
    vo.retry_after = std::chrono::milliseconds(cfg.training.cooldown_ms);
    vo.window = cfg.ensemble.window;
    vo.niceness = cfg.training.niceness;
    volatility::VolatilityHooks hooks;
    hooks.series = [this](const std::string& pair, std::size_t max) { return copy_series(pair, max); };
    const std::string type = volatility_store_type(horizon);
    hooks.save = [this, type](const std::string& pair, const nlohmann::json& model, const std::string& bytes,
                              const nlohmann::json& report) {
      return storage->models().save(pair, type, nlohmann::json{{"volatility", model}, {"report", report}}, bytes);
    };
    hooks.trained = [this, h = horizon](const std::string& pair, const nlohmann::json& report) {
      TrainingRunRecord rec;
      rec.pair = pair;
      rec.model = "volatility";
      rec.finished_at = now_ms();
      rec.started_at = rec.finished_at - static_cast<std::int64_t>(report.value("seconds", 0.0) * 1000.0);
      rec.duration_s = report.value("seconds", 0.0);
      rec.config = {{"horizon", h}, {"target", "volatility"}};
      rec.metrics = report;
      rec.result = "accepted";
      rec.reason = report.value("reason", std::string());
      store(rec);
    };
    t->volatility = std::make_unique<volatility::VolatilityServing>(vo, std::move(hooks));
    for (const auto& entry : storage->models().list()) {
      if (entry.type != type || !serves(entry.pair)) continue;
      try {
        auto accepted = load_newest_accepted(storage->models(), entry.pair, entry.type, [](const StoredModel& m) {
          return std::make_shared<const volatility::VolatilityModel>(
              volatility::VolatilityModel::from_json(m.meta.at("volatility"), m.weights));
        });
        if (!accepted) continue;
        const StoredModel* stored = &accepted->first;
        volatility::ServedVolatility served;
        served.model = accepted->second;
        served.version = stored->version;
        served.report = stored->meta.value("report", nlohmann::json());
        market->get_or_create(entry.pair);
        if (t->volatility->load(entry.pair, std::move(served)))
          log->info("loaded {} volatility model v{} (h={})", entry.pair, stored->version, horizon);
      } catch (const std::exception& e) {
        log->error("volatility model {} h={} could not be loaded ({}); it will be retrained", entry.pair, horizon,
                   e.what());
      }
    }
    t->volatility->start();
  }
}

void Service::Impl::start_poller() {
  PollerOptions po;
  if (!options.demo_core_url.empty()) {
    po.base_url = options.demo_core_url;
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
  po.keep = [this](const std::string& pair) { return ingests(pair); };
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
  hooks.series = [this](const std::string& pair, std::size_t max) { return copy_series(pair, max); };
  hooks.candles = [this](const std::string& pair) { return candle_count(pair); };
  hooks.save = [this](const std::string& pair, const std::string& model, std::size_t horizon, const ModelArtifact& a) {
    const auto type = parse_model_type(model);
    if (!type) throw std::invalid_argument("unknown model type " + model);
    return storage->models().save(pair, direction_store_type(*type, horizon, cfg.ml.horizon), a.meta, a.weights);
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
  hooks.settled = [this](const std::string& pair, std::size_t horizon) { refresh_prediction(pair, track(horizon), false); };
  std::map<std::size_t, ModelRegistry*> registries;
  for (auto& [h, t] : tracks) registries[h] = &t->registry;
  lifecycle = std::make_unique<ModelLifecycle>(std::move(lo), std::move(registries), std::move(hooks));
}

}  // namespace tbml
