// Body-level fault modes of CoreSimulator, checked without sockets (transport faults: test_core_sim_server).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tbml/market/core_payload.h"
#include "tbml/sim/core_sim.h"
#include "tbml/sim/market_sim.h"

namespace tbml {
namespace {

using json = nlohmann::json;
const std::vector<std::string> kApiPaths{"/api/health", "/api/pairs", "/api/pair/BTC", "/api/data"};

std::shared_ptr<CoreSimulator> make_sim() {
  MarketSimOptions m;
  m.count = 120;
  CoreSimulatorOptions o;
  o.initial = 100;
  return std::make_shared<CoreSimulator>(
      std::vector<CoreSimulator::PairSeries>{{"BTC", generate_candles("BTC", m)},
                                             {"ETH", generate_candles("ETH", m)},
                                             {"SOL", generate_candles("SOL", m)}},
      o);
}

bool parses(const std::string& body) { return !json::parse(body, nullptr, false).is_discarded(); }

TEST(CoreSimFaults, NamesRoundTrip) {
  for (const auto& name : fault_mode_names()) EXPECT_EQ(to_string(parse_fault_mode(name)), name);
  EXPECT_EQ(fault_mode_names().size(), 10u);
  EXPECT_THROW(parse_fault_mode("Hang"), std::invalid_argument);
  EXPECT_THROW(parse_fault_mode(""), std::invalid_argument);
}

TEST(CoreSimFaults, Error500OnEveryApiRouteButNotOnControlRoutes) {
  auto sim = make_sim();
  sim->set_fault(FaultMode::error500);
  for (const auto& path : kApiPaths) {
    const SimResponse r = sim->handle("GET", path);
    EXPECT_EQ(r.status, 500) << path;
    const json body = json::parse(r.body);
    EXPECT_EQ(body["error"], "Internal server error");
    EXPECT_TRUE(body["timestamp"].is_number_integer());
  }
  EXPECT_EQ(sim->handle("GET", "/sim/state").status, 200);
  EXPECT_EQ(sim->handle("POST", "/sim/fault", R"({"mode":"none"})").status, 200);
  EXPECT_EQ(sim->handle("GET", "/api/pair/BTC").status, 200);
}

TEST(CoreSimFaults, TruncatedJsonIsHalfABody) {
  auto sim = make_sim();
  const std::size_t full = sim->handle("GET", "/api/pair/BTC").body.size();
  sim->set_fault(FaultMode::truncated_json);
  for (const auto& path : kApiPaths) {
    const SimResponse r = sim->handle("GET", path);
    EXPECT_EQ(r.status, 200);
    EXPECT_FALSE(r.body.empty()) << path;
    EXPECT_FALSE(parses(r.body)) << path;
  }
  const std::size_t cut = sim->handle("GET", "/api/pair/BTC").body.size();
  EXPECT_NEAR(static_cast<double>(cut), full / 2.0, 2.0);
  EXPECT_THROW(parse_pair_payload(sim->handle("GET", "/api/pair/BTC").body, "BTC"), PayloadError);
}

TEST(CoreSimFaults, GarbageIsNotJson) {
  auto sim = make_sim();
  sim->set_fault(FaultMode::garbage);
  for (const auto& path : kApiPaths) {
    const SimResponse r = sim->handle("GET", path);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "application/json");  // lies about its type, as broken proxies do
    EXPECT_FALSE(parses(r.body)) << path;
  }
  EXPECT_THROW(parse_pairs_payload(sim->handle("GET", "/api/pairs").body), PayloadError);
}

TEST(CoreSimFaults, WrongTypesKeepsJsonButBreaksTypes) {
  auto sim = make_sim();
  sim->set_fault(FaultMode::wrong_types);
  const json pair = json::parse(sim->handle("GET", "/api/pair/BTC").body);
  EXPECT_EQ(pair["pair"], "BTC");
  ASSERT_TRUE(pair["history"]["closes"].is_array());
  EXPECT_TRUE(pair["history"]["closes"][0].is_string());
  EXPECT_TRUE(pair["history"]["timestamps"][0].is_string());
  EXPECT_TRUE(pair["hasEnoughData"].is_string());
  EXPECT_TRUE(pair["timestamp"].is_string());
  const json pairs = json::parse(sim->handle("GET", "/api/pairs").body);
  EXPECT_EQ(pairs["pairs"], "BTC,ETH,SOL");
  EXPECT_EQ(pairs["total"], "3");
  const json health = json::parse(sim->handle("GET", "/api/health").body);
  EXPECT_TRUE(health["dataCollection"]["totalDataPoints"].is_string());
  EXPECT_THROW(parse_pair_payload(sim->handle("GET", "/api/pair/BTC").body, "BTC"), PayloadError);
  EXPECT_THROW(parse_pairs_payload(sim->handle("GET", "/api/pairs").body), PayloadError);
}

TEST(CoreSimFaults, HangAndSlowDripAreLeftToTheTransport) {
  auto sim = make_sim();
  sim->set_fault(FaultMode::hang);
  SimResponse r = sim->handle("GET", "/api/pair/BTC");
  EXPECT_EQ(r.delivery, SimDelivery::hang);
  EXPECT_TRUE(parses(r.body));
  sim->set_fault(FaultMode::slow_drip);
  r = sim->handle("GET", "/api/pairs");
  EXPECT_EQ(r.delivery, SimDelivery::slow_drip);
  EXPECT_TRUE(parses(r.body));
  EXPECT_EQ(sim->handle("GET", "/sim/state").delivery, SimDelivery::normal);
}

TEST(CoreSimFaults, TimestampsBackwards) {
  auto sim = make_sim();
  const auto visible = sim->visible("BTC");
  sim->set_fault(FaultMode::timestamps_backwards);
  for (const std::string path : {"/api/pair/BTC", "/api/data"}) {
    json body = json::parse(sim->handle("GET", path).body);
    const json& h = path == "/api/data" ? body["history"]["BTC"] : body["history"];
    const json& ts = h["timestamps"];
    ASSERT_EQ(ts.size(), visible.size());
    for (std::size_t i = 1; i < ts.size(); ++i) {
      ASSERT_LT(ts[i].get<std::int64_t>(), ts[i - 1].get<std::int64_t>()) << path;
    }
    EXPECT_EQ(h["closes"][0].get<double>(), visible.back().close);  // rows stay aligned
    EXPECT_EQ(h["prices"], h["closes"]);
  }
  // A consumer that sorts recovers the true series.
  const PairPayload parsed = parse_pair_payload(sim->handle("GET", "/api/pair/BTC").body, "BTC");
  ASSERT_EQ(parsed.candles.size(), visible.size());
  EXPECT_EQ(parsed.candles.back().timestamp, visible.back().timestamp);
}

TEST(CoreSimFaults, NanPricesAreServedAsNull) {
  auto sim = make_sim();
  sim->set_fault(FaultMode::nan_prices);
  const SimResponse r = sim->handle("GET", "/api/pair/ETH");
  EXPECT_NE(r.body.find("null"), std::string::npos);
  const json body = json::parse(r.body);
  for (const char* key : {"closes", "prices", "highs", "lows"}) {
    EXPECT_TRUE(body["history"][key].back().is_null()) << key;
    EXPECT_TRUE(body["history"][key][50].is_null()) << key;
    EXPECT_TRUE(body["history"][key][0].is_number()) << key;
  }
  EXPECT_TRUE(body["history"]["timestamps"].back().is_number_integer());
  const json data = json::parse(sim->handle("GET", "/api/data").body);
  EXPECT_TRUE(data["history"]["SOL"]["closes"].back().is_null());
  // The parser drops the bad points and keeps the rest.
  const PairPayload parsed = parse_pair_payload(r.body, "ETH");
  EXPECT_EQ(parsed.rejected_points, 2u);
  EXPECT_EQ(parsed.candles.size(), 98u);
}

TEST(CoreSimFaults, DropPairRemovesItEverywhere) {
  auto sim = make_sim();
  sim->set_fault(FaultMode::drop_pair, "eth");
  EXPECT_EQ(sim->fault_pair(), "ETH");
  EXPECT_EQ(json::parse(sim->handle("GET", "/api/pairs").body)["pairs"], json({"BTC", "SOL"}));
  const SimResponse missing = sim->handle("GET", "/api/pair/ETH");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json::parse(missing.body)["availablePairs"], json({"BTC", "SOL"}));
  EXPECT_EQ(sim->handle("GET", "/api/pair/BTC").status, 200);
  const json health = json::parse(sim->handle("GET", "/api/health").body);
  EXPECT_EQ(health["dataCollection"]["pairs"], json({"BTC", "SOL"}));
  EXPECT_FALSE(health["dataCollection"]["dataPointsPerPair"].contains("ETH"));
  const json data = json::parse(sim->handle("GET", "/api/data").body);
  EXPECT_FALSE(data["history"].contains("ETH"));
  EXPECT_FALSE(data["strategyResults"].contains("ETH"));

  sim->set_fault(FaultMode::drop_pair);  // default victim: the first pair
  EXPECT_EQ(sim->handle("GET", "/api/pair/BTC").status, 404);
  EXPECT_EQ(sim->handle("GET", "/api/pair/ETH").status, 200);
  sim->set_fault(FaultMode::none);
  EXPECT_EQ(sim->handle("GET", "/api/pair/BTC").status, 200);
  EXPECT_THROW(sim->set_fault(FaultMode::drop_pair, "XYZ"), std::invalid_argument);
}

TEST(CoreSimFaults, FaultsDoNotMoveTheData) {
  auto sim = make_sim();
  for (const auto& name : fault_mode_names()) {
    sim->set_fault(parse_fault_mode(name));
    for (const auto& path : kApiPaths) sim->handle("GET", path);
  }
  EXPECT_EQ(sim->visible_count("BTC"), 100u);
  sim->set_fault(FaultMode::none);
  EXPECT_NO_THROW(parse_pair_payload(sim->handle("GET", "/api/pair/SOL").body, "SOL"));
}

}  // namespace
}  // namespace tbml
