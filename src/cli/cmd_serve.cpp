// `tbml serve`: the daemon. Parses flags into configuration layers, starts the HTTP server first (health
// answers at once), then the service; SIGTERM/SIGINT stop it gracefully, a second signal exits at once.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "cli/commands.h"
#include "cli/demo_core.h"
#include "cli/stop_signals.h"
#include "tbml/api/http_server.h"
#include "tbml/config/config.h"
#include "tbml/service/service.h"
#include "tbml/training/torch_runtime.h"
#include "tbml/training/volatility_network.h"
#include "tbml/util/logging.h"

namespace tbml::cli {
namespace {

// Graceful work (requests, the current training batch, the storage flush) gets this long after the
// signal; the watchdog ends the process at the hard limit, inside the 10 s that operators are promised.
constexpr int kShutdownBudgetMs = 8500;
constexpr int kShutdownHardLimitMs = 9700;

struct ServeArgs {
  std::string config_file;
  bool demo = false;
  std::string csv;
  int port = -1;
  std::string core_url;
  std::string pairs;
  std::string storage_dir;
  std::string log_level;
  std::vector<std::string> sets;
};

ConfigSources sources_from(const ServeArgs& a) {
  ConfigSources s;
  if (!a.config_file.empty()) s.config_file = a.config_file;
  s.env = read_environment();
  for (const auto& kv : a.sets) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError("--set expects key.path=value, got '" + kv + "'");
    s.overrides.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  if (a.port >= 0) s.overrides.emplace_back("server.port", std::to_string(a.port));
  if (!a.core_url.empty()) s.overrides.emplace_back("core.url", a.core_url);
  if (!a.pairs.empty()) s.overrides.emplace_back("core.pairs", a.pairs);
  if (!a.storage_dir.empty()) s.overrides.emplace_back("storage.baseDir", a.storage_dir);
  if (!a.log_level.empty()) s.overrides.emplace_back("logging.level", a.log_level);
  return s;
}

int run_serve(const ServeArgs& args) {
  install_stop_handlers();

  Config config = load_config(sources_from(args));
  set_log_level(config.logging.level);
  auto log = get_logger("serve");
  log->info("tbml {} starting; effective configuration: {}", TBML_VERSION, config.redacted().dump());
  configure_torch_threads(config.ml.torch_threads);
  // The volatility stage trains (and loads) its network candidate through this registration.
  training::register_volatility_network();

  if (!args.csv.empty() && !args.demo) throw ConfigError("--csv is only valid together with --demo");
  ServiceOptions options;
  options.config = config;
  // The demo's core stand-in, polled by the service over loopback like any core.
  std::unique_ptr<CoreSimServer> demo_core;
  if (args.demo) {
    demo_core = start_demo_core(config, args.csv);
    options.demo_core_url = "http://127.0.0.1:" + std::to_string(demo_core->port());
  }
  Service service(options);

  HttpServerOptions http;
  http.host = config.server.host;
  http.port = config.server.port;
  http.threads = config.server.threads;
  http.min_threads = config.server.min_threads;
  http.thread_idle_timeout_ms = config.server.thread_idle_timeout_ms;
  http.worker_slice_us = config.server.worker_slice_us;
  http.cors_origins = config.server.cors_origins;
  http.api_token = config.server.api_token;
  http.protect_reads = config.server.protect_reads;
  http.max_body_bytes = config.server.max_body_bytes;
  http.read_timeout_ms = config.server.read_timeout_ms;
  http.write_timeout_ms = config.server.write_timeout_ms;
  http.max_connections = config.server.max_connections;
  http.access_log = config.logging.access_log;
  http.start_ready = false;
  HttpServer server(service, http);
  int port = server.start();
  log->info("HTTP API listening on {}:{}", config.server.host, port);
  service.start();
  server.mark_ready();

  const int sig = wait_for_stop_signal();
  log->info("received {}, shutting down (a second signal exits at once)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  // The whole shutdown must fit in 10 s. If a step overruns (a client that never finishes, a training
  // step that ignores cancellation) the process leaves with a non-zero status rather than hanging.
  const auto signalled = std::chrono::steady_clock::now();
  std::thread watchdog([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(kShutdownHardLimitMs));
    static const char msg[] = "tbml: graceful shutdown overran its deadline; exiting\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(1);
  });
  watchdog.detach();
  server.stop();  // stop accepting; in-flight requests finish (each read/write bounded by its timeout)
  const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - signalled);
  const int budget = std::max(1000, kShutdownBudgetMs - static_cast<int>(spent.count()));
  log->info("HTTP server stopped after {} ms; stopping the service within {} ms", spent.count(), budget);
  service.stop(budget);
  if (demo_core) demo_core->stop();
  log->info("stopped cleanly");
  spdlog::shutdown();
  return 0;
}

}  // namespace

void register_serve_command(CLI::App& app, Runner& run) {
  auto args = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "Run the prediction service (HTTP API on port 3001 by default)");
  cmd->add_option("--config", args->config_file, "JSON file layered over config/default.json");
  cmd->add_flag("--demo", args->demo, "Start an in-process core simulator on a loopback port and poll it");
  cmd->add_option("--csv", args->csv, "With --demo: replay candle CSVs instead of synthetic data (BTC=a.csv,ETH=b.csv)");
  cmd->add_option("--port", args->port, "HTTP port (overrides PORT and server.port)")->check(CLI::Range(0, 65535));
  cmd->add_option("--core-url", args->core_url, "Core service URL (overrides CORE_SERVICE_URL)");
  cmd->add_option("--pairs", args->pairs, "Pairs to poll: 'auto' or a comma list");
  cmd->add_option("--storage-dir", args->storage_dir, "Storage folder (overrides ML_STORAGE_BASE_DIR)");
  cmd->add_option("--log-level", args->log_level, "trace|debug|info|warn|error|off");
  cmd->add_option("--set", args->sets, "Override any configuration key: --set training.epochs=10 (repeatable)");
  cmd->callback([args, &run] { run = [args] { return run_serve(*args); }; });
}

}  // namespace tbml::cli
