#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tbml/market/core_payload.h"

namespace tbml {
namespace {

using nlohmann::json;

json good_payload() {
  return json{{"pair", "BTC"},
              {"history",
               {{"closes", {101.0, 102.0, 103.5}},
                {"highs", {105.0, 106.0, 107.0}},
                {"lows", {99.0, 100.0, 101.0}},
                {"prices", {101.0, 102.0, 103.5}},
                {"volumes", {1000.0, 1100.0, 0.0}},
                {"timestamps", {1795215000000LL, 1795215300000LL, 1795215600000LL}}}},
              {"strategies", {{"rsi", {{"value", 55.0}, {"suggestion", "hold"}}}}},
              {"hasEnoughData", true},
              {"timestamp", 1795215700000LL}};
}

std::string reason(const std::string& body, const std::string& expected = "BTC") {
  try {
    parse_pair_payload(body, expected);
  } catch (const PayloadError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(CorePayload, GoodPayload) {
  const PairPayload p = parse_pair_payload(good_payload().dump(), "BTC");
  EXPECT_EQ(p.pair, "BTC");
  ASSERT_EQ(p.candles.size(), 3u);
  EXPECT_EQ(p.candles[1].timestamp, 1795215300000LL);
  EXPECT_DOUBLE_EQ(p.candles[1].close, 102.0);
  EXPECT_DOUBLE_EQ(p.candles[1].high, 106.0);
  EXPECT_DOUBLE_EQ(p.candles[1].low, 100.0);
  EXPECT_DOUBLE_EQ(p.candles[1].volume, 1100.0);
  EXPECT_DOUBLE_EQ(p.candles[1].open, 0.0);  // core has no open
  EXPECT_EQ(p.total_points, 3u);
  EXPECT_EQ(p.rejected_points, 0u);
  EXPECT_TRUE(p.has_strategies);
  EXPECT_TRUE(p.has_enough_data);
  EXPECT_EQ(p.server_timestamp, 1795215700000LL);
}

TEST(CorePayload, MissingStrategiesAndPricesAreFine) {
  json j = good_payload();
  j.erase("strategies");
  j["history"].erase("prices");
  const PairPayload p = parse_pair_payload(j.dump(), "BTC");
  EXPECT_FALSE(p.has_strategies);
  EXPECT_EQ(p.candles.size(), 3u);
}

TEST(CorePayload, EmptyHistoryIsValid) {
  json j = good_payload();
  for (auto& [k, v] : j["history"].items()) v = json::array();
  EXPECT_TRUE(parse_pair_payload(j.dump(), "BTC").candles.empty());
}

TEST(CorePayload, SortsAndDedupesByTimestamp) {
  json j = good_payload();
  j["history"]["timestamps"] = {1795215600000LL, 1795215000000LL, 1795215600000LL};
  const PairPayload p = parse_pair_payload(j.dump(), "BTC");
  ASSERT_EQ(p.candles.size(), 2u);
  EXPECT_EQ(p.candles[0].timestamp, 1795215000000LL);
  EXPECT_DOUBLE_EQ(p.candles[1].close, 103.5);  // later point wins
  EXPECT_EQ(p.duplicate_points, 1u);
}

TEST(CorePayload, TruncatedJson) {
  const std::string body = good_payload().dump();
  EXPECT_TRUE(contains(reason(body.substr(0, body.size() / 2)), "malformed JSON"));
  EXPECT_TRUE(contains(reason(""), "malformed JSON"));
  EXPECT_TRUE(contains(reason("<html>502 Bad Gateway</html>"), "malformed JSON"));
}

TEST(CorePayload, WrongTypes) {
  EXPECT_TRUE(contains(reason("[1,2,3]"), "expected an object"));
  json j = good_payload();
  j["history"] = "none";
  EXPECT_TRUE(contains(reason(j.dump()), "history is a string"));
  j = good_payload();
  j["history"]["closes"] = {{"a", 1}};
  EXPECT_TRUE(contains(reason(j.dump()), "history.closes is an object"));
  j = good_payload();
  j["history"].erase("timestamps");
  EXPECT_TRUE(contains(reason(j.dump()), "history.timestamps is missing"));
  j = good_payload();
  j["pair"] = 5;
  EXPECT_TRUE(contains(reason(j.dump()), "pair is a number"));
  j = good_payload();
  j.erase("history");
  EXPECT_TRUE(contains(reason(j.dump()), "history is missing"));
}

TEST(CorePayload, WrongPair) {
  EXPECT_TRUE(contains(reason(good_payload().dump(), "ETH"), "expected 'ETH'"));
}

TEST(CorePayload, UnequalLengths) {
  json j = good_payload();
  j["history"]["lows"].push_back(98.0);
  EXPECT_TRUE(contains(reason(j.dump()), "unequal array lengths: timestamps has 3, lows has 4"));
  j = good_payload();
  j["history"]["prices"].erase(0);
  EXPECT_TRUE(contains(reason(j.dump()), "prices has 2"));
}

TEST(CorePayload, NumbersAsStringsRejectThePoint) {
  json j = good_payload();
  j["history"]["closes"][1] = "102.0";
  const PairPayload p = parse_pair_payload(j.dump(), "BTC");
  EXPECT_EQ(p.candles.size(), 2u);
  EXPECT_EQ(p.rejected_points, 1u);
  EXPECT_EQ(p.first_rejection, "closes[1] is a string, not a number");
}

TEST(CorePayload, AllPointsBadRejectsThePayload) {
  json j = good_payload();
  for (auto& v : j["history"]["volumes"]) v = std::to_string(v.get<double>());
  EXPECT_TRUE(contains(reason(j.dump()), "no valid points among 3 (first: volumes[0] is a string"));
}

TEST(CorePayload, PointRules) {
  json j = good_payload();
  j["history"]["timestamps"][0] = 1795215000000.5;
  j["history"]["lows"][1] = nullptr;  // what JSON.stringify makes of NaN
  const PairPayload p = parse_pair_payload(j.dump(), "BTC");
  EXPECT_EQ(p.rejected_points, 2u);
  EXPECT_EQ(p.first_rejection, "timestamps[0] is not an integer");
  ASSERT_EQ(p.candles.size(), 1u);

  j = good_payload();
  j["history"]["timestamps"][0] = "1795215000000";
  j["history"]["closes"][1] = -1.0;
  j["history"]["volumes"][2] = -3.0;
  // Every point is bad: the payload itself is rejected, naming the first reason.
  EXPECT_TRUE(contains(reason(j.dump(), ""), "no valid points among 3 (first: timestamps[0] is a string, not an integer)"));

  j = good_payload();
  j["history"]["timestamps"][2] = 1.7952156e12;  // float but integral: accepted
  j["history"]["highs"][0] = true;
  const PairPayload r = parse_pair_payload(j.dump(), "BTC");
  EXPECT_EQ(r.rejected_points, 1u);
  EXPECT_EQ(r.candles.back().timestamp, 1795215600000LL);
  EXPECT_EQ(r.first_rejection, "highs[0] is a boolean, not a number");
}

TEST(CorePayload, PairsList) {
  EXPECT_EQ(parse_pairs_payload(R"({"pairs":["BTC","eth","BTC"],"total":3,"timestamp":1})"),
            (std::vector<std::string>{"BTC", "ETH"}));
  EXPECT_TRUE(parse_pairs_payload(R"({"pairs":[]})").empty());
  EXPECT_THROW(parse_pairs_payload(R"({"pairs":"BTC"})"), PayloadError);
  EXPECT_THROW(parse_pairs_payload(R"({"pairs":["BTC",1]})"), PayloadError);
  EXPECT_THROW(parse_pairs_payload(R"({"pairs":["BTC/USDT"]})"), PayloadError);
  EXPECT_THROW(parse_pairs_payload(R"({"total":1})"), PayloadError);
  EXPECT_THROW(parse_pairs_payload(R"({"pairs":["BTC")"), PayloadError);
}

}  // namespace
}  // namespace tbml
