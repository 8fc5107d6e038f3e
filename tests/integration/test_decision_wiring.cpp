// The decision stage in the running service (docs/decision.md, "Service wiring"): every ensemble answer
// carries the sizing of the served decision, GET /api/sizing/:pair serves the same object with the
// routes' horizon validation, and on the demo, where no member beats the base rate, the position is
// zero with the reason "no-edge".
#include <gtest/gtest.h>

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

}  // namespace
