// CoreSimulator without sockets: payload shapes exactly as docs/core-api.md, the window, the cursor.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tbml/market/core_payload.h"
#include "tbml/sim/core_sim.h"
#include "tbml/sim/market_sim.h"

namespace tbml {
namespace {

using json = nlohmann::json;

std::vector<Candle> synthetic(const std::string& pair, std::size_t n) {
  MarketSimOptions o;
  o.count = n;
  return generate_candles(pair, o);
}

std::shared_ptr<CoreSimulator> make_sim(std::size_t length, CoreSimulatorOptions options = {}) {
  std::vector<CoreSimulator::PairSeries> series{{"BTC", synthetic("BTC", length)},
                                                {"eth", synthetic("ETH", length)}};
  return std::make_shared<CoreSimulator>(std::move(series), options);
}

json get_json(CoreSimulator& sim, const std::string& path, int expected_status = 200) {
  const SimResponse r = sim.handle("GET", path);
  EXPECT_EQ(r.status, expected_status) << path << ": " << r.body.substr(0, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.delivery, SimDelivery::normal);
  return json::parse(r.body);
}

void expect_history_shape(const json& history, const std::vector<Candle>& expected) {
  ASSERT_TRUE(history.is_object());
  EXPECT_EQ(history.size(), 6u) << history.dump().substr(0, 200);  // no `open`, nothing else
  EXPECT_FALSE(history.contains("opens"));
  EXPECT_FALSE(history.contains("open"));
  for (const char* key : {"closes", "highs", "lows", "prices", "volumes", "timestamps"}) {
    ASSERT_TRUE(history.contains(key)) << key;
    ASSERT_TRUE(history[key].is_array()) << key;
    ASSERT_EQ(history[key].size(), expected.size()) << key;
  }
  EXPECT_EQ(history["prices"], history["closes"]);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_TRUE(history["timestamps"][i].is_number_integer());
    EXPECT_EQ(history["timestamps"][i].get<std::int64_t>(), expected[i].timestamp);
    EXPECT_DOUBLE_EQ(history["closes"][i].get<double>(), expected[i].close);
    EXPECT_DOUBLE_EQ(history["highs"][i].get<double>(), expected[i].high);
    EXPECT_DOUBLE_EQ(history["lows"][i].get<double>(), expected[i].low);
    EXPECT_DOUBLE_EQ(history["volumes"][i].get<double>(), expected[i].volume);
  }
}

TEST(CoreSimPayload, PairPayloadHasEveryField) {
  auto sim = make_sim(300, {});
  const json body = get_json(*sim, "/api/pair/BTC");
  EXPECT_EQ(body["pair"], "BTC");
  expect_history_shape(body["history"], sim->visible("BTC"));
  EXPECT_EQ(body["history"]["closes"].size(), 299u);  // default initial = length - 1
  EXPECT_EQ(body["hasEnoughData"], true);
  EXPECT_TRUE(body["timestamp"].is_number_integer());
  EXPECT_GT(body["timestamp"].get<std::int64_t>(), 1'600'000'000'000);
  ASSERT_TRUE(body.contains("strategies"));
  const json& s = body["strategies"];
  EXPECT_EQ(s.size(), 11u);
  for (const char* key : {"rsi", "macd", "bollinger", "ma", "volume", "stochastic", "williamsR", "ichimoku",
                          "adx", "cci", "parabolicSAR"}) {
    ASSERT_TRUE(s.contains(key)) << key;
    EXPECT_TRUE(s[key].contains("suggestion")) << key;
    EXPECT_TRUE(s[key].contains("confidence")) << key;
  }
  EXPECT_EQ(body.size(), 5u);  // pair, history, strategies, hasEnoughData, timestamp
}

TEST(CoreSimPayload, PairLookupIsCaseInsensitive) {
  auto sim = make_sim(100, {});
  EXPECT_EQ(get_json(*sim, "/api/pair/eth")["pair"], "ETH");
  EXPECT_EQ(get_json(*sim, "/api/pair/Btc")["pair"], "BTC");
}

TEST(CoreSimPayload, StrategiesAbsentBelowFifteenPointsAndEnoughDataFrom52) {
  CoreSimulatorOptions o;
  o.initial = 14;
  auto sim = make_sim(100, o);
  json body = get_json(*sim, "/api/pair/BTC");
  EXPECT_EQ(body["history"]["closes"].size(), 14u);
  EXPECT_FALSE(body.contains("strategies"));
  EXPECT_EQ(body["hasEnoughData"], false);

  sim->advance(1);
  body = get_json(*sim, "/api/pair/BTC");
  EXPECT_EQ(body["history"]["closes"].size(), 15u);
  ASSERT_TRUE(body.contains("strategies"));
  EXPECT_EQ(body["strategies"].size(), 11u);
  EXPECT_EQ(body["hasEnoughData"], false);

  sim->advance(36);
  EXPECT_EQ(get_json(*sim, "/api/pair/BTC")["hasEnoughData"], false);  // 51 points
  sim->advance(1);
  EXPECT_EQ(get_json(*sim, "/api/pair/BTC")["hasEnoughData"], true);  // 52 points
}

TEST(CoreSimPayload, UnknownPairIs404WithAvailablePairs) {
  auto sim = make_sim(50, {});
  const json body = get_json(*sim, "/api/pair/doge", 404);
  EXPECT_EQ(body["error"], "Pair not found");
  EXPECT_EQ(body["pair"], "DOGE");
  EXPECT_EQ(body["availablePairs"], json({"BTC", "ETH"}));
  EXPECT_TRUE(body["timestamp"].is_number_integer());
}

TEST(CoreSimPayload, PairsHealthAndData) {
  auto sim = make_sim(60, {});
  const json pairs = get_json(*sim, "/api/pairs");
  EXPECT_EQ(pairs["pairs"], json({"BTC", "ETH"}));
  EXPECT_EQ(pairs["total"], 2);
  EXPECT_TRUE(pairs["timestamp"].is_number_integer());
  EXPECT_EQ(pairs.size(), 3u);

  const json health = get_json(*sim, "/api/health");
  EXPECT_EQ(health["status"], "healthy");
  const json& dc = health["dataCollection"];
  EXPECT_EQ(dc["isCollecting"], true);
  EXPECT_EQ(dc["totalDataPoints"], 118);
  EXPECT_EQ(dc["pairs"], json({"BTC", "ETH"}));
  EXPECT_EQ(dc["dataPointsPerPair"], json({{"BTC", 59}, {"ETH", 59}}));
  EXPECT_TRUE(health["timestamp"].is_number_integer());

  const json data = get_json(*sim, "/api/data");
  EXPECT_EQ(data["pairs"], json({"BTC", "ETH"}));
  expect_history_shape(data["history"]["BTC"], sim->visible("BTC"));
  expect_history_shape(data["history"]["ETH"], sim->visible("ETH"));
  EXPECT_EQ(data["strategyResults"]["BTC"].size(), 11u);
  EXPECT_EQ(data["strategyResults"]["ETH"].size(), 11u);
  EXPECT_TRUE(data["stats"].is_object());
  EXPECT_EQ(data["status"], "running");
  EXPECT_TRUE(data["lastUpdate"].is_string());
  EXPECT_EQ(data["lastUpdate"].get<std::string>().size(), 24u);  // 2024-01-01T00:00:00.000Z
  EXPECT_TRUE(data["timestamp"].is_number_integer());
}

TEST(CoreSimPayload, DataOmitsStrategiesOfShortPairs) {
  CoreSimulatorOptions o;
  o.initial = 10;
  auto sim = make_sim(60, o);
  const json data = get_json(*sim, "/api/data");
  EXPECT_EQ(data["strategyResults"], json::object());
  EXPECT_EQ(data["history"]["BTC"]["closes"].size(), 10u);
}

TEST(CoreSimPayload, WindowCappedAndAdvancingDropsTheOldest) {
  CoreSimulatorOptions o;
  o.window = 1440;
  auto sim = make_sim(1500, o);
  const auto all = synthetic("BTC", 1500);
  auto w = sim->visible("BTC");
  ASSERT_EQ(w.size(), 1440u);
  EXPECT_EQ(w.front().timestamp, all[0].timestamp);
  EXPECT_EQ(w.back().timestamp, all[1439].timestamp);

  sim->advance(3);
  w = sim->visible("BTC");
  ASSERT_EQ(w.size(), 1440u);
  EXPECT_EQ(w.front().timestamp, all[3].timestamp);
  EXPECT_EQ(w.back().timestamp, all[1442].timestamp);
  const json body = get_json(*sim, "/api/pair/BTC");
  EXPECT_EQ(body["history"]["timestamps"].size(), 1440u);
  EXPECT_EQ(body["history"]["timestamps"].back().get<std::int64_t>(), all[1442].timestamp);

  sim->advance(1000);  // past the end: the series stops at its last candle
  w = sim->visible("BTC");
  EXPECT_EQ(w.back().timestamp, all.back().timestamp);
  EXPECT_EQ(w.size(), 1440u);
}

TEST(CoreSimPayload, SmallWindowGrowsThenSlides) {
  CoreSimulatorOptions o;
  o.window = 20;
  o.initial = 18;
  auto sim = make_sim(100, o);
  EXPECT_EQ(sim->visible_count("BTC"), 18u);
  sim->advance(1);
  EXPECT_EQ(sim->visible_count("BTC"), 19u);
  sim->advance(5);
  EXPECT_EQ(sim->visible_count("BTC"), 20u);
}

TEST(CoreSimPayload, AdvancePerRequestMovesOnlyTheRequestedPair) {
  CoreSimulatorOptions o;
  o.initial = 100;
  o.advance_per_request = true;
  auto sim = make_sim(500, o);
  EXPECT_EQ(get_json(*sim, "/api/pair/BTC")["history"]["closes"].size(), 100u);
  EXPECT_EQ(get_json(*sim, "/api/pair/BTC")["history"]["closes"].size(), 101u);
  EXPECT_EQ(get_json(*sim, "/api/pair/ETH")["history"]["closes"].size(), 100u);
  get_json(*sim, "/api/health");  // not a data request
  EXPECT_EQ(sim->visible_count("BTC"), 102u);
  get_json(*sim, "/api/data");  // every pair
  EXPECT_EQ(sim->visible_count("BTC"), 103u);
  EXPECT_EQ(sim->visible_count("ETH"), 102u);
}

TEST(CoreSimPayload, WallClockAdvanceIsLazyAndExact) {
  std::int64_t fake_now = 1'000'000;
  CoreSimulatorOptions o;
  o.initial = 100;
  o.step_ms = 5000;
  std::vector<CoreSimulator::PairSeries> series{{"BTC", synthetic("BTC", 400)}};
  CoreSimulator sim(std::move(series), o, [&fake_now] { return fake_now; });
  EXPECT_EQ(sim.visible_count("BTC"), 100u);
  fake_now += 4999;
  EXPECT_EQ(sim.visible_count("BTC"), 100u);
  fake_now += 1;
  EXPECT_EQ(sim.visible_count("BTC"), 101u);
  fake_now += 5000 * 7 + 10;
  EXPECT_EQ(get_json(sim, "/api/pair/BTC")["history"]["closes"].size(), 108u);
}

TEST(CoreSimPayload, ControlRoutes) {
  CoreSimulatorOptions o;
  o.initial = 30;
  auto sim = make_sim(100, o);
  SimResponse r = sim->handle("POST", "/sim/advance", R"({"n":5})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["dataPointsPerPair"]["BTC"], 35);
  EXPECT_EQ(sim->handle("POST", "/sim/advance", "").status, 200);  // default n = 1
  EXPECT_EQ(sim->visible_count("ETH"), 36u);
  EXPECT_EQ(sim->handle("POST", "/sim/advance", R"({"n":-1})").status, 400);
  EXPECT_EQ(sim->handle("POST", "/sim/advance", R"({"n":"3"})").status, 400);
  EXPECT_EQ(sim->handle("POST", "/sim/advance", "not json").status, 400);

  r = sim->handle("POST", "/sim/fault", R"({"mode":"garbage"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(sim->fault(), FaultMode::garbage);
  r = sim->handle("POST", "/sim/fault", R"({"mode":"explode"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["validModes"].size(), fault_mode_names().size());
  EXPECT_EQ(sim->handle("POST", "/sim/fault", R"({"mode":"drop_pair","pair":"XYZ"})").status, 400);
  EXPECT_EQ(sim->fault(), FaultMode::garbage);  // a rejected request changes nothing

  const json state = json::parse(sim->handle("GET", "/sim/state").body);
  EXPECT_EQ(state["fault"], "garbage");
  EXPECT_EQ(state["pairs"]["BTC"]["visible"], 36);
  EXPECT_EQ(state["pairs"]["BTC"]["length"], 100);
}

TEST(CoreSimPayload, UnknownRoutesAreJson404) {
  auto sim = make_sim(30, {});
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/nope"},
                                                        {"GET", "/api/pair/BTC/extra"},
                                                        {"GET", "/api/pair/"},
                                                        {"POST", "/api/health"},
                                                        {"DELETE", "/api/pairs"},
                                                        {"GET", "/sim/fault"}}) {
    const SimResponse r = sim->handle(method, path);
    EXPECT_EQ(r.status, 404) << method << " " << path;
    const json body = json::parse(r.body);
    EXPECT_EQ(body["error"], "Endpoint not found");
  }
}

TEST(CoreSimPayload, RejectsInvalidConstruction) {
  using PS = CoreSimulator::PairSeries;
  EXPECT_THROW(CoreSimulator({}, {}), std::invalid_argument);
  EXPECT_THROW(CoreSimulator({PS{"BTC", {}}}, {}), std::invalid_argument);
  EXPECT_THROW(CoreSimulator({PS{"B/TC", synthetic("BTC", 10)}}, {}), std::invalid_argument);
  EXPECT_THROW(CoreSimulator({PS{"BTC", synthetic("BTC", 10)}, PS{"btc", synthetic("BTC", 10)}}, {}),
               std::invalid_argument);
  auto unsorted = synthetic("BTC", 10);
  std::swap(unsorted[2], unsorted[3]);
  EXPECT_THROW(CoreSimulator({PS{"BTC", unsorted}}, {}), std::invalid_argument);
  auto bad_price = synthetic("BTC", 10);
  bad_price[4].close = -1;
  EXPECT_THROW(CoreSimulator({PS{"BTC", bad_price}}, {}), std::invalid_argument);
  CoreSimulatorOptions o;
  o.window = 10;
  o.initial = 11;
  EXPECT_THROW(CoreSimulator({PS{"BTC", synthetic("BTC", 50)}}, o), std::invalid_argument);
  o.window = 0;
  o.initial.reset();
  EXPECT_THROW(CoreSimulator({PS{"BTC", synthetic("BTC", 50)}}, o), std::invalid_argument);
}

// Contract check across stages: the market stage's parser accepts what the simulator serves.
TEST(CoreSimPayload, MarketParserAcceptsTheSimulatedPayload) {
  auto sim = make_sim(200, {});
  const SimResponse r = sim->handle("GET", "/api/pair/ETH");
  const PairPayload parsed = parse_pair_payload(r.body, "ETH");
  EXPECT_EQ(parsed.pair, "ETH");
  EXPECT_EQ(parsed.candles.size(), 199u);
  EXPECT_EQ(parsed.rejected_points, 0u);
  EXPECT_TRUE(parsed.has_strategies);
  EXPECT_TRUE(parsed.has_enough_data);
  EXPECT_DOUBLE_EQ(parsed.candles.back().close, sim->visible("ETH").back().close);
  EXPECT_EQ(parse_pairs_payload(sim->handle("GET", "/api/pairs").body),
            (std::vector<std::string>{"BTC", "ETH"}));
}

}  // namespace
}  // namespace tbml
