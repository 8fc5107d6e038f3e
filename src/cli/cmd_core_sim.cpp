// `tbml core-sim`: a stand-in for trading-bot-core on its usual port, serving synthetic or CSV candles
// with core's exact payloads, advancing by wall clock or per request, with injectable faults. Thin: the
// logic lives in the sim library (CoreSimulator, CoreSimServer, make_core_simulator).
#include <signal.h>

#include <iostream>
#include <sstream>
#include <stdexcept>

#include "cli/commands.h"
#include "cli/stop_signals.h"
#include "tbml/market/candle_csv.h"
#include "tbml/sim/core_sim_factory.h"
#include "tbml/sim/core_sim_server.h"
#include "tbml/util/logging.h"

namespace tbml::cli {
namespace {

struct CoreSimArgs {
  std::string host = "127.0.0.1";
  int port = 3000;
  std::string csv;
  std::string synthetic;
  std::uint64_t seed = 42;
  std::size_t window = 1440;
  long long initial = -1;  // -1: default min(window, length - 1)
  std::int64_t step_ms = 0;
  bool advance_per_request = false;
  std::int64_t candle_interval_ms = 3'600'000;
  std::size_t ahead = 2000;
  std::string fault = "none";
  std::string log_level = "info";
};

std::vector<std::string> split_pairs(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    if (b == std::string::npos) throw std::invalid_argument("--synthetic: empty pair name in '" + list + "'");
    out.push_back(item.substr(b, e - b + 1));
  }
  if (out.empty()) throw std::invalid_argument("--synthetic: no pairs given");
  return out;
}

CoreSimOptions options_from(const CoreSimArgs& a) {
  CoreSimOptions o;
  if (!a.csv.empty()) {
    for (const auto& item : parse_pair_csv_list(a.csv)) o.csv.emplace_back(item.pair, item.path);
  }
  if (!a.synthetic.empty()) o.synthetic_pairs = split_pairs(a.synthetic);
  if (o.csv.empty() && o.synthetic_pairs.empty()) o.synthetic_pairs = {"BTC", "ETH", "SOL"};
  o.seed = a.seed;
  o.window = a.window;
  if (a.initial >= 0) o.initial = static_cast<std::size_t>(a.initial);
  o.step_ms = a.step_ms;
  o.advance_per_request = a.advance_per_request;
  o.candle_interval_ms = a.candle_interval_ms;
  o.synthetic_ahead = a.ahead;
  o.fault = parse_fault_mode(a.fault);
  return o;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

int run_core_sim(const CoreSimArgs& args) {
  set_log_level(args.log_level);
  auto log = get_logger("core-sim");
  std::shared_ptr<CoreSimulator> simulator;
  try {
    simulator = make_core_simulator(options_from(args));
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    std::cerr << (what.rfind("core-sim", 0) == 0 ? "" : "core-sim: ") << what << "\n";
    return 2;
  }

  install_stop_handlers();

  CoreSimServer server(simulator);
  int port = 0;
  try {
    port = server.start(args.host, args.port);
  } catch (const std::exception& e) {
    log->error("{}", e.what());
    return 1;
  }
  log->info("serving {} ({} candles per pair visible at most) on http://{}:{}", join(simulator->pairs()),
            simulator->window(), args.host, port);
  log->info("advance: {}; fault: {}",
            args.advance_per_request ? "one candle per data request"
            : args.step_ms > 0       ? "one candle every " + std::to_string(args.step_ms) + " ms"
                                     : "only via POST /sim/advance",
            args.fault);

  const int signal_number = wait_for_stop_signal();
  log->info("received signal {}, stopping", signal_number);
  server.stop();
  return 0;
}

}  // namespace

void register_core_sim_command(CLI::App& app, Runner& run) {
  auto args = std::make_shared<CoreSimArgs>();
  CLI::App* cmd = app.add_subcommand(
      "core-sim",
      "Run a stand-in for trading-bot-core (GET /api/health, /api/pairs, /api/pair/:PAIR, /api/data) serving "
      "synthetic or CSV candles. Control routes: POST /sim/advance {\"n\":k}, POST /sim/fault "
      "{\"mode\":\"...\",\"pair\":\"...\"}, GET /sim/state. Without --csv/--synthetic: synthetic "
      "BTC,ETH,SOL.");
  cmd->add_option("--host", args->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", args->port, "Port to listen on (0 = any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--csv", args->csv, "Candle CSVs as PAIR=path,... (timestamp,open,high,low,close,volume)");
  cmd->add_option("--synthetic", args->synthetic,
                  "Synthetic pairs, e.g. BTC,ETH (may be combined with --csv)");
  cmd->add_option("--seed", args->seed, "Seed of the synthetic price process")->capture_default_str();
  cmd->add_option("--window", args->window, "Points served per pair at most (core keeps 1440)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  cmd->add_option("--initial", args->initial, "Points visible at start (default: min(window, length - 1))")
      ->check(CLI::NonNegativeNumber);
  auto* step = cmd->add_option("--step-ms", args->step_ms, "Advance one candle every N ms of wall time")
                   ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400'000}));
  auto* per_request = cmd->add_flag("--advance-per-request", args->advance_per_request,
                                    "Advance one candle after each data request");
  step->excludes(per_request);
  cmd->add_option("--candle-interval-ms", args->candle_interval_ms, "Spacing of synthetic candles")
      ->check(CLI::Range(std::int64_t{1000}, std::int64_t{7 * 86'400'000LL}))
      ->capture_default_str();
  cmd->add_option("--ahead", args->ahead, "Synthetic candles generated beyond the initial window")
      ->check(CLI::Range(std::size_t{0}, std::size_t{4'000'000}))
      ->capture_default_str();
  cmd->add_option("--fault", args->fault, "Fault mode at start (change it with POST /sim/fault)")
      ->check(CLI::IsMember(fault_mode_names()))
      ->capture_default_str();
  cmd->add_option("--log-level", args->log_level, "trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  cmd->callback([&run, args] { run = [args] { return run_core_sim(*args); }; });
}

}  // namespace tbml::cli
