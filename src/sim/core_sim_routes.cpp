// CoreSimulator's route table: core's /api routes (with faults applied) and the /sim control routes.
#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "fault_injection.h"
#include "tbml/market/pair_name.h"
#include "tbml/sim/core_payload.h"
#include "tbml/sim/core_sim.h"
#include "tbml/util/time.h"

namespace tbml {
namespace {

constexpr std::size_t kMaxAdvancePerCall = 1'000'000;

SimResponse json_response(int status, const nlohmann::json& body) {
  SimResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

SimResponse endpoint_not_found(const std::string& method, const std::string& path) {
  return json_response(
      404, {{"error", "Endpoint not found"},
            {"service", "Trading Bot Core API"},
            {"method", method},
            {"path", path},
            {"availableEndpoints",
             {"GET /", "GET /api/health", "GET /api/pairs", "GET /api/data", "GET /api/pair/:pair",
              "POST /sim/fault", "POST /sim/advance", "GET /sim/state"}},
            {"timestamp", now_ms()}});
}

SimResponse bad_request(const std::string& error, const std::string& message) {
  return json_response(400, {{"error", error}, {"message", message}, {"timestamp", now_ms()}});
}

std::string to_upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

// Parses a control body; an empty body is an empty object.
nlohmann::json parse_control_body(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json::object();
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    throw std::invalid_argument("body must be a JSON object");
  }
  return parsed;
}

}  // namespace

SimResponse CoreSimulator::handle(const std::string& method, const std::string& path,
                                  const std::string& body) {
  std::lock_guard<std::mutex> lock(mutex_);
  sync_clock_locked();
  if (method == "POST" && path == "/sim/fault") return control_fault_locked(body);
  if (method == "POST" && path == "/sim/advance") return control_advance_locked(body);
  if (method == "GET" && path == "/sim/state") return state_response_locked();
  if (method != "GET") return endpoint_not_found(method, path);
  if (path == "/") {
    return json_response(
        200,
        {{"service", "Trading Bot Core API (tbml core-sim)"},
         {"version", "2.0.0"},
         {"endpoints", {{"health", "/api/health"}, {"data", "/api/data"}, {"pair", "/api/pair/:pair"}}}});
  }
  const bool known =
      path == "/api/health" || path == "/api/pairs" || path == "/api/data" ||
      (path.rfind("/api/pair/", 0) == 0 && path.size() > 10 && path.find('/', 10) == std::string::npos);
  if (!known) return endpoint_not_found(method, path);

  if (fault_ == FaultMode::error500) {
    return json_response(500, core_error_json("simulated upstream failure (fault error500)", now_ms()));
  }
  SimResponse response = route_api_locked(path);
  switch (fault_) {
    case FaultMode::truncated_json:
      response.body = sim_detail::truncate_body(response.body);
      break;
    case FaultMode::garbage:
      response.body = sim_detail::garbage_body();
      break;
    case FaultMode::wrong_types:
      response.body = sim_detail::break_types(nlohmann::json::parse(response.body)).dump();
      break;
    case FaultMode::hang:
      response.delivery = SimDelivery::hang;
      break;
    case FaultMode::slow_drip:
      response.delivery = SimDelivery::slow_drip;
      break;
    default:
      break;
  }
  return response;
}

SimResponse CoreSimulator::route_api_locked(const std::string& path) {
  const std::int64_t now = now_ms();
  if (path.rfind("/api/pair/", 0) == 0) return pair_response_locked(path.substr(10));
  if (path == "/api/data") return data_response_locked();

  CoreCollectionStats stats;
  stats.pairs = listed_pairs_locked();
  for (const auto& p : pairs_) {
    if (!dropped_locked(p.name)) stats.points_per_pair[p.name] = window_locked(p).size();
  }
  stats.successful_updates = updates_;
  stats.uptime_ms = clock_() - start_steady_ms_;
  if (path == "/api/pairs") return json_response(200, core_pairs_json(stats.pairs, now));
  return json_response(200, core_health_json(stats, now));
}

SimResponse CoreSimulator::pair_response_locked(const std::string& raw_pair) {
  const std::string name = to_upper(raw_pair);
  PairState* state = find_locked(name);
  if (!state || dropped_locked(name)) {
    return json_response(404, core_pair_not_found_json(name, listed_pairs_locked(), now_ms()));
  }
  const std::vector<Candle> candles = window_locked(*state);
  nlohmann::json history = core_history_json(candles);
  if (fault_ == FaultMode::timestamps_backwards) sim_detail::reverse_history(history);
  if (fault_ == FaultMode::nan_prices) sim_detail::inject_nan_prices(history);
  SimResponse response =
      json_response(200, core_pair_json(name, history, core_strategies_for(candles), now_ms()));
  if (options_.advance_per_request) advance_pair_locked(*state, 1);
  return response;
}

SimResponse CoreSimulator::data_response_locked() {
  CoreCollectionStats stats;
  nlohmann::json histories = nlohmann::json::object();
  nlohmann::json strategies = nlohmann::json::object();
  for (const auto& p : pairs_) {
    if (dropped_locked(p.name)) continue;
    const std::vector<Candle> candles = window_locked(p);
    nlohmann::json history = core_history_json(candles);
    if (fault_ == FaultMode::timestamps_backwards) sim_detail::reverse_history(history);
    if (fault_ == FaultMode::nan_prices) sim_detail::inject_nan_prices(history);
    histories[p.name] = std::move(history);
    nlohmann::json s = core_strategies_for(candles);
    if (!s.is_null()) strategies[p.name] = std::move(s);
    stats.pairs.push_back(p.name);
    stats.points_per_pair[p.name] = candles.size();
  }
  stats.successful_updates = updates_;
  stats.uptime_ms = clock_() - start_steady_ms_;
  SimResponse response = json_response(
      200, core_data_json(stats, histories, strategies, iso8601_utc(last_update_ms_), now_ms()));
  if (options_.advance_per_request) advance_locked(1);
  return response;
}

SimResponse CoreSimulator::control_fault_locked(const std::string& body) {
  try {
    const nlohmann::json request = parse_control_body(body);
    const auto mode_it = request.find("mode");
    if (mode_it == request.end() || !mode_it->is_string()) {
      throw std::invalid_argument("field 'mode' (string) is required");
    }
    const FaultMode mode = parse_fault_mode(mode_it->get<std::string>());
    std::string victim;
    if (const auto pair_it = request.find("pair"); pair_it != request.end()) {
      if (!pair_it->is_string()) throw std::invalid_argument("field 'pair' must be a string");
      victim = normalize_pair_name(pair_it->get<std::string>());
      if (!find_locked(victim)) throw std::invalid_argument("unknown pair " + victim);
    }
    fault_ = mode;
    fault_pair_ = victim;
    return json_response(200, {{"mode", to_string(fault_)},
                               {"pair", fault_pair_.empty() ? pairs_.front().name : fault_pair_},
                               {"timestamp", now_ms()}});
  } catch (const std::invalid_argument& e) {
    SimResponse r = bad_request("Invalid fault request", e.what());
    nlohmann::json j = nlohmann::json::parse(r.body);
    j["validModes"] = fault_mode_names();
    r.body = j.dump();
    return r;
  }
}

SimResponse CoreSimulator::control_advance_locked(const std::string& body) {
  std::size_t n = 1;
  try {
    const nlohmann::json request = parse_control_body(body);
    if (const auto it = request.find("n"); it != request.end()) {
      if (!it->is_number_integer() || it->get<long long>() < 0 ||
          it->get<long long>() > static_cast<long long>(kMaxAdvancePerCall)) {
        throw std::invalid_argument("field 'n' must be an integer in [0, " +
                                    std::to_string(kMaxAdvancePerCall) + "]");
      }
      n = static_cast<std::size_t>(it->get<long long>());
    }
  } catch (const std::invalid_argument& e) {
    return bad_request("Invalid advance request", e.what());
  }
  advance_locked(n);
  nlohmann::json per_pair = nlohmann::json::object();
  for (const auto& p : pairs_) per_pair[p.name] = window_locked(p).size();
  return json_response(200, {{"advanced", n}, {"dataPointsPerPair", per_pair}, {"timestamp", now_ms()}});
}

SimResponse CoreSimulator::state_response_locked() const {
  nlohmann::json per_pair = nlohmann::json::object();
  for (const auto& p : pairs_) {
    const auto window = window_locked(p);
    per_pair[p.name] = {{"visible", window.size()},
                        {"cursor", p.cursor},
                        {"length", p.candles.size()},
                        {"exhausted", p.cursor == p.candles.size()},
                        {"lastTimestamp",
                         window.empty() ? nlohmann::json(nullptr) : nlohmann::json(window.back().timestamp)}};
  }
  return json_response(200, {{"fault", to_string(fault_)},
                             {"faultPair", fault_pair_.empty() ? pairs_.front().name : fault_pair_},
                             {"window", options_.window},
                             {"stepMs", options_.step_ms},
                             {"advancePerRequest", options_.advance_per_request},
                             {"updates", updates_},
                             {"pairs", per_pair},
                             {"timestamp", now_ms()}});
}

}  // namespace tbml
