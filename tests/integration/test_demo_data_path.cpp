// End to end: `tbml serve --demo` polls its in-process core simulator over loopback and serves features.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "service_fixture.h"

using namespace tbml::testing;

class DemoDataPath : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    service_ = new DemoService({"--set", "training.autoTrain=false", "--set", "demo.pairs=BTC,ETH"});
    ASSERT_TRUE(service_->wait_healthy()) << service_->log();
    // Both pairs: the poller fetches them one after the other, each a 4,000-point payload.
    bool ready = wait_until(
        [] {
          return get(service_->port(), "/api/features/BTC").status == 200 &&
                 get(service_->port(), "/api/features/ETH").status == 200;
        },
        std::chrono::seconds(30));
    ASSERT_TRUE(ready) << service_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(service_->process().stop(), 0) << service_->log();
    delete service_;
  }
  static DemoService* service_;
};
DemoService* DemoDataPath::service_ = nullptr;

// Cross-pair columns: ETH's come from BTC's candle at the same timestamp; BTC's own are "not available"
// with the reason, while `values` stays numeric for the contract.
TEST_F(DemoDataPath, FeaturesShowTheReferencePair) {
  const auto eth = get(service_->port(), "/api/features/ETH");
  ASSERT_EQ(eth.status, 200) << eth.raw;
  const auto& ref = eth.body["reference"];
  EXPECT_EQ(ref["pair"], "BTC");
  EXPECT_EQ(ref["status"], "available") << eth.raw;
  EXPECT_TRUE(ref["available"].get<bool>());
  EXPECT_TRUE(ref["reason"].is_null());
  EXPECT_EQ(ref["values"]["ref_available"], 1.0);
  EXPECT_TRUE(ref["values"]["ref_ret_log_24"].is_number());
  const auto btc = get(service_->port(), "/api/features/BTC");
  ASSERT_EQ(btc.status, 200) << btc.raw;
  EXPECT_EQ(btc.body["reference"]["status"], "is_reference");
  EXPECT_FALSE(btc.body["reference"]["available"].get<bool>());
  EXPECT_TRUE(btc.body["reference"]["reason"].is_string());
  EXPECT_EQ(btc.body["reference"]["values"]["ref_ret_log_1"], "not available");
  EXPECT_EQ(btc.body["reference"]["values"]["ref_available"], 0.0);
}

TEST_F(DemoDataPath, FeaturesAreNamedFiniteAndAtLeast84) {
  auto r = get(service_->port(), "/api/features/btc");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["pair"], "BTC");
  const auto& f = r.body["features"];
  ASSERT_GE(f["count"].get<int>(), 84);
  ASSERT_EQ(f["names"].size(), f["values"].size());
  ASSERT_EQ(f["count"].get<std::size_t>(), f["values"].size());
  std::set<std::string> names;
  for (const auto& n : f["names"]) names.insert(n.get<std::string>());
  EXPECT_EQ(names.size(), f["names"].size()) << "feature names must be unique";
  for (const auto& v : f["values"]) {
    ASSERT_TRUE(v.is_number()) << v;
    EXPECT_TRUE(std::isfinite(v.get<double>()));
  }
  EXPECT_GE(r.body["dataPoints"].get<int>(), 1000) << "the simulator exposes a 1440-point window";
  EXPECT_TRUE(r.body["timestamp"].is_number_integer());
}

TEST_F(DemoDataPath, HealthReportsUpstreamAndPairs) {
  auto r = get(service_->port(), "/api/health");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.body["status"] == "healthy" || r.body["status"] == "degraded") << r.raw;
  EXPECT_TRUE(r.body["upstream"]["reachable"].get<bool>()) << r.raw;
  EXPECT_TRUE(r.body["pairs"].contains("BTC"));
  EXPECT_TRUE(r.body["pairs"].contains("ETH"));
  EXPECT_GT(r.body["pairs"]["BTC"]["dataPoints"].get<int>(), 0);
  EXPECT_TRUE(r.body.contains("uptime"));
  EXPECT_TRUE(r.body.contains("training"));
  EXPECT_TRUE(r.body.contains("storage"));
  EXPECT_EQ(r.body["models"]["enabled"].size(), 5u);
}

TEST_F(DemoDataPath, SelfDescriptionListsContractRoutes) {
  auto r = get(service_->port(), "/api");
  ASSERT_EQ(r.status, 200);
  std::set<std::string> routes;
  for (const auto& x : r.body["routes"]) routes.insert(x["method"].get<std::string>() + " " + x["path"].get<std::string>());
  for (const char* expected :
       {"GET /api/health", "GET /api", "GET /api/predictions", "GET /api/predictions/:pair",
        "GET /api/predictions/:pair/history", "GET /api/features/:pair", "POST /api/train/:pair/ensemble",
        "POST /api/train/:pair/:modelType", "GET /api/training/queue", "GET /api/models/:pair/status",
        "GET /api/models/:pair/compare", "GET /api/models/:pair/:modelType/predict",
        "POST /api/models/:pair/rebuild", "GET /api/ensemble/:pair/stats", "POST /api/ensemble/:pair/weights",
        "GET /api/storage/stats", "POST /api/storage/save", "POST /api/storage/cleanup"}) {
    EXPECT_TRUE(routes.count(expected)) << expected;
  }
}

TEST_F(DemoDataPath, ErrorsUseTheContractShape) {
  auto unknown_route = get(service_->port(), "/api/nope");
  EXPECT_EQ(unknown_route.status, 404);
  EXPECT_TRUE(is_contract_error(unknown_route)) << unknown_route.raw;

  auto bad_pair = get(service_->port(), "/api/features/B$C");
  EXPECT_EQ(bad_pair.status, 400);
  EXPECT_TRUE(is_contract_error(bad_pair)) << bad_pair.raw;

  auto too_long = get(service_->port(), "/api/features/ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  EXPECT_EQ(too_long.status, 400);

  auto unknown_pair = get(service_->port(), "/api/features/DOGE");
  EXPECT_EQ(unknown_pair.status, 404);
  EXPECT_TRUE(is_contract_error(unknown_pair)) << unknown_pair.raw;
  EXPECT_TRUE(unknown_pair.body["availablePairs"].is_array());

  auto wrong_method = request(service_->port(), "DELETE", "/api/features/BTC");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_TRUE(is_contract_error(wrong_method)) << wrong_method.raw;
}

TEST_F(DemoDataPath, NoModelMeansServiceUnavailableNotANumber) {
  auto r = get(service_->port(), "/api/predictions/BTC");
  EXPECT_EQ(r.status, 503) << r.raw;
  EXPECT_EQ(r.body["error"], "Models not ready");
  EXPECT_TRUE(r.body.contains("training"));
  EXPECT_FALSE(r.body.contains("prediction"));
}

TEST_F(DemoDataPath, CorsHeadersAndPreflight) {
  httplib::Client cli("127.0.0.1", service_->port());
  cli.set_read_timeout(5, 0);
  auto r = cli.Get("/api/health", {{"Origin", "http://dashboard.local"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "*");
  auto pre = cli.Options("/api/train/BTC/ensemble",
                         {{"Origin", "http://dashboard.local"}, {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(pre);
  EXPECT_EQ(pre->status, 204);
  EXPECT_NE(pre->get_header_value("Access-Control-Allow-Methods").find("POST"), std::string::npos);
}

TEST_F(DemoDataPath, NewCandlesKeepArriving) {
  auto first = get(service_->port(), "/api/features/BTC");
  ASSERT_EQ(first.status, 200);
  bool advanced = wait_until(
      [&] {
        auto now = get(service_->port(), "/api/features/BTC");
        return now.status == 200 && now.body["dataTimestamp"] != first.body["dataTimestamp"];
      },
      std::chrono::seconds(20));
  EXPECT_TRUE(advanced) << "the simulator advances one candle per demo.stepMs";
}
