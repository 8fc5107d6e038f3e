#include <gtest/gtest.h>

#include "tbml/api/routes.h"
#include "tbml/service/api_error.h"

using namespace tbml;

namespace {

RouteTable sample() {
  RouteTable t;
  auto h = [](const RouteRequest&) { return RouteResponse{}; };
  t.add(Route{"GET", "/api/predictions/:pair", "", false, h, {}});
  t.add(Route{"GET", "/api/predictions/:pair/history", "", false, h, {}});
  t.add(Route{"POST", "/api/train/:pair/ensemble", "", false, h, {}});
  t.add(Route{"POST", "/api/train/:pair/:modelType", "", false, h, {}});
  t.add(Route{"GET", "/api/health", "", true, h, {}});
  return t;
}

RouteRequest with_query(std::multimap<std::string, std::string> q) {
  RouteRequest r;
  r.query = std::move(q);
  return r;
}

}  // namespace

TEST(Routes, MatchesPathParameters) {
  auto t = sample();
  auto m = t.match("GET", "/api/predictions/btc/history");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->label, "/api/predictions/:pair/history");
  EXPECT_EQ(m.params.at("pair"), "btc");
}

TEST(Routes, LiteralRouteWinsWhenListedFirst) {
  auto t = sample();
  auto m = t.match("POST", "/api/train/BTC/ensemble");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->label, "/api/train/:pair/ensemble");
  auto single = t.match("POST", "/api/train/BTC/lstm");
  ASSERT_NE(single.route, nullptr);
  EXPECT_EQ(single.params.at("modelType"), "lstm");
}

TEST(Routes, TrailingSlashAndHeadMapToGet) {
  auto t = sample();
  EXPECT_NE(t.match("GET", "/api/health/").route, nullptr);
  EXPECT_NE(t.match("HEAD", "/api/health").route, nullptr);
}

TEST(Routes, KnownPathWithOtherMethodListsAllowedMethods) {
  auto t = sample();
  auto m = t.match("DELETE", "/api/predictions/BTC");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allowed_methods, "GET, OPTIONS");
  auto unknown = t.match("GET", "/api/unknown");
  EXPECT_EQ(unknown.route, nullptr);
  EXPECT_TRUE(unknown.allowed_methods.empty());
}

TEST(Routes, QueryIntegersAreValidated) {
  EXPECT_EQ(query_int(with_query({}), "limit", 100, 1, 10000), 100u);
  EXPECT_EQ(query_int(with_query({{"limit", "25"}}), "limit", 100, 1, 10000), 25u);
  for (const char* bad : {"0", "10001", "-1", "abc", "", "12abc", "1e3", "99999999999999999999"}) {
    EXPECT_THROW(query_int(with_query({{"limit", bad}}), "limit", 100, 1, 10000), ApiError) << bad;
  }
  EXPECT_THROW(query_value(with_query({{"strategy", "a"}, {"strategy", "b"}}), "strategy"), ApiError);
}

TEST(Routes, JsonBodiesAreValidated) {
  RouteRequest r;
  r.body = "";
  EXPECT_TRUE(parse_json_body(r, true).empty());
  EXPECT_THROW(parse_json_body(r, false), ApiError);
  r.body = "{\"a\":1";
  try {
    parse_json_body(r, true);
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(e.error(), "Invalid JSON");
  }
  r.body = "[1,2]";
  EXPECT_THROW(parse_json_body(r, true), ApiError);
  r.body = "{\"epochs\": 3}";
  EXPECT_EQ(parse_json_body(r, true)["epochs"], 3);
}

TEST(Routes, PairNamesAreNormalisedOrRejected) {
  EXPECT_EQ(normalize_pair("btc"), "BTC");
  EXPECT_EQ(normalize_pair("1000shib"), "1000SHIB");
  for (const char* bad : {"", "B", "BTC/USDT", "../etc", "BTC-USD", "ABCDEFGHIJKLMNOPQRSTU", "BTC\n", "ÄBC"}) {
    EXPECT_THROW(normalize_pair(bad), ApiError) << bad;
  }
}

TEST(Routes, ErrorBodyHasContractFields) {
  auto body = error_body(404, "Pair not found", "Pair X is not tracked", {{"pair", "X"}});
  EXPECT_EQ(body["error"], "Pair not found");
  EXPECT_EQ(body["message"], "Pair X is not tracked");
  EXPECT_TRUE(body["timestamp"].is_number_integer());
  EXPECT_EQ(body["pair"], "X");
}

TEST(Routes, EmptySegmentsAreSkippedAndLongPathsMatchNothing) {
  auto t = sample();
  auto m = t.match("GET", "//api///predictions/ETH//");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->label, "/api/predictions/:pair");
  EXPECT_EQ(m.params.at("pair"), "ETH");
  // More segments than any route has: not split beyond the limit, no route, no methods to offer.
  auto deep = t.match("GET", "/api/predictions/BTC/history/a/b/c/d/e/f/g/h/i");
  EXPECT_EQ(deep.route, nullptr);
  EXPECT_TRUE(deep.allowed_methods.empty());
  // A request for another route's prefix binds no parameters of a route that did not match.
  auto partial = t.match("GET", "/api/predictions");
  EXPECT_EQ(partial.route, nullptr);
  EXPECT_TRUE(partial.params.empty());
}

TEST(Routes, RoutesDeeperThanTheMatcherAreRefused) {
  RouteTable t;
  auto h = [](const RouteRequest&) { return RouteResponse{}; };
  EXPECT_THROW(t.add(Route{"GET", "/a/b/c/d/e/f/g/h/i", "", false, h, {}}), std::logic_error);
  EXPECT_NO_THROW(t.add(Route{"GET", "/a/b/c/d/e/f/g/h", "", false, h, {}}));
  EXPECT_NE(t.match("GET", "/a/b/c/d/e/f/g/h").route, nullptr);
}
