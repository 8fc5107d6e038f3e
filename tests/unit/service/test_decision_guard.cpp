// The service's breakers and signal monitor (decision_guard.h), driven across each edge with the
// tracker's records as the candle path hands them over, and the decision rule that reads their gate.
#include "tbml/service/decision_guard.h"

#include <gtest/gtest.h>

#include "tbml/ensemble/ensemble_decision.h"
#include "tbml/service/decision_wiring.h"

namespace tbml {
namespace {

constexpr std::int64_t kHour = 3600 * 1000;

decision::BreakerOptions breaker() {
  decision::BreakerOptions o;
  o.window = 100;
  o.min_outcomes = 40;
  o.horizon = 1;
  o.resamples = 200;
  return o;
}

// The candle path for `n` candles from `start`: each served answer is recorded, then resolved. The
// member says 0.8 up when `right` calls the outcome, 0.2 otherwise; outcomes alternate up and down. The
// served probability is `served` (the ensemble's) and the base rate 0.5.
struct Feed {
  DecisionGuard guard{breaker(), decision::SignalMonitorOptions{}};
  std::vector<ResolvedPrediction> window;
  std::int64_t hour = 0;

  void run(int n, bool right, std::optional<double> served = std::nullopt, const std::string& signal = "HOLD") {
    for (int i = 0; i < n; ++i) {
      ++hour;
      const bool up = hour % 2 == 0;
      const double p = up == right ? 0.8 : 0.2;
      guard.record_served("BTC", decision::ServedRecord{hour * kHour, signal, served.value_or(p), 0.5, 1.0, std::nullopt});
      ResolvedPrediction r;
      r.prediction.pair = "BTC";
      r.prediction.candle_ts = hour * kHour;
      r.prediction.models["gru"] = p;
      r.outcome = up ? 1 : 0;
      window.push_back(r);
      if (window.size() > 100) window.erase(window.begin());
      guard.on_resolved("BTC", {{hour * kHour, up}}, window, 0);
    }
  }
};

TrainingReport report(std::int64_t data_to, double accuracy, std::size_t samples = 300) {
  TrainingReport r;
  r.data_to = data_to;
  r.test.samples = samples;
  r.test.accuracy = accuracy;
  r.test.brier = 0.24;
  r.test.base_rate = 0.5;
  return r;
}

TEST(DecisionGuard, ABenchedMemberComesBackOnlyAfterAPassingRetrainOnFreshData) {
  Feed f;
  f.guard.on_version("BTC", "gru", 1, retrain_check(1, report(0, 0.56)), 0);
  f.run(39, false);
  EXPECT_TRUE(f.guard.gate("BTC").benched.empty()) << "39 outcomes: not judged yet";
  f.run(1, false);
  ASSERT_EQ(f.guard.gate("BTC").benched.count("gru"), 1u);
  EXPECT_EQ(f.guard.model_json("BTC", "gru")["state"], "benched");
  EXPECT_EQ(f.guard.summary().at("BTC").models.at("gru").second, 1u);
  // Good outcomes do not bring it back.
  f.run(60, true);
  EXPECT_EQ(f.guard.gate("BTC").benched.count("gru"), 1u);
  // The same version again is no retrain; a retrain on stale data or below the floor does not re-admit.
  f.guard.on_version("BTC", "gru", 1, retrain_check(1, report(f.hour * kHour, 0.9)), f.hour * kHour);
  EXPECT_EQ(f.guard.gate("BTC").benched.count("gru"), 1u);
  f.guard.on_version("BTC", "gru", 2, retrain_check(2, report(30 * kHour, 0.56)), f.hour * kHour);
  EXPECT_EQ(f.guard.gate("BTC").benched.count("gru"), 1u);
  f.guard.on_version("BTC", "gru", 3, retrain_check(3, report(f.hour * kHour, 0.45)), f.hour * kHour);
  EXPECT_EQ(f.guard.gate("BTC").benched.count("gru"), 1u);
  EXPECT_EQ(f.guard.model_json("BTC", "gru")["lastRetrain"]["passed"], false);
  // Fresh data that passes both floors: re-admitted, and the old bad outcomes no longer count.
  f.guard.on_version("BTC", "gru", 4, retrain_check(4, report(f.hour * kHour, 0.56)), f.hour * kHour);
  EXPECT_TRUE(f.guard.gate("BTC").benched.empty());
  f.run(45, true);
  EXPECT_TRUE(f.guard.gate("BTC").benched.empty());
  EXPECT_EQ(f.guard.model_json("BTC", "gru")["state"], "active");
}

TEST(DecisionGuard, SavedStatesRestoreABenchedMemberAfterARestart) {
  Feed f;
  f.run(40, false);
  ASSERT_EQ(f.guard.gate("BTC").benched.count("gru"), 1u);
  const nlohmann::json saved = f.guard.saved("BTC");
  ASSERT_EQ(saved["gru"]["state"], "benched");
  DecisionGuard fresh(breaker(), decision::SignalMonitorOptions{});
  fresh.restore("BTC", saved);
  EXPECT_EQ(fresh.gate("BTC").benched.count("gru"), 1u);
  // The benched model loaded again from storage is seen as a new version, but its data are stale.
  EXPECT_FALSE(fresh.on_version("BTC", "gru", 1, retrain_check(1, report(30 * kHour, 0.6)), 50 * kHour));
  EXPECT_EQ(fresh.gate("BTC").benched.count("gru"), 1u);
  EXPECT_TRUE(fresh.on_version("BTC", "gru", 2, retrain_check(2, report(50 * kHour, 0.6)), 50 * kHour));
  EXPECT_TRUE(fresh.gate("BTC").benched.empty());
  EXPECT_THROW(fresh.restore("BTC", nlohmann::json::array()), std::invalid_argument);
}

TEST(DecisionGuard, OnResolvedSaysWhenAMemberWasNewlyBenched) {
  DecisionGuard g(breaker(), decision::SignalMonitorOptions{});
  std::vector<ResolvedPrediction> window;
  int newly = 0;
  for (int hour = 1; hour <= 60; ++hour) {
    const bool up = hour % 2 == 0;
    g.record_served("BTC", decision::ServedRecord{hour * kHour, "HOLD", 0.5, 0.5, 0.0, std::nullopt});
    ResolvedPrediction r;
    r.prediction.candle_ts = hour * kHour;
    r.prediction.models["gru"] = up ? 0.2 : 0.8;  // always wrong
    r.outcome = up ? 1 : 0;
    window.push_back(r);
    newly += g.on_resolved("BTC", {{hour * kHour, up}}, window, 0) ? 1 : 0;
  }
  EXPECT_EQ(newly, 1);
}

PredictionSnapshot buy_snapshot() {
  PredictionSnapshot s;
  s.pair = "BTC";
  s.horizon = 1;
  DirectionEdge edge;
  edge.lower = 0.001;
  edge.upper = 0.01;
  edge.verdict = EdgeVerdict::kReal;
  s.models.push_back(ModelPrediction{"gru", 0.8, 1, 0, 0.0, edge});
  return s;
}

TEST(DecisionGuard, TheEnsembleBreakerTurnsEverySignalToHoldAndLetsGo) {
  Feed f;
  PredictionSnapshot s = buy_snapshot();
  ASSERT_EQ(decide(s, Strategy::kWeighted, {}).signal, "BUY");
  f.run(60, false);  // the served probabilities called every outcome wrong
  BreakerGate g = f.guard.gate("BTC");
  ASSERT_FALSE(g.hold.empty());
  EXPECT_TRUE(f.guard.summary().at("BTC").tripped);
  s.hold_reason = g.hold;
  const EnsembleDecision held = decide(s, Strategy::kWeighted, {});
  EXPECT_EQ(held.signal, "HOLD");
  EXPECT_TRUE(held.held);
  EXPECT_DOUBLE_EQ(held.probability, 0.8);  // still scored as what the ensemble thought
  // A benched member does not vote: the answer falls back to the base rate.
  s.hold_reason.clear();
  s.models[0].benched = "benched: test";
  const EnsembleDecision benched = decide(s, Strategy::kWeighted, {});
  EXPECT_FALSE(benched.has_edge);
  EXPECT_EQ(benched.benched, std::vector<std::string>{"gru"});
  EXPECT_EQ(benched.signal, "HOLD");
  // Once the served probabilities are right again over the window, signals pass.
  f.run(100, true);
  EXPECT_TRUE(f.guard.gate("BTC").hold.empty());
  EXPECT_EQ(f.guard.ensemble_json("BTC")["timesTripped"], 1);
}

TEST(DecisionGuard, TheMonitorAlertsOnUnjustifiedBuysAndNamesItInTheSummary) {
  Feed f;
  // 24 BUY answers over the last day while the outcomes alternate: 50 % up against a 100 % BUY share.
  f.run(24, true, 0.6, "BUY");
  GuardSummary s = f.guard.summary().at("BTC");
  EXPECT_TRUE(s.alert);
  EXPECT_NE(s.alert_reason.find("BUY"), std::string::npos) << s.alert_reason;
  const nlohmann::json j = f.guard.signals_json("BTC");
  EXPECT_EQ(j["alert"], true);
  EXPECT_EQ(j["side"], "BUY");
  EXPECT_DOUBLE_EQ(j["short"]["shares"]["BUY"].get<double>(), 1.0);
  // A balanced day clears it.
  f.run(24, true, 0.5, "HOLD");
  EXPECT_FALSE(f.guard.summary().at("BTC").alert);
}

TEST(DecisionGuard, MemberOutcomesUseTheBaseRateServedWithTheCandle) {
  decision::ServedHistory h(kHour * 24, 10);
  h.add(decision::ServedRecord{kHour, "HOLD", 0.5, 0.62, 0.0, std::nullopt});
  std::vector<ResolvedPrediction> w(2);
  w[0].prediction.candle_ts = kHour;
  w[0].prediction.models["lstm"] = 0.7;
  w[0].outcome = 1;
  w[1].prediction.candle_ts = 2 * kHour;  // nothing served on that candle: left out
  w[1].prediction.models["lstm"] = 0.4;
  const auto o = member_outcomes(w, "lstm", h);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_DOUBLE_EQ(o[0].base_rate, 0.62);
  EXPECT_DOUBLE_EQ(o[0].p, 0.7);
  EXPECT_TRUE(o[0].up);
  EXPECT_TRUE(member_outcomes(w, "gru", h).empty());
  PredictionSnapshot s = buy_snapshot();
  s.models.push_back(ModelPrediction{"cnn", 0.3});
  EXPECT_DOUBLE_EQ(served_agreement(s, 0.8), 0.5);
  EXPECT_DOUBLE_EQ(served_agreement(PredictionSnapshot{}, 0.5), 0.0);
}

}  // namespace
}  // namespace tbml
