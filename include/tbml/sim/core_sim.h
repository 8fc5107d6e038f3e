#pragma once
// CoreSimulator: an in-process stand-in for trading-bot-core. Each pair has a full candle series; the
// service sees the latest `window` points ending at a cursor that moves forward by advance(), by the wall
// clock (one candle per step_ms, computed lazily when asked) or by one per request. The route table
// (handle) is plain C++ so it can be tested without sockets; CoreSimServer only adapts it to HTTP.
// Thread-safe: every public member may be called from any thread.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tbml/features/candle.h"
#include "tbml/sim/fault_mode.h"

namespace tbml {

struct CoreSimulatorOptions {
  std::size_t window = 1440;           // core keeps at most this many points per pair
  std::optional<std::size_t> initial;  // points visible at start; default min(window, length - 1)
  std::int64_t step_ms = 0;            // > 0: one candle per step_ms of wall time; 0: no clock advance
  bool advance_per_request = false;    // one candle after each data request (for tests)
};

// How the transport must deliver a response; hang and slow_drip are faults only a server can act out.
enum class SimDelivery { normal, hang, slow_drip };

struct SimResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  SimDelivery delivery = SimDelivery::normal;
};

class CoreSimulator {
 public:
  using PairSeries = std::pair<std::string, std::vector<Candle>>;
  using SteadyClock = std::function<std::int64_t()>;  // milliseconds, monotonic

  // Pair names are normalised to upper case; series must be non-empty, sorted by strictly increasing
  // timestamp, with finite positive prices. Throws std::invalid_argument otherwise.
  CoreSimulator(std::vector<PairSeries> series, CoreSimulatorOptions options, SteadyClock clock = {});

  // The whole route table: GET /api/health, /api/pairs, /api/data, /api/pair/:PAIR; POST /sim/fault
  // {"mode":..,"pair":..}, POST /sim/advance {"n":k}; GET /sim/state. Anything else is a JSON 404.
  // Faults apply to /api routes only, so a test can always switch them off again.
  SimResponse handle(const std::string& method, const std::string& path, const std::string& body = "");

  std::vector<std::string> pairs() const;  // every configured pair, in configuration order
  // The window core would serve now (applies pending clock steps first, hence not const).
  std::vector<Candle> visible(const std::string& pair);
  std::size_t visible_count(const std::string& pair);
  std::size_t series_length(const std::string& pair) const;
  std::size_t window() const { return options_.window; }

  void advance(std::size_t n);  // every pair; a pair whose series is exhausted stays where it is
  void set_fault(FaultMode mode, const std::string& pair = "");  // pair: the drop_pair victim (default first)
  FaultMode fault() const;
  std::string fault_pair() const;

 private:
  struct PairState {
    std::string name;
    std::vector<Candle> candles;
    std::size_t cursor = 0;  // candles[0, cursor) have happened
  };

  PairState* find_locked(const std::string& upper_name);
  const PairState* find_locked(const std::string& upper_name) const;
  std::vector<Candle> window_locked(const PairState& state) const;
  void sync_clock_locked();
  void advance_locked(std::size_t n);
  void advance_pair_locked(PairState& state, std::size_t n);
  bool dropped_locked(const std::string& name) const;
  std::vector<std::string> listed_pairs_locked() const;

  SimResponse route_api_locked(const std::string& path);
  SimResponse pair_response_locked(const std::string& raw_pair);
  SimResponse data_response_locked();
  SimResponse control_fault_locked(const std::string& body);
  SimResponse control_advance_locked(const std::string& body);
  SimResponse state_response_locked() const;

  mutable std::mutex mutex_;
  std::vector<PairState> pairs_;
  CoreSimulatorOptions options_;
  SteadyClock clock_;
  std::int64_t start_steady_ms_ = 0;
  std::int64_t clock_steps_applied_ = 0;
  std::int64_t last_update_ms_ = 0;  // wall time of the last cursor move (or construction)
  std::size_t updates_ = 0;
  FaultMode fault_ = FaultMode::none;
  std::string fault_pair_;
};

}  // namespace tbml
