#include "tbml/config/config.h"

#include "tbml/config/shard_rule.h"
#include "tbml/util/pair_name.h"
#include "config_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tbml {
namespace {

using nlohmann::json;

const char* kBuiltinDefaults =
#include "default_config.inc"
    ;

using config_detail::join;
using config_detail::Reader;


std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

json comma_list(const std::string& text) {
  json arr = json::array();
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    item = trim(item);
    if (!item.empty()) arr.push_back(item);
  }
  return arr;
}

// Keys whose value is a free-form object (model names, architecture settings): their inner keys are
// validated by the component that reads them, not against the defaults.
bool is_open_object(const std::string& path) {
  return path == "ml.architectures" || path == "ensemble.weights";
}

// Merge `layer` into `doc`, rejecting keys that the defaults do not have.
void merge_checked(json& doc, const json& layer, const std::string& path, const std::string& origin,
                   std::vector<std::string>& errors) {
  if (!layer.is_object()) {
    errors.push_back(origin + ": " + (path.empty() ? "the document" : path) + " must be an object");
    return;
  }
  for (auto it = layer.begin(); it != layer.end(); ++it) {
    const std::string key = path.empty() ? it.key() : path + "." + it.key();
    if (!doc.contains(it.key())) {
      errors.push_back(origin + ": unknown key '" + key + "'");
      continue;
    }
    json& target = doc[it.key()];
    if (target.is_object() && !is_open_object(key) && it.value().is_object()) {
      merge_checked(target, it.value(), key, origin, errors);
    } else if (target.is_object() && is_open_object(key) && it.value().is_object()) {
      for (auto inner = it.value().begin(); inner != it.value().end(); ++inner) {
        target[inner.key()] = inner.value();
      }
    } else {
      target = it.value();
    }
  }
}

json read_json_file(const std::string& path, const std::string& origin) {
  std::ifstream in(path);
  if (!in) throw ConfigError(origin + ": cannot read '" + path + "'");
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw ConfigError(origin + ": '" + path + "' is not valid JSON: " + e.what());
  }
}


// The member names of models/model.h (config sits below that stage; test_config checks they agree).
const std::vector<std::string> kModelNames = {"lstm", "gru", "cnn", "transformer", "xgboost"};
const std::vector<std::string> kStrategies = {"weighted", "majority", "average", "confidence_weighted", "stacked"};

std::vector<std::string> validate_pairs(Reader& r, const std::vector<std::string>& pairs,
                                        const std::string& key) {
  std::vector<std::string> out;
  for (auto p : pairs) {
    for (auto& c : p) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!is_valid_pair_name(p)) {
      r.error(key + ": '" + p + "' is not a valid pair name (^[A-Z0-9]{2,20}$)");
      continue;
    }
    out.push_back(p);
  }
  return out;
}

// cluster.*: the ordinal is a number or "auto", the number at the end of the host name, which in a
// StatefulSet pod is the pod name (tbml-2); the shard rule itself is config/shard_rule.h.
ClusterConfig read_cluster(Reader& r) {
  ClusterConfig c;
  c.replicas = static_cast<std::size_t>(r.integer("cluster.replicas", 1, 1024));
  if (const json* o = r.at("cluster.ordinal"); o && o->is_string() && *o == "auto") {
    char name[256] = {};
    const bool named = ::gethostname(name, sizeof name - 1) == 0;
    const auto ordinal = named ? ordinal_from_hostname(name) : std::nullopt;
    if (!ordinal)
      r.error(std::string("cluster.ordinal = \"auto\" needs a host name ending in -<number> (a StatefulSet pod); "
                          "this host is '") + name + "'");
    c.ordinal = ordinal.value_or(0);
  } else if (o && o->is_number_integer()) {
    c.ordinal = static_cast<std::size_t>(r.integer("cluster.ordinal", 0, 1023));
  } else {
    r.error("cluster.ordinal must be an integer or \"auto\"");
  }
  if (c.ordinal >= c.replicas)
    r.error("cluster.ordinal (" + std::to_string(c.ordinal) + ") must be below cluster.replicas (" +
            std::to_string(c.replicas) + ")");
  c.peer_url_template = r.string("cluster.peerUrlTemplate");
  const auto& t = c.peer_url_template;
  if (!t.empty() && (t.find("{ordinal}") == std::string::npos || (t.rfind("http://", 0) != 0 && t.rfind("https://", 0) != 0)))
    r.error("cluster.peerUrlTemplate = '" + t + "' must start with http:// or https:// and contain {ordinal}, or be \"\"");
  c.fanout_timeout_ms = static_cast<int>(r.integer("cluster.fanoutTimeoutMs", 50, 60000));
  return c;
}

}  // namespace

const json& builtin_defaults() {
  static const json defaults = json::parse(kBuiltinDefaults);
  return defaults;
}

const std::vector<std::pair<std::string, std::string>>& env_mapping() {
  static const std::vector<std::pair<std::string, std::string>> mapping = {
      {"PORT", "server.port"},
      {"HOST", "server.host"},
      {"CORE_SERVICE_URL", "core.url"},
      {"ML_PAIRS", "core.pairs"},
      {"ML_POLL_INTERVAL_MS", "core.pollIntervalMs"},
      {"ML_SEQUENCE_LENGTH", "ml.sequenceLength"},
      {"ML_HORIZON", "ml.horizon"},
      {"ML_HORIZONS", "ml.horizons"},
      {"ML_REFERENCE_PAIR", "ml.referencePair"},
      {"ML_ENSEMBLE_STRATEGY", "ensemble.strategy"},
      {"ML_ENABLED_MODELS", "ml.enabledModels"},
      {"ML_PREDICTION_CACHE_TTL", "ml.predictionCacheTtlMs"},
      {"ML_STORAGE_BASE_DIR", "storage.baseDir"},
      {"ML_STORAGE_MAX_AGE_HOURS", "storage.maxAgeHours"},
      {"ML_API_TOKEN", "server.apiToken"},
      {"ML_TRAINING_MAX_CONCURRENT", "training.maxConcurrent"},
      {"LOG_LEVEL", "logging.level"},
      {"ML_CLUSTER_REPLICAS", "cluster.replicas"},
      {"ML_CLUSTER_ORDINAL", "cluster.ordinal"},
      {"ML_CLUSTER_PEER_URL_TEMPLATE", "cluster.peerUrlTemplate"},
  };
  return mapping;
}

std::map<std::string, std::string> read_environment() {
  std::map<std::string, std::string> env;
  for (const auto& [name, key] : env_mapping()) {
    if (const char* v = std::getenv(name.c_str()); v != nullptr && *v != '\0') env[name] = v;
  }
  return env;
}

void apply_override(json& doc, const std::string& dotted_key, const std::string& value,
                    const std::string& origin) {
  // Walk the defaults to find the key and its type.
  const json* schema = &builtin_defaults();
  json* target = &doc;
  std::stringstream ss(dotted_key);
  std::string part, walked;
  std::vector<std::string> parts;
  while (std::getline(ss, part, '.')) parts.push_back(part);
  if (parts.empty()) throw ConfigError(origin + ": empty key");
  bool open = false;  // below an open object (ml.architectures, ensemble.weights) keys are free-form
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0 && is_open_object(walked)) open = true;
    walked += (walked.empty() ? "" : ".") + parts[i];
    if (!open && (!schema->is_object() || !schema->contains(parts[i])))
      throw ConfigError(origin + ": unknown key '" + dotted_key + "'");
    if (!target->is_object()) throw ConfigError(origin + ": '" + walked + "' is not an object");
    if (!open) schema = &(*schema)[parts[i]];
    target = &(*target)[parts[i]];
  }
  const std::string v = trim(value);
  if (open && target->is_null()) {
    // A new free-form key: JSON if it parses (numbers, lists), text otherwise.
    try {
      *target = json::parse(v);
    } catch (const json::parse_error&) {
      *target = v;
    }
    return;
  }
  const json& type_of = target->is_null() ? *schema : *target;
  try {
    if (type_of.is_boolean()) {
      if (v == "true" || v == "1") *target = true;
      else if (v == "false" || v == "0") *target = false;
      else throw ConfigError(origin + ": " + dotted_key + " must be true or false, got '" + v + "'");
    } else if (type_of.is_number_integer()) {
      std::size_t pos = 0;
      long long n = std::stoll(v, &pos);
      if (pos != v.size()) throw std::invalid_argument("trailing characters");
      *target = n;
    } else if (type_of.is_number()) {
      std::size_t pos = 0;
      double d = std::stod(v, &pos);
      if (pos != v.size() || !std::isfinite(d)) throw std::invalid_argument("not a finite number");
      *target = d;
    } else if (type_of.is_array() && !v.empty() && v.front() == '[') {
      *target = json::parse(v);  // a JSON list, e.g. [32,64]
    } else if (dotted_key == "cluster.ordinal" && v == "auto") {
      *target = v;  // an integer, or "auto": from the host name (read_cluster)
    } else if (type_of.is_array() || (dotted_key == "core.pairs" && v != "auto")) {
      *target = comma_list(v);  // "core.pairs" is "auto" or a comma list
    } else if (type_of.is_string()) {
      *target = v;
    } else {
      *target = json::parse(v);
    }
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception&) {
    throw ConfigError(origin + ": " + dotted_key + " = '" + v + "' is not a valid " +
                      std::string(type_of.type_name()));
  }
}

Config config_from_json(const json& merged) {
  std::vector<std::string> errors;
  Reader r(merged, errors);
  Config c;
  c.effective = merged;

  c.server.host = r.string("server.host");
  c.server.port = static_cast<int>(r.integer("server.port", 0, 65535));
  c.server.threads = static_cast<int>(r.integer("server.threads", 1, 1024));
  // The worker pool is elastic (http/bounded_task_queue.h): idle workers beyond minThreads exit after
  // threadIdleTimeoutMs, because each costs ~120 KiB resident. Defaults in config/default.json: 8 workers
  // (~1 MiB) serve a few steady clients (probes, a Prometheus scrape, a dashboard) without starting a
  // thread; 30 s outlasts the usual probe and scrape intervals (10-15 s), so recurring traffic keeps its
  // workers instead of churning them, and a burst's memory is returned within a minute. minThreads =
  // threads is the fixed pool. The default minimum is capped at a smaller server.threads (a config that
  // only sets threads keeps working); a minimum set above it is an error.
  c.server.min_threads = static_cast<int>(r.integer("server.minThreads", 1, 1024));
  if (c.server.min_threads > c.server.threads) {
    if (merged.at("server").at("minThreads") == builtin_defaults().at("server").at("minThreads"))
      c.server.min_threads = c.server.threads;
    else
      r.error("server.minThreads (" + std::to_string(c.server.min_threads) + ") must not exceed server.threads (" +
              std::to_string(c.server.threads) + ")");
  }
  c.server.thread_idle_timeout_ms = static_cast<int>(r.integer("server.threadIdleTimeoutMs", 100, 3600000));
  // The workers ask for a short scheduler slice, so that a woken worker preempts a training step or a poll
  // at once instead of waiting out its slice (docs/performance.md, "While a model trains"). The kernel
  // takes 100 us to 100 ms; 0 leaves the kernel's default.
  c.server.worker_slice_us = static_cast<int>(r.integer("server.workerSliceUs", 0, 100000));
  if (c.server.worker_slice_us > 0 && c.server.worker_slice_us < 100)
    r.error("server.workerSliceUs must be 0 (the kernel's default) or in [100, 100000] microseconds, not " +
            std::to_string(c.server.worker_slice_us));
  c.server.cors_origins = r.strings("server.corsOrigins");
  c.server.api_token = r.string("server.apiToken");
  c.server.protect_reads = r.boolean("server.protectReads");
  c.server.max_body_bytes = static_cast<std::size_t>(r.integer("server.maxBodyBytes", 1024, 1LL << 30));
  c.server.read_timeout_ms = static_cast<int>(r.integer("server.readTimeoutMs", 100, 600000));
  c.server.write_timeout_ms = static_cast<int>(r.integer("server.writeTimeoutMs", 100, 600000));
  c.server.max_connections = static_cast<int>(r.integer("server.maxConnections", 1, 100000));
  c.server.static_dir = r.string("server.staticDir");

  c.core.url = r.string("core.url");
  if (c.core.url.rfind("http://", 0) != 0 && c.core.url.rfind("https://", 0) != 0)
    r.error("core.url = '" + c.core.url + "' must start with http:// or https://");
  while (!c.core.url.empty() && c.core.url.back() == '/') c.core.url.pop_back();
  if (const json* pairs = r.at("core.pairs"); pairs && pairs->is_string() && *pairs == "auto") {
    c.core.auto_pairs = true;
  } else if (pairs && pairs->is_array()) {
    c.core.auto_pairs = false;
    c.core.pairs = validate_pairs(r, r.strings("core.pairs"), "core.pairs");
    if (c.core.pairs.empty()) r.error("core.pairs must list at least one pair, or be \"auto\"");
  } else {
    r.error("core.pairs must be \"auto\" or a list of pair names");
  }
  c.core.poll_interval_ms = static_cast<int>(r.integer("core.pollIntervalMs", 100, 3600000));
  c.core.connect_timeout_ms = static_cast<int>(r.integer("core.connectTimeoutMs", 10, 60000));
  c.core.timeout_ms = static_cast<int>(r.integer("core.timeoutMs", 10, 600000));
  c.core.retries = static_cast<int>(r.integer("core.retries", 0, 10));
  c.core.backoff_ms = static_cast<int>(r.integer("core.backoffMs", 0, 60000));
  c.core.max_body_bytes = static_cast<std::size_t>(r.integer("core.maxBodyBytes", 1024, 1LL << 30));

  c.market.buffer_capacity = static_cast<std::size_t>(r.integer("market.bufferCapacity", 200, 1000000));

  c.ml.sequence_length = static_cast<std::size_t>(r.integer("ml.sequenceLength", 2, 1000));
  c.ml.horizon = static_cast<std::size_t>(r.integer("ml.horizon", 1, 1000));
  // Each horizon is its own target (models, snapshots, outcomes, volatility); ml.horizon is the one the
  // contract's default answer uses, so it must be among them.
  for (const auto h : r.integers("ml.horizons", 1, 1000)) {
    if (std::find(c.ml.horizons.begin(), c.ml.horizons.end(), static_cast<std::size_t>(h)) != c.ml.horizons.end())
      r.error("ml.horizons: " + std::to_string(h) + " is listed twice");
    else
      c.ml.horizons.push_back(static_cast<std::size_t>(h));
  }
  std::sort(c.ml.horizons.begin(), c.ml.horizons.end());
  if (c.ml.horizons.empty() || c.ml.horizons.size() > 8) r.error("ml.horizons must list 1 to 8 horizons");
  if (std::find(c.ml.horizons.begin(), c.ml.horizons.end(), c.ml.horizon) == c.ml.horizons.end())
    r.error("ml.horizon (" + std::to_string(c.ml.horizon) + ") must be one of ml.horizons");
  c.ml.reference_pair = r.string("ml.referencePair");
  for (auto& ch : c.ml.reference_pair) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (!c.ml.reference_pair.empty() && !is_valid_pair_name(c.ml.reference_pair))
    r.error("ml.referencePair: '" + c.ml.reference_pair + "' is not a valid pair name (" +
            std::string(kPairNamePattern) + ") or \"\" for none");
  c.ml.enabled_models = r.strings("ml.enabledModels");
  for (const auto& m : c.ml.enabled_models) {
    if (std::find(kModelNames.begin(), kModelNames.end(), m) == kModelNames.end())
      r.error("ml.enabledModels: unknown model '" + m + "' (valid: " + join(kModelNames, ", ") + ")");
  }
  if (c.ml.enabled_models.empty()) r.error("ml.enabledModels must name at least one model");
  c.ml.prediction_cache_ttl_ms = r.integer("ml.predictionCacheTtlMs", 0, 86400000);
  c.ml.torch_threads = static_cast<int>(r.integer("ml.torchThreads", 1, 64));
  if (const json* arch = r.at("ml.architectures"); arch && arch->is_object()) {
    for (auto it = arch->begin(); it != arch->end(); ++it) {
      if (std::find(kModelNames.begin(), kModelNames.end(), it.key()) == kModelNames.end())
        r.error("ml.architectures: unknown model '" + it.key() + "'");
      else if (!it.value().is_object())
        r.error("ml.architectures." + it.key() + " must be an object");
    }
    c.ml.architectures = *arch;
  } else {
    r.error("ml.architectures must be an object");
  }

  c.training.auto_train = r.boolean("training.autoTrain");
  c.training.max_concurrent = static_cast<int>(r.integer("training.maxConcurrent", 1, 8));
  c.training.niceness = static_cast<int>(r.integer("training.niceness", 0, 19));
  c.training.epochs = static_cast<int>(r.integer("training.epochs", 1, 10000));
  c.training.batch_size = static_cast<int>(r.integer("training.batchSize", 1, 65536));
  c.training.learning_rate = r.number("training.learningRate", 1e-7, 1.0);
  c.training.patience = static_cast<int>(r.integer("training.patience", 1, 1000));
  c.training.seed = static_cast<std::uint64_t>(r.integer("training.seed", 0, 1LL << 62));
  c.training.min_candles = static_cast<std::size_t>(r.integer("training.minCandles", 50, 10000000));
  c.training.max_candles = static_cast<std::size_t>(r.integer("training.maxCandles", 100, 10000000));
  c.training.periodic_interval_ms = r.integer("training.periodicIntervalMs", 0, 30LL * 86400000);
  c.training.cooldown_ms = r.integer("training.cooldownMs", 0, 30LL * 86400000);
  c.training.max_retries = static_cast<int>(r.integer("training.maxRetries", 0, 100));
  c.training.max_queue = static_cast<std::size_t>(r.integer("training.maxQueue", 1, 100000));

  c.ensemble.strategy = r.one_of("ensemble.strategy", kStrategies);
  if (const json* w = r.at("ensemble.weights"); w && w->is_object()) {
    double total = 0;
    for (auto it = w->begin(); it != w->end(); ++it) {
      if (std::find(kModelNames.begin(), kModelNames.end(), it.key()) == kModelNames.end()) {
        r.error("ensemble.weights: unknown model '" + it.key() + "'");
      } else if (!it.value().is_number() || !std::isfinite(it.value().get<double>()) ||
                 it.value().get<double>() < 0 || it.value().get<double>() > 1e6) {
        r.error("ensemble.weights." + it.key() + " must be a finite number in [0, 1e6]");
      } else {
        c.ensemble.weights[it.key()] = it.value().get<double>();
        total += it.value().get<double>();
      }
    }
    if (total <= 0) r.error("ensemble.weights must not all be zero");
  } else {
    r.error("ensemble.weights must be an object");
  }
  c.ensemble.auto_update_weights = r.boolean("ensemble.autoUpdateWeights");
  c.ensemble.window = static_cast<std::size_t>(r.integer("ensemble.window", 1, 1000000));
  c.ensemble.min_outcomes = static_cast<std::size_t>(r.integer("ensemble.minOutcomes", 1, 1000000));
  c.ensemble.weight_floor = r.number("ensemble.weightFloor", 0.0, 1.0);
  c.ensemble.skill_temperature = r.number("ensemble.skillTemperature", 0.001, 10.0);
  c.ensemble.signal_threshold = r.number("ensemble.signalThreshold", 0.0, 1.0);

  DecisionConfig& d = c.decision;
  d.kelly_fraction = r.number("decision.sizing.kellyFraction", 0.01, 1.0);
  d.volatility_target = r.number("decision.sizing.volatilityTarget", 0.01, 10.0);
  d.max_position = r.number("decision.sizing.maxPosition", 0.01, 10.0);
  d.min_outcomes = static_cast<std::size_t>(r.integer("decision.sizing.minOutcomes", 1, 1000000));
  d.allow_short = r.boolean("decision.sizing.allowShort");
  d.breaker_window = static_cast<std::size_t>(r.integer("decision.breaker.window", 10, 1000000));
  d.breaker_min_outcomes = static_cast<std::size_t>(r.integer("decision.breaker.minOutcomes", 10, 1000000));
  if (d.breaker_min_outcomes > d.breaker_window) r.error("decision.breaker.minOutcomes must not exceed decision.breaker.window");
  d.accuracy_floor = r.number("decision.breaker.accuracyFloor", 0.0, 1.0);
  d.skill_floor = r.number("decision.breaker.skillFloor", -1.0, 1.0);
  d.ensemble_skill_floor = r.number("decision.breaker.ensembleSkillFloor", -1.0, 1.0);
  d.share_bound = r.number("decision.signals.shareBound", 0.5, 0.99);
  d.share_tolerance = r.number("decision.signals.tolerance", 0.0, 0.5);
  d.window_hours = static_cast<int>(r.integer("decision.signals.windowHours", 1, 24 * 365));
  d.long_window_hours = static_cast<int>(r.integer("decision.signals.longWindowHours", 1, 24 * 365));
  if (d.long_window_hours < d.window_hours)
    r.error("decision.signals.longWindowHours must be at least decision.signals.windowHours");
  d.min_resolved = static_cast<std::size_t>(r.integer("decision.signals.minResolved", 1, 100000));
  d.mc_dropout_passes = static_cast<std::size_t>(r.integer("decision.uncertainty.mcDropoutPasses", 0, 1000));
  d.interval_level = r.number("decision.uncertainty.level", 0.5, 0.99);

  c.storage.base_dir = r.string("storage.baseDir");
  if (c.storage.base_dir.empty()) r.error("storage.baseDir must not be empty");
  c.storage.max_age_hours = r.number("storage.maxAgeHours", 0.001, 24.0 * 365 * 100);
  c.storage.candle_max_age_hours = r.number("storage.candleMaxAgeHours", 0.0, 24.0 * 365 * 100);
  c.storage.cleanup_interval_ms = r.integer("storage.cleanupIntervalMs", 1000, 30LL * 86400000);
  c.storage.flush_interval_ms = static_cast<int>(r.integer("storage.flushIntervalMs", 1, 60000));
  c.storage.writer_queue = static_cast<std::size_t>(r.integer("storage.writerQueue", 10, 10000000));
  c.storage.keep_versions = static_cast<int>(r.integer("storage.keepVersions", 1, 100));

  c.logging.level = r.one_of("logging.level", {"trace", "debug", "info", "warn", "error", "critical", "off"});
  c.logging.access_log = r.boolean("logging.accessLog");

  c.demo.pairs = validate_pairs(r, r.strings("demo.pairs"), "demo.pairs");
  if (c.demo.pairs.empty()) r.error("demo.pairs must list at least one pair");
  c.demo.seed = static_cast<std::uint64_t>(r.integer("demo.seed", 0, 1LL << 62));
  c.demo.step_ms = r.integer("demo.stepMs", 10, 86400000);
  c.demo.window = static_cast<std::size_t>(r.integer("demo.window", 20, 1000000));
  c.demo.initial = static_cast<std::size_t>(r.integer("demo.initial", 20, 100000));
  if (c.demo.initial > c.demo.window) r.error("demo.initial must not exceed demo.window");
  c.demo.poll_interval_ms = static_cast<int>(r.integer("demo.pollIntervalMs", 100, 3600000));

  c.cluster = read_cluster(r);

  if (c.training.max_candles < c.training.min_candles)
    r.error("training.maxCandles must be >= training.minCandles");
  const std::size_t longest = c.ml.horizons.empty() ? c.ml.horizon : c.ml.horizons.back();
  if (c.market.buffer_capacity < c.ml.sequence_length + longest)
    r.error("market.bufferCapacity must be at least ml.sequenceLength + the longest of ml.horizons");

  if (!errors.empty()) throw ConfigError("invalid configuration:\n  " + join(errors, "\n  "));
  return c;
}

Config load_config(const ConfigSources& sources) {
  std::vector<std::string> errors;
  json doc = builtin_defaults();

  std::optional<std::string> defaults_file = sources.defaults_file;
  if (!defaults_file && std::filesystem::exists("config/default.json"))
    defaults_file = "config/default.json";
  if (defaults_file) merge_checked(doc, read_json_file(*defaults_file, "defaults"), "", *defaults_file, errors);
  if (sources.config_file) merge_checked(doc, read_json_file(*sources.config_file, "--config"), "",
                                         *sources.config_file, errors);
  for (const auto& [name, key] : env_mapping()) {
    auto it = sources.env.find(name);
    if (it == sources.env.end()) continue;
    try {
      apply_override(doc, key, it->second, "environment " + name);
    } catch (const ConfigError& e) {
      errors.push_back(e.what());
    }
  }
  for (const auto& [key, value] : sources.overrides) {
    try {
      apply_override(doc, key, value, "--set " + key);
    } catch (const ConfigError& e) {
      errors.push_back(e.what());
    }
  }
  if (!errors.empty()) {
    std::string msg = "invalid configuration:";
    for (const auto& e : errors) msg += "\n  " + e;
    throw ConfigError(msg);
  }
  return config_from_json(doc);
}

nlohmann::json Config::redacted() const {
  json out = effective;
  if (out.contains("server") && out["server"].contains("apiToken")) {
    const auto& t = out["server"]["apiToken"];
    out["server"]["apiToken"] = (t.is_string() && !t.get<std::string>().empty()) ? "<redacted>" : "";
  }
  return out;
}

}  // namespace tbml
