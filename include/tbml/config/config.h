#pragma once
// The service's configuration: config/default.json (compiled in, and read from disk when present), then
// an optional --config file, then environment variables, then command-line overrides. Every layer is
// checked against the keys of config/default.json: an unknown key or an out-of-range value is a
// ConfigError naming it, never a silent default.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ServerConfig {
  std::string host;
  int port = 3001;
  int threads = 8;  // HTTP workers at most (connections served at once)
  int min_threads = 8;  // HTTP workers kept while idle
  int thread_idle_timeout_ms = 30000;  // an idle worker beyond min_threads exits after this
  int worker_slice_us = 100;  // the HTTP workers' scheduler slice (EEVDF, Linux 6.12+); 0 = kernel default
  std::vector<std::string> cors_origins;
  std::string api_token;
  bool protect_reads = false;
  std::size_t max_body_bytes = 1 << 20;
  int read_timeout_ms = 5000;
  int write_timeout_ms = 5000;
  int max_connections = 512;
  // Folder holding web/ (the status page) and docs/openapi.yaml; "" = the working directory if it has
  // web/index.html, else the source tree the binary was built from (see resolve_static_dir).
  std::string static_dir;
};

struct CoreConfig {
  std::string url;
  bool auto_pairs = true;
  std::vector<std::string> pairs;
  int poll_interval_ms = 5000;
  int connect_timeout_ms = 1000;
  int timeout_ms = 5000;
  int retries = 2;
  int backoff_ms = 200;
  std::size_t max_body_bytes = 8 << 20;
};

struct MarketConfig {
  std::size_t buffer_capacity = 5000;
};

struct MlConfig {
  std::size_t sequence_length = 60;
  std::size_t horizon = 5;               // the default answer's horizon; one of `horizons`
  std::vector<std::size_t> horizons;     // every served horizon, ascending (default 1, 5, 24)
  std::string reference_pair;            // cross-pair inputs come from this pair ("" = none)
  std::vector<std::string> enabled_models;
  std::int64_t prediction_cache_ttl_ms = 0;
  int torch_threads = 1;
  nlohmann::json architectures;  // per model type
};

struct TrainingConfig {
  bool auto_train = true;
  int max_concurrent = 1;
  int niceness = 10;  // nice increment of the training threads
  int epochs = 30;
  int batch_size = 64;
  double learning_rate = 1e-3;
  int patience = 5;
  std::uint64_t seed = 42;
  std::size_t min_candles = 400;
  std::size_t max_candles = 5000;
  std::int64_t periodic_interval_ms = 0;
  std::int64_t cooldown_ms = 0;
  int max_retries = 2;
  std::size_t max_queue = 200;
};

struct EnsembleConfig {
  std::string strategy;
  std::map<std::string, double> weights;
  bool auto_update_weights = true;
  std::size_t window = 200;
  std::size_t min_outcomes = 20;
  double weight_floor = 0.1;
  double skill_temperature = 0.1;
  double signal_threshold = 0.2;
};

// decision.* (docs/decision.md): the service builds the decision stage's option structs from these.
struct DecisionConfig {
  double kelly_fraction = 0.25;
  double volatility_target = 0.5;  // annualised
  double max_position = 1.0;
  std::size_t min_outcomes = 50;
  bool allow_short = false;
  std::size_t breaker_window = 200;
  std::size_t breaker_min_outcomes = 50;
  double accuracy_floor = 0.5;
  double skill_floor = 0.0;
  double ensemble_skill_floor = 0.0;
  double share_bound = 0.8;
  double share_tolerance = 0.2;
  int window_hours = 24;
  int long_window_hours = 168;
  std::size_t min_resolved = 10;
  std::size_t mc_dropout_passes = 0;  // 0: off
  double interval_level = 0.8;
};

struct StorageConfig {
  std::string base_dir;
  double max_age_hours = 168;
  double candle_max_age_hours = 0;  // 0 keeps candles forever
  std::int64_t cleanup_interval_ms = 3600000;
  int flush_interval_ms = 200;
  std::size_t writer_queue = 10000;
  int keep_versions = 2;
};

struct LoggingConfig {
  std::string level;
  bool access_log = false;
};

struct DemoConfig {
  std::vector<std::string> pairs;
  std::uint64_t seed = 7;
  std::int64_t step_ms = 5000;
  std::size_t window = 5000;   // points the simulated core serves (real core: 1440)
  std::size_t initial = 4000;
  int poll_interval_ms = 1000;
};

// cluster.* (docs/scaling.md): this replica's place in a StatefulSet that shards the pairs. The rule
// itself is config/shard_rule.h; 1 replica (the default) owns every pair.
struct ClusterConfig {
  std::size_t replicas = 1;
  std::size_t ordinal = 0;            // "auto" in the config: from the host name (tbml-2 → 2)
  std::string peer_url_template;      // e.g. "http://tbml-{ordinal}.tbml:3001"; "" = peers unknown
  int fanout_timeout_ms = 1500;       // GET /api/predictions waits this long for each peer
};

struct Config {
  ServerConfig server;
  CoreConfig core;
  MarketConfig market;
  MlConfig ml;
  TrainingConfig training;
  EnsembleConfig ensemble;
  DecisionConfig decision;
  StorageConfig storage;
  LoggingConfig logging;
  DemoConfig demo;
  ClusterConfig cluster;
  nlohmann::json effective;  // the merged JSON the struct was built from

  // The effective configuration with secrets redacted, for the start-up log and /api/health.
  nlohmann::json redacted() const;
};

// The compiled-in copy of config/default.json: the schema every other layer is checked against.
const nlohmann::json& builtin_defaults();

struct ConfigSources {
  std::optional<std::string> defaults_file;  // default: config/default.json if it exists in the cwd
  std::optional<std::string> config_file;     // --config
  std::map<std::string, std::string> env;     // environment variables (see env_overrides())
  std::vector<std::pair<std::string, std::string>> overrides;  // dotted key = value, applied last
};

// Environment variable → dotted key, as in the API contract (PORT, CORE_SERVICE_URL, ...).
const std::vector<std::pair<std::string, std::string>>& env_mapping();
// Reads the variables of env_mapping() from the process environment.
std::map<std::string, std::string> read_environment();

// Merges and validates; throws ConfigError listing every problem found.
Config load_config(const ConfigSources& sources);
// Validates an already merged JSON document (exposed for tests).
Config config_from_json(const nlohmann::json& merged);
// Sets a dotted key from text, typed by the default's type (numbers, booleans, strings, comma lists).
void apply_override(nlohmann::json& doc, const std::string& dotted_key, const std::string& value,
                    const std::string& origin);

}  // namespace tbml
