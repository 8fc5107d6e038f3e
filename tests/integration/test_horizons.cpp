// Several horizons (issue #18): `serve --demo` with ml.horizons = 1, 5 (default answer 5) and the trees
// only trains a model per horizon, stored under its own type (xgboost, xgboost_h1), and answers each
// `?horizon=N` with that horizon's models; an unconfigured horizon is a 400 naming the valid ones, and
// each horizon's outcomes resolve into its own history rows.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "service_fixture.h"

using namespace tbml::testing;

namespace {

bool answers(const JsonReply& r) { return r.status == 200 && r.body.is_object(); }

TEST(Horizons, EachHorizonIsItsOwnTarget) {
  DemoService service({"--set", "ml.horizons=1,5", "--set", "demo.pairs=BTC", "--set", "ml.enabledModels=xgboost",
                       "--set", "demo.initial=900", "--set", "training.maxCandles=900", "--set", "demo.stepMs=250",
                       "--set", "demo.pollIntervalMs=100"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  const int port = service.port();

  JsonReply h1, h5;
  ASSERT_TRUE(wait_until(
      [&] {
        h1 = get(port, "/api/predictions/BTC?horizon=1");
        h5 = get(port, "/api/predictions/BTC?horizon=5");
        return answers(h1) && answers(h5);
      },
      std::chrono::seconds(90)))
      << h1.raw << "\n" << h5.raw << "\n" << service.log();
  EXPECT_EQ(h1.body["horizon"], 1);
  EXPECT_EQ(h1.body["prediction"]["metadata"]["horizon"], 1) << h1.raw;
  EXPECT_EQ(h5.body["horizon"], 5);
  EXPECT_EQ(h5.body["prediction"]["metadata"]["horizon"], 5) << h5.raw;
  ASSERT_EQ(h1.body["horizons"].size(), 2u) << h1.raw;
  EXPECT_EQ(h1.body["horizons"][0]["horizon"], 1);
  EXPECT_EQ(h1.body["horizons"][1]["default"], true);

  // The default answer is ml.horizon's, with today's fields.
  const JsonReply plain = get(port, "/api/predictions/BTC");
  ASSERT_EQ(plain.status, 200) << plain.raw;
  EXPECT_EQ(plain.body["prediction"]["metadata"]["horizon"], 5);
  EXPECT_TRUE(plain.body.contains("predictions")) << plain.raw;
  EXPECT_TRUE(plain.body["prediction"].contains("signal")) << plain.raw;

  // Each horizon's own model: its own status, stored under its own type.
  const JsonReply s1 = get(port, "/api/models/BTC/status?horizon=1");
  const JsonReply s5 = get(port, "/api/models/BTC/status");
  ASSERT_EQ(s1.status, 200) << s1.raw;
  EXPECT_EQ(s1.body["horizon"], 1);
  EXPECT_EQ(s5.body["horizon"], 5);
  EXPECT_TRUE(std::filesystem::exists(service.storage() + "/models/BTC/xgboost_h1")) << service.log();
  EXPECT_TRUE(std::filesystem::exists(service.storage() + "/models/BTC/xgboost")) << service.log();
  EXPECT_EQ(get(port, "/api/ensemble/BTC/stats?horizon=1").body["horizon"], 1);
  EXPECT_EQ(get(port, "/api/models/BTC/compare?horizon=1").body["horizon"], 1);
  EXPECT_EQ(get(port, "/api/predictions?horizon=1").body["horizon"], 1);

  // Not configured, or not a horizon: the contract's 400, listing the configured ones.
  for (const std::string bad : {"7", "x", "0"}) {
    for (const std::string path : {"/api/predictions/BTC", "/api/predictions", "/api/models/BTC/status",
                                   "/api/models/BTC/xgboost/predict", "/api/predictions/BTC/history"}) {
      const JsonReply r = get(port, path + "?horizon=" + bad);
      EXPECT_EQ(r.status, 400) << path << " " << r.raw;
      EXPECT_TRUE(is_contract_error(r)) << r.raw;
      EXPECT_EQ(r.body["validHorizons"], nlohmann::json({1, 5})) << r.raw;
    }
  }
  const JsonReply train7 = request(port, "POST", "/api/train/BTC/xgboost", R"({"horizon":7})");
  EXPECT_EQ(train7.status, 400) << train7.raw;
  EXPECT_EQ(train7.body["validHorizons"], nlohmann::json({1, 5})) << train7.raw;
  const JsonReply train1 = request(port, "POST", "/api/train/BTC/xgboost?horizon=1", "");
  EXPECT_EQ(train1.status, 202) << train1.raw;
  EXPECT_EQ(train1.body["horizon"], 1) << train1.raw;

  // Outcomes: horizon 1's predictions resolve after one candle, into rows of horizon 1 only.
  JsonReply hist1;
  ASSERT_TRUE(wait_until(
      [&] {
        hist1 = get(port, "/api/predictions/BTC/history?horizon=1&model=ensemble&limit=50");
        if (hist1.status != 200) return false;
        for (const auto& row : hist1.body["history"])
          if (!row["outcome"].is_null()) return true;
        return false;
      },
      std::chrono::seconds(30)))
      << hist1.raw;
  EXPECT_EQ(hist1.body["horizon"], 1);
  for (const auto& row : hist1.body["history"]) EXPECT_EQ(row["horizon"], 1) << row;
  JsonReply hist5;
  ASSERT_TRUE(wait_until(
      [&] {
        hist5 = get(port, "/api/predictions/BTC/history?model=ensemble&limit=50");
        if (hist5.status != 200) return false;
        for (const auto& row : hist5.body["history"])
          if (!row["outcome"].is_null()) return true;
        return false;
      },
      std::chrono::seconds(30)))
      << hist5.raw;
  EXPECT_EQ(hist5.body["horizon"], 5);
  for (const auto& row : hist5.body["history"]) EXPECT_EQ(row["horizon"], 5) << row;
  // Horizon 1's outcome is known four candles before horizon 5's for the same candle: read horizon 5
  // first, so every candle it has resolved must be resolved at horizon 1 too.
  // (Candles before horizon 1's first model have no horizon-1 row: wait for one both resolved.)
  std::size_t compared = 0;
  JsonReply later5, later1;
  wait_until(
      [&] {
        later5 = get(port, "/api/predictions/BTC/history?horizon=5&model=ensemble&limit=20");
        later1 = get(port, "/api/predictions/BTC/history?horizon=1&model=ensemble&limit=40");
        std::map<std::int64_t, bool> resolved1;
        for (const auto& row : later1.body["history"]) resolved1[row["dataTimestamp"]] = !row["outcome"].is_null();
        for (const auto& row : later5.body["history"]) {
          auto it = resolved1.find(row["dataTimestamp"]);
          if (row["outcome"].is_null() || it == resolved1.end()) continue;
          EXPECT_TRUE(it->second) << "candle " << row["dataTimestamp"] << " resolved at horizon 5 but not 1";
          ++compared;
        }
        return compared > 0;
      },
      std::chrono::seconds(20));
  EXPECT_GT(compared, 0u) << later5.raw << later1.raw;

  const JsonReply health = get(port, "/api/health");
  EXPECT_EQ(health.body["horizons"]["configured"], nlohmann::json({1, 5})) << health.raw;
  EXPECT_EQ(health.body["horizons"]["default"], 5);
  EXPECT_EQ(get(port, "/api").body["horizons"], nlohmann::json({1, 5}));
}

}  // namespace
