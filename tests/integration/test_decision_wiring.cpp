// The decision stage in the running service (docs/decision.md, "Service wiring"): every ensemble answer
// carries the sizing of the served decision, GET /api/sizing/:pair serves the same object with the
// routes' horizon validation, and on the demo, where no member beats the base rate, the position is
// zero with the reason "no-edge". The circuit breakers, driven across their floors by configuration,
// bench the member (weight 0, its numbers in the status, stats and /metrics), keep it benched through a
// retrain that does not pass, trip the ensemble breaker (every signal HOLD, health degraded with the
// reason), and the signal monitor reports the served shares. A CNN member's MC-dropout interval is in
// the answer when the passes are configured.
#include <gtest/gtest.h>

#include <regex>

#include "service_fixture.h"

using namespace tbml::testing;

namespace {

TEST(DecisionWiring, SizingInTheAnswerAndItsRoute) {
  DemoService service({"--set", "demo.pairs=BTC", "--set", "ml.enabledModels=xgboost", "--set", "demo.initial=900",
                       "--set", "training.maxCandles=900", "--set", "demo.stepMs=250", "--set",
                       "demo.pollIntervalMs=100"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  const int port = service.port();

  // Before the first snapshot: a 503 with the reason, in the contract's shape (or already an answer).
  const JsonReply early = get(port, "/api/sizing/BTC");
  if (early.status != 200) {
    EXPECT_EQ(early.status, 503) << early.raw;
    EXPECT_TRUE(is_contract_error(early)) << early.raw;
    EXPECT_TRUE(early.body.contains("training")) << early.raw;
  }

  JsonReply answer;
  ASSERT_TRUE(wait_until(
      [&] {
        answer = get(port, "/api/predictions/BTC");
        return answer.status == 200;
      },
      std::chrono::seconds(90)))
      << answer.raw << "\n" << service.log();
  ASSERT_TRUE(answer.body.contains("sizing")) << answer.raw;
  const nlohmann::json& s = answer.body["sizing"];
  for (const char* key : {"position", "side", "reason", "zeroReason", "kelly", "targetSigma", "inputs", "options",
                          "strategy"})
    EXPECT_TRUE(s.contains(key)) << key << " " << s.dump();
  for (const char* key : {"pUp", "signal", "edge", "calibrationChecked", "moves", "volatilityAvailable", "sigma"})
    EXPECT_TRUE(s["inputs"].contains(key)) << key << " " << s.dump();
  // The demo's simulated market has no learnable edge: the edge gate answers the base rate, and sizing
  // is zero for exactly that reason. Should a member ever show an edge, the reason is another one.
  const bool has_edge = answer.body["edge"]["edge"] == "real";
  EXPECT_EQ(s["inputs"]["edge"], has_edge ? "real" : "none") << answer.raw;
  EXPECT_EQ(s["inputs"]["signal"], answer.body["prediction"]["signal"]) << answer.raw;
  if (!has_edge) {
    EXPECT_EQ(s["position"], 0.0) << s.dump();
    EXPECT_EQ(s["side"], "flat") << s.dump();
    EXPECT_EQ(s["zeroReason"], "no-edge") << s.dump();
  } else {
    EXPECT_NE(s["zeroReason"], "no-edge") << s.dump();
  }

  // Uncertainty: the spread of the members' probabilities (xgboost is the only member here).
  ASSERT_TRUE(answer.body.contains("uncertainty")) << answer.raw;
  const nlohmann::json& spread = answer.body["uncertainty"]["memberSpread"];
  ASSERT_TRUE(spread.is_object()) << answer.raw;
  EXPECT_EQ(spread["members"], 1) << answer.raw;  // xgboost only

  const JsonReply route = get(port, "/api/sizing/BTC");
  ASSERT_EQ(route.status, 200) << route.raw;
  EXPECT_EQ(route.body["pair"], "BTC");
  EXPECT_EQ(route.body["horizon"], 5);
  EXPECT_TRUE(route.body["timestamp"].is_number_integer()) << route.raw;
  EXPECT_TRUE(route.body["sizing"].contains("zeroReason")) << route.raw;
  EXPECT_EQ(get(port, "/api/sizing/btc?horizon=5").status, 200);

  const JsonReply bad = get(port, "/api/sizing/BTC?horizon=7");
  EXPECT_EQ(bad.status, 400) << bad.raw;
  EXPECT_TRUE(is_contract_error(bad)) << bad.raw;
  EXPECT_EQ(bad.body["validHorizons"], nlohmann::json({5})) << bad.raw;
  const JsonReply unknown = get(port, "/api/sizing/NOPE");
  EXPECT_EQ(unknown.status, 404) << unknown.raw;
  EXPECT_TRUE(is_contract_error(unknown)) << unknown.raw;
}

// The value of one Prometheus sample line `name{labels} value` (-1 when absent).
double metric(const std::string& text, const std::string& name_and_labels) {
  const std::size_t at = text.find(name_and_labels + " ");
  if (at == std::string::npos) return -1.0;
  return std::stod(text.substr(at + name_and_labels.size() + 1));
}

TEST(DecisionWiring, BreakersBenchHoldAndDegradeHealthAcrossTheirFloors) {
  // Floors no model can reach: an accuracy floor of 0.99 and an ensemble skill floor of +0.5 (the demo's
  // answer is the base rate, skill exactly 0). Ten outcomes are enough to judge.
  DemoService service({"--set", "demo.pairs=BTC", "--set", "ml.enabledModels=xgboost", "--set", "demo.initial=900",
                       "--set", "training.maxCandles=900", "--set", "demo.stepMs=250", "--set",
                       "demo.pollIntervalMs=100", "--set", "decision.breaker.minOutcomes=10", "--set",
                       "decision.breaker.accuracyFloor=0.99", "--set", "decision.breaker.ensembleSkillFloor=0.5",
                       "--set", "training.autoTrain=true"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  const int port = service.port();

  JsonReply status;
  ASSERT_TRUE(wait_until(
      [&] {
        status = get(port, "/api/models/BTC/status");
        return status.status == 200 && status.body["models"]["xgboost"]["breaker"]["state"] == "benched";
      },
      std::chrono::seconds(120)))
      << status.raw << "\n" << service.log();
  const nlohmann::json& b = status.body["models"]["xgboost"]["breaker"];
  EXPECT_EQ(b["timesBenched"], 1) << b.dump();
  ASSERT_TRUE(b.contains("benchedSkill")) << b.dump();
  EXPECT_GE(b["benchedSkill"]["count"].get<int>(), 10) << b.dump();
  EXPECT_LT(b["benchedSkill"]["accuracyInterval"][1].get<double>(), 0.99) << b.dump();
  EXPECT_NE(b["reason"].get<std::string>().find("benched"), std::string::npos) << b.dump();

  // The answer: weight 0 and listed as benched; the ensemble breaker holds every signal.
  JsonReply answer;
  ASSERT_TRUE(wait_until(
      [&] {
        answer = get(port, "/api/predictions/BTC");
        return answer.status == 200 && answer.body["breaker"]["tripped"] == true &&
               answer.body["prediction"]["ensemble"].contains("benched");
      },
      std::chrono::seconds(60)))
      << answer.raw;
  EXPECT_EQ(answer.body["prediction"]["ensemble"]["weights"]["xgboost"], 0.0) << answer.raw;
  EXPECT_EQ(answer.body["prediction"]["signal"], "HOLD") << answer.raw;
  EXPECT_EQ(answer.body["sizing"]["position"], 0.0) << answer.raw;
  EXPECT_EQ(answer.body["edge"]["benchedModels"], nlohmann::json({"xgboost"})) << answer.raw;
  EXPECT_EQ(get(port, "/api/predictions/BTC?model=xgboost").body["prediction"]["signal"], "HOLD");

  const JsonReply stats = get(port, "/api/ensemble/BTC/stats");
  ASSERT_EQ(stats.status, 200) << stats.raw;
  EXPECT_EQ(stats.body["breaker"]["tripped"], true) << stats.raw;
  EXPECT_EQ(stats.body["memberBreakers"]["xgboost"]["state"], "benched") << stats.raw;
  ASSERT_TRUE(stats.body["signals"].is_object()) << stats.raw;
  EXPECT_EQ(stats.body["signals"]["alert"], false) << stats.raw;  // HOLD is no side
  EXPECT_GT(stats.body["signals"]["short"]["signals"].get<int>(), 0) << stats.raw;
  EXPECT_DOUBLE_EQ(stats.body["signals"]["short"]["shares"]["HOLD"].get<double>(), 1.0) << stats.raw;

  const JsonReply health = get(port, "/api/health");
  EXPECT_EQ(health.body["status"], "degraded") << health.raw;
  bool named = false;
  for (const auto& p : health.body["problems"]) named = named || p.get<std::string>().find("ensemble breaker tripped") != std::string::npos;
  EXPECT_TRUE(named) << health.raw;
  EXPECT_FALSE(health.body["decision"]["problems"].empty()) << health.raw;

  httplib::Client cli("127.0.0.1", port);
  auto m = cli.Get("/metrics");
  ASSERT_TRUE(m) << "no /metrics answer";
  EXPECT_EQ(metric(m->body, "tbml_model_benched{pair=\"BTC\",horizon=\"5\",model=\"xgboost\"}"), 1.0) << m->body;
  EXPECT_EQ(metric(m->body, "tbml_models_benched_total{pair=\"BTC\",horizon=\"5\",model=\"xgboost\"}"), 1.0);
  EXPECT_EQ(metric(m->body, "tbml_ensemble_breaker_tripped{pair=\"BTC\",horizon=\"5\"}"), 1.0);
  EXPECT_EQ(metric(m->body, "tbml_signal_alert{pair=\"BTC\",horizon=\"5\"}"), 0.0);

  // A retrain that does not reach the floor (no model is 99 % right) leaves it benched, whether the
  // lifecycle accepts the candidate (a new version meets the breaker) or turns it away.
  const int before = status.body["models"]["xgboost"]["version"].get<int>();
  const JsonReply train = request(port, "POST", "/api/train/BTC/xgboost", "{}");
  ASSERT_EQ(train.status, 202) << train.raw;
  const std::string job = train.body["jobs"][0]["jobId"].get<std::string>();
  JsonReply queue;
  ASSERT_TRUE(wait_until(
      [&] {
        queue = get(port, "/api/training/queue");
        for (const auto& j : queue.body["recent"])
          if (j["id"] == job) return true;
        return false;
      },
      std::chrono::seconds(180)))
      << queue.raw;
  ASSERT_TRUE(wait_until(
      [&] {
        status = get(port, "/api/models/BTC/status");
        const nlohmann::json& r = status.body["models"]["xgboost"]["breaker"];
        return r.contains("lastRetrain") && r["lastRetrain"]["version"] == status.body["models"]["xgboost"]["version"];
      },
      std::chrono::seconds(30)))
      << status.raw;
  const nlohmann::json& after = status.body["models"]["xgboost"]["breaker"];
  EXPECT_EQ(after["state"], "benched") << after.dump();
  if (status.body["models"]["xgboost"]["version"].get<int>() > before) {
    EXPECT_EQ(after["lastRetrain"]["passed"], false) << after.dump();
    EXPECT_NE(after["lastRetrain"]["reason"].get<std::string>().find("does not re-admit"), std::string::npos)
        << after.dump();
  }

  // A restart does not re-admit it: the breaker's state is stored and restored, and the stored model
  // meets its breaker again with data that end before the outcomes that benched it.
  ASSERT_EQ(request(port, "POST", "/api/storage/save", "{}").status, 200);
  EXPECT_EQ(service.process().stop(), 0);
  service.start();
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  ASSERT_TRUE(wait_until(
      [&] {
        status = get(port, "/api/models/BTC/status");
        return status.status == 200 && status.body["models"]["xgboost"]["trained"] == true;
      },
      std::chrono::seconds(60)))
      << status.raw;
  const nlohmann::json& restored = status.body["models"]["xgboost"]["breaker"];
  EXPECT_EQ(restored["state"], "benched") << restored.dump();
  EXPECT_NE(restored["reason"].get<std::string>().find("restored"), std::string::npos) << restored.dump();
  EXPECT_EQ(restored["timesBenched"], 1) << restored.dump();
}

TEST(DecisionWiring, McDropoutIntervalOfANetworkMemberInTheAnswer) {
  // A CNN trained for one epoch: its dropout layers give a real MC-dropout interval, drawn when the
  // models run on the candle.
  DemoService service({"--set", "demo.pairs=BTC", "--set", "ml.enabledModels=cnn", "--set", "demo.initial=900",
                       "--set", "training.maxCandles=900", "--set", "training.epochs=1", "--set", "demo.stepMs=250",
                       "--set", "demo.pollIntervalMs=100", "--set", "decision.uncertainty.mcDropoutPasses=16",
                       "--set", "decision.uncertainty.level=0.8"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  JsonReply answer;
  ASSERT_TRUE(wait_until(
      [&] {
        answer = get(service.port(), "/api/predictions/BTC");
        return answer.status == 200 && answer.body["uncertainty"]["mcDropout"].contains("cnn");
      },
      std::chrono::seconds(180)))
      << answer.raw << "\n" << service.log();
  const nlohmann::json& mc = answer.body["uncertainty"]["mcDropout"]["cnn"];
  EXPECT_EQ(mc["passes"], 16) << mc.dump();
  EXPECT_DOUBLE_EQ(mc["level"].get<double>(), 0.8) << mc.dump();
  EXPECT_LE(mc["lower"].get<double>(), mc["mean"].get<double>()) << mc.dump();
  EXPECT_GE(mc["upper"].get<double>(), mc["mean"].get<double>()) << mc.dump();
  EXPECT_GE(mc["lower"].get<double>(), 0.0) << mc.dump();
  EXPECT_LE(mc["upper"].get<double>(), 1.0) << mc.dump();
  EXPECT_GT(mc["costUs"].get<double>(), 0.0) << mc.dump();
  // A model answer does not carry it (no sizing, no uncertainty: the ensemble's only).
  EXPECT_FALSE(get(service.port(), "/api/predictions/BTC?model=cnn").body.contains("uncertainty"));
}

}  // namespace
