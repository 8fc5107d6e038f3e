// End to end with trained models: `tbml train` writes four models, `tbml serve --demo --csv` loads them,
// predictions follow the contract for every strategy and single model, outcomes resolve, weights persist
// and a kill -9 loses nothing that had been stored.
#include <gtest/gtest.h>

#include <signal.h>

#include <cmath>

#include "service_fixture.h"

using namespace tbml::testing;

namespace {

const char* kModels[] = {"lstm", "gru", "cnn", "transformer", "xgboost"};

void expect_prediction_fields(const nlohmann::json& body, const std::string& type) {
  ASSERT_TRUE(body.is_object()) << body;
  EXPECT_EQ(body["pair"], "BTC");
  const auto& p = body["prediction"];
  ASSERT_TRUE(p.is_object()) << body;
  double prob = p["prediction"].get<double>();
  EXPECT_GE(prob, 0.0);
  EXPECT_LE(prob, 1.0);
  std::string dir = p["direction"];
  std::string signal = p["signal"];
  EXPECT_TRUE(signal == "BUY" || signal == "SELL" || signal == "HOLD") << signal;
  ASSERT_TRUE(p["edge"] == "real" || p["edge"] == "none") << body;
  if (type == "ensemble" && p["source"] == "base-rate") {
    // No member has an edge: the base rate, labelled, with no confidence and no call.
    EXPECT_EQ(p["edge"], "none");
    EXPECT_EQ(p["confidence"], 0.0);
    EXPECT_EQ(dir, "neutral");
    EXPECT_EQ(signal, "HOLD");
    EXPECT_NEAR(prob, p["baseRate"]["probability"].get<double>(), 1e-12);
    EXPECT_FALSE(p["edgeReason"].get<std::string>().empty());
  } else {
    EXPECT_NEAR(p["confidence"].get<double>(), std::abs(prob - 0.5) * 2, 1e-9);
    EXPECT_EQ(dir, prob > 0.5 ? "up" : prob < 0.5 ? "down" : "neutral");
    if (p["edge"] == "none") EXPECT_EQ(signal, "HOLD");
  }
  // The volatility object is always there: a forecast, or why there is none.
  ASSERT_TRUE(body.contains("volatility")) << body;
  EXPECT_TRUE(body["volatility"]["available"].is_boolean()) << body["volatility"];
  EXPECT_EQ(p["type"], type);
  EXPECT_TRUE(p["metadata"]["featureCount"].is_number_integer());
  EXPECT_EQ(p["metadata"]["horizon"], 5);
  EXPECT_TRUE(p["metadata"]["dataTimestamp"].is_number_integer());
  EXPECT_TRUE(p["timestamp"].is_number_integer());
  EXPECT_EQ(body["predictions"]["price_direction"], dir);
  EXPECT_NEAR(body["predictions"]["confidence"].get<double>(), p["confidence"].get<double>(), 1e-12);
  EXPECT_TRUE(body.contains("ensemble"));
  EXPECT_TRUE(body.contains("strategy"));
  EXPECT_TRUE(body.contains("singleModel"));
  EXPECT_TRUE(body["cached"].is_boolean());
  EXPECT_TRUE(body["responseTime"].is_number());
  EXPECT_TRUE(body["timestamp"].is_number_integer());
  EXPECT_TRUE(body["stale"].is_boolean());
}

class ModelsEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(make_temp_dir("tbml-models"));
    csv_ = new std::string(*dir_ + "/btc.csv");
    write_synthetic_csv(*csv_, 900);
    ASSERT_EQ(train_offline(*csv_, *dir_, 2), 0) << "tbml train failed; see " << *dir_ << "/train.log";
    service_ = new DemoService({"--csv", "BTC=" + *csv_, "--set", "training.autoTrain=false", "--set",
                                "demo.stepMs=400", "--set", "demo.pollIntervalMs=200", "--set", "demo.initial=700"},
                               *dir_);
    ASSERT_TRUE(service_->wait_healthy()) << service_->log();
    bool ready = wait_until([] { return get(service_->port(), "/api/predictions/BTC").status == 200; },
                            std::chrono::seconds(30));
    ASSERT_TRUE(ready) << get(service_->port(), "/api/predictions/BTC").raw << service_->log();
  }
  static void TearDownTestSuite() {
    if (service_) {
      service_->process().stop();
      delete service_;
    }
  }
  static std::string* dir_;
  static std::string* csv_;
  static DemoService* service_;
};
std::string* ModelsEndToEnd::dir_ = nullptr;
std::string* ModelsEndToEnd::csv_ = nullptr;
DemoService* ModelsEndToEnd::service_ = nullptr;

TEST_F(ModelsEndToEnd, EveryStrategyAnswersWithContractFields) {
  for (const char* strategy : {"weighted", "majority", "average", "confidence_weighted"}) {
    auto r = get(service_->port(), std::string("/api/predictions/BTC?strategy=") + strategy);
    ASSERT_EQ(r.status, 200) << r.raw;
    expect_prediction_fields(r.body, "ensemble");
    EXPECT_EQ(r.body["ensemble"], true);
    EXPECT_EQ(r.body["strategy"], strategy);
    const auto& e = r.body["prediction"]["ensemble"];
    EXPECT_EQ(e["strategy"], strategy);
    EXPECT_EQ(e["membersShown"], 5);
    EXPECT_LE(e["modelCount"].get<int>(), 5);  // the members with a real edge
    for (const char* m : kModels) {
      EXPECT_TRUE(e["individualPredictions"].contains(m)) << m;
      EXPECT_TRUE(e["individualConfidences"].contains(m)) << m;
      EXPECT_TRUE(e["weights"].contains(m)) << m;
    }
  }
  auto bad = get(service_->port(), "/api/predictions/BTC?strategy=best");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(is_contract_error(bad)) << bad.raw;
}

TEST_F(ModelsEndToEnd, EverySingleModelAnswers) {
  for (const char* m : kModels) {
    auto viaQuery = get(service_->port(), std::string("/api/predictions/BTC?model=") + m);
    ASSERT_EQ(viaQuery.status, 200) << viaQuery.raw;
    expect_prediction_fields(viaQuery.body, "individual");
    EXPECT_EQ(viaQuery.body["prediction"]["modelType"], m);
    auto route = get(service_->port(), std::string("/api/models/BTC/") + m + "/predict");
    ASSERT_EQ(route.status, 200) << route.raw;
    EXPECT_EQ(route.body["singleModel"], m);
    // The version the prediction names is the stored model's (tbml train saved v1).
    EXPECT_EQ(route.body["prediction"]["metadata"]["modelVersion"], 1) << route.raw;
  }
  auto def = get(service_->port(), "/api/predictions/BTC?ensemble=false");
  ASSERT_EQ(def.status, 200) << def.raw;
  EXPECT_EQ(def.body["ensemble"], false);
  EXPECT_EQ(get(service_->port(), "/api/predictions/BTC?model=svm").status, 400);
  EXPECT_EQ(get(service_->port(), "/api/models/BTC/svm/predict").status, 400);
}

TEST_F(ModelsEndToEnd, AllPairsRouteListsBtc) {
  auto r = get(service_->port(), "/api/predictions");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["count"], 1);
  expect_prediction_fields(r.body["predictions"]["BTC"], "ensemble");
}

TEST_F(ModelsEndToEnd, StatusShowsTrainedModelsWithMetrics) {
  auto r = get(service_->port(), "/api/models/BTC/status");
  ASSERT_EQ(r.status, 200) << r.raw;
  for (const char* m : kModels) {
    const auto& s = r.body["models"][m];
    EXPECT_TRUE(s["trained"].get<bool>()) << s;
    EXPECT_GE(s["version"].get<int>(), 1);
    EXPECT_TRUE(s["test"].is_object()) << s;
    EXPECT_GT(s["parameters"].get<int>(), 0);
  }
}

TEST_F(ModelsEndToEnd, OutcomesResolveIntoHistoryAndStats) {
  // Five candles after a prediction its outcome is known; the demo advances one candle per 400 ms.
  bool resolved = wait_until(
      [] {
        auto h = get(service_->port(), "/api/predictions/BTC/history?limit=200");
        if (h.status != 200) return false;
        for (const auto& row : h.body["history"])
          if (!row["outcome"].is_null()) return true;
        return false;
      },
      std::chrono::seconds(40));
  ASSERT_TRUE(resolved) << get(service_->port(), "/api/predictions/BTC/history").raw;
  auto h = get(service_->port(), "/api/predictions/BTC/history?limit=5");
  ASSERT_EQ(h.status, 200);
  EXPECT_LE(h.body["history"].size(), 5u);
  std::int64_t prev = INT64_MAX;
  for (const auto& row : h.body["history"]) {
    EXPECT_LE(row["dataTimestamp"].get<std::int64_t>(), prev) << "newest first";
    prev = row["dataTimestamp"].get<std::int64_t>();
  }
  EXPECT_EQ(get(service_->port(), "/api/predictions/BTC/history?limit=0").status, 400);
  EXPECT_EQ(get(service_->port(), "/api/predictions/BTC/history?limit=10001").status, 400);

  auto stats = get(service_->port(), "/api/ensemble/BTC/stats");
  ASSERT_EQ(stats.status, 200) << stats.raw;
  auto compare = get(service_->port(), "/api/models/BTC/compare");
  ASSERT_EQ(compare.status, 200) << compare.raw;
}

TEST_F(ModelsEndToEnd, WeightsAreValidatedAndPersist) {
  const int port = service_->port();
  for (const char* bad : {R"({"weights":{"lstm":-1}})", R"({"weights":{"lstm":"NaN"}})",
                          R"({"weights":{"svm":1}})", R"({"weights":{"lstm":0,"gru":0,"cnn":0,"transformer":0,"xgboost":0}})",
                          R"({"weights":[1,2]})", R"({"strategy":"best"})", R"({"weights":{"lstm":1e300}})", "[]",
                          "{"}) {
    auto r = request(port, "POST", "/api/ensemble/BTC/weights", bad);
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.raw;
    EXPECT_TRUE(is_contract_error(r)) << r.raw;
  }
  auto ok = request(port, "POST", "/api/ensemble/BTC/weights",
                    R"({"weights":{"lstm":0.5,"gru":1.0,"cnn":0.25,"transformer":2.0},"strategy":"average"})");
  ASSERT_EQ(ok.status, 200) << ok.raw;
  auto pred = get(port, "/api/predictions/BTC");
  ASSERT_EQ(pred.status, 200);
  EXPECT_EQ(pred.body["strategy"], "average") << "the pair's default strategy changed";

  // Crash and restart on the same storage: models answer at once, weights and history survive.
  auto before = get(port, "/api/predictions/BTC/history?limit=10000");
  ASSERT_EQ(before.status, 200);
  const std::size_t rows_before = before.body["history"].size();
  service_->process().signal(SIGKILL);
  service_->process().wait(std::chrono::seconds(5));
  service_->start();
  ASSERT_TRUE(service_->wait_healthy()) << service_->log();
  bool answering = wait_until([port] { return get(port, "/api/predictions/BTC").status == 200; },
                              std::chrono::seconds(20));
  ASSERT_TRUE(answering) << service_->log();
  auto after = get(port, "/api/predictions/BTC/history?limit=10000");
  ASSERT_EQ(after.status, 200);
  EXPECT_GE(after.body["history"].size(), rows_before);
  auto stats = get(port, "/api/ensemble/BTC/stats");
  ASSERT_EQ(stats.status, 200) << stats.raw;
  EXPECT_EQ(get(port, "/api/predictions/BTC").body["strategy"], "average") << stats.raw;
  auto status = get(port, "/api/models/BTC/status");
  for (const char* m : kModels) EXPECT_TRUE(status.body["models"][m]["trained"].get<bool>()) << m;
}

}  // namespace
