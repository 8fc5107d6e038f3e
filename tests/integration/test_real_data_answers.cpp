// Issue #18 on real candles: `serve --demo --csv` replaying the last 1,500 hours of the shared BTC file
// (1,000 at start, then one more every 300 ms) answers 200 once training has run, with the direction edge (real or none, with the numbers) and the
// volatility forecast, whose outcomes then resolve into realised skill. Skips when ../shared is absent.
#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <fstream>

#include "service_fixture.h"

using namespace tbml::testing;

namespace {

std::string last_rows(const std::string& from, const std::string& to, std::size_t rows) {
  std::ifstream in(from);
  std::string header, line;
  std::getline(in, header);
  std::deque<std::string> tail;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (tail.size() > rows) tail.pop_front();
  }
  std::ofstream out(to);
  out << header << "\n";
  for (const auto& l : tail) out << l << "\n";
  return to;
}

TEST(RealDataAnswers, TrainedPairAnswers200WithEdgeAndVolatility) {
  const std::string source = std::string(TBML_SHARED_DATA_DIR) + "/BTCUSDT_1h.csv";
  if (!std::filesystem::exists(source)) GTEST_SKIP() << "no shared market data at " << source;
  const std::string dir = make_temp_dir("tbml-real");
  const std::string csv = last_rows(source, dir + "/btc.csv", 1500);
  // The trees train in about a second, so the honest answer is reachable within the test's budget.
  DemoService service({"--csv", "BTC=" + csv, "--set", "ml.enabledModels=xgboost", "--set", "demo.stepMs=300",
                       "--set", "demo.pollIntervalMs=150", "--set", "demo.initial=1000"},
                      dir);
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  const int port = service.port();

  // Before training has finished: 503 with the training state (404 before the first poll), never a number.
  auto early = get(port, "/api/predictions/BTC");
  if (early.status != 200) {
    EXPECT_TRUE(early.status == 503 || early.status == 404) << early.raw;
    EXPECT_TRUE(is_contract_error(early)) << early.raw;
  }
  JsonReply r;
  bool served = wait_until(
      [&] {
        r = get(port, "/api/predictions/BTC");
        return r.status == 200 && r.body["volatility"]["available"] == true;
      },
      std::chrono::seconds(120));
  ASSERT_TRUE(served) << r.raw << service.log();

  const auto& p = r.body["prediction"];
  ASSERT_TRUE(p["edge"] == "real" || p["edge"] == "none") << r.raw;
  EXPECT_FALSE(p["edgeReason"].get<std::string>().empty());
  EXPECT_TRUE(p["ensemble"]["edges"]["xgboost"]["modelBrier"].is_number()) << r.raw;
  EXPECT_TRUE(p["ensemble"]["edges"]["xgboost"]["lower"].is_number()) << r.raw;
  if (p["edge"] == "none") {
    EXPECT_EQ(p["signal"], "HOLD");
    EXPECT_EQ(p["confidence"], 0.0);
    EXPECT_EQ(r.body["predictions"]["confidence"], 0.0);
    EXPECT_EQ(p["source"], "base-rate");
  }
  const auto& v = r.body["volatility"];
  EXPECT_EQ(v["horizon"], 5);
  EXPECT_GT(v["variance"].get<double>(), 0.0);
  EXPECT_LT(v["interval80"]["lower"].get<double>(), v["interval80"]["upper"].get<double>()) << v;
  EXPECT_LT(v["interval80"]["lowerMultiplier"].get<double>(), 1.0) << v;
  EXPECT_GT(v["interval80"]["upperMultiplier"].get<double>(), 1.0) << v;
  EXPECT_FALSE(v["member"].get<std::string>().empty());
  EXPECT_TRUE(v["skill"]["vsEwma"].is_number()) << v;

  auto compare = get(port, "/api/models/BTC/compare");
  ASSERT_EQ(compare.status, 200) << compare.raw;
  EXPECT_TRUE(compare.body["volatility"]["candidates"]["garch"]["test"]["qlike"].is_number()) << compare.raw;
  EXPECT_TRUE(compare.body["volatility"]["candidates"]["ewma"]["test"]["coverage80"].is_number()) << compare.raw;
  // serve registers the GRU candidate, so the daemon's volatility training fits and scores it too.
  EXPECT_TRUE(compare.body["volatility"]["candidates"]["network"]["test"]["qlike"].is_number()) << compare.raw;

  auto features = get(port, "/api/features/BTC");
  ASSERT_EQ(features.status, 200);
  EXPECT_EQ(features.body["importance"]["model"], "xgboost") << features.raw.substr(0, 500);
  EXPECT_GT(features.body["importance"]["features"].size(), 0u);

  // Five candles after a forecast its realised variance is known (one candle every 300 ms).
  JsonReply stats;
  bool resolved = wait_until(
      [&] {
        stats = get(port, "/api/ensemble/BTC/stats");
        return stats.status == 200 && stats.body["volatility"]["realised"]["count"].get<int>() > 0;
      },
      std::chrono::seconds(30));
  ASSERT_TRUE(resolved) << stats.raw;
  const auto& realised = stats.body["volatility"]["realised"];
  EXPECT_TRUE(realised["qlike"].is_number());
  EXPECT_TRUE(realised["qlikeEwma"].is_number());
  EXPECT_GE(realised["coverage80"].get<double>(), 0.0);

  auto status = get(port, "/api/models/BTC/status");
  ASSERT_EQ(status.status, 200);
  EXPECT_EQ(status.body["volatility"]["state"], "ready") << status.raw;
  EXPECT_TRUE(status.body["models"]["xgboost"]["edge"].is_object()) << status.raw;
  auto storage = get(port, "/api/storage/stats");
  ASSERT_EQ(storage.status, 200);
}

}  // namespace
