#pragma once
// `serve --demo`: the core stand-in (the simulator of src/sim) started by the command on a loopback port,
// so that the service itself polls it like any core and does not link the simulator.
#include <memory>
#include <string>

#include "tbml/config/config.h"
#include "tbml/sim/core_sim_server.h"

namespace tbml::cli {

// Synthetic demo.pairs, or the candle CSVs of `csv` ("BTC=a.csv,ETH=b.csv") replayed; started and
// serving when this returns. Throws std::invalid_argument for a bad CSV list or file.
std::unique_ptr<CoreSimServer> start_demo_core(const Config& cfg, const std::string& csv);

}  // namespace tbml::cli
