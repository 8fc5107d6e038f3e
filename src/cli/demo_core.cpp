#include "cli/demo_core.h"

#include "tbml/market/candle_csv.h"
#include "tbml/sim/core_sim_factory.h"
#include "tbml/util/logging.h"

namespace tbml::cli {

std::unique_ptr<CoreSimServer> start_demo_core(const Config& cfg, const std::string& csv) {
  CoreSimOptions so;
  so.seed = cfg.demo.seed;
  so.step_ms = cfg.demo.step_ms;
  // The simulated core serves a longer window than the real one (1440) so that the demo's models have
  // enough history to learn from at start; a real core's history grows in storage over time instead.
  so.window = cfg.demo.window;
  if (!csv.empty()) {
    // Replaying files: show min(demo.window, rows - 1) points first, unless demo.initial was
    // set explicitly (its default is sized for the synthetic series, which may be longer than a file).
    if (cfg.demo.initial != builtin_defaults()["demo"]["initial"].get<std::size_t>()) so.initial = cfg.demo.initial;
    for (const auto& [pair, path] : parse_pair_csv_list(csv)) so.csv.emplace_back(pair, path);
  } else {
    so.synthetic_pairs = cfg.demo.pairs;
    so.initial = cfg.demo.initial;
  }
  // An ephemeral port may be the one the API is about to bind (server.port, picked free but not yet
  // bound, e.g. by a test): then the API's bind would fail. The stand-in that got it keeps it while a
  // second one binds (so the kernel cannot hand it out again), then lets it go.
  // Its one client is the service's poller: a few workers (hanging faults included) instead of 64 threads.
  CoreSimTransportOptions transport;
  transport.workers = 8;
  auto server = std::make_unique<CoreSimServer>(make_core_simulator(so), transport);
  int port = server->start("127.0.0.1", 0);
  if (port == cfg.server.port) {
    auto second = std::make_unique<CoreSimServer>(make_core_simulator(so), transport);
    port = second->start("127.0.0.1", 0);
    server->stop();
    server = std::move(second);
  }
  get_logger("serve")->info("demo: simulated core service on http://127.0.0.1:{} ({} pairs, one candle every {} ms)",
                            port, server->simulator()->pairs().size(), cfg.demo.step_ms);
  return server;
}

}  // namespace tbml::cli
