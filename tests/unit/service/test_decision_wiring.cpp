// The service's sizing of a served decision (decision_wiring.h): each input comes from where the plan
// says, and each zero reason is reached through the service's own wiring function.
#include "tbml/service/decision_wiring.h"

#include <cmath>

#include <gtest/gtest.h>

namespace tbml {
namespace {

ResolvedPrediction resolved(double close, double outcome_close) {
  ResolvedPrediction r;
  r.prediction.pair = "BTC";
  r.prediction.close = close;
  r.outcome_close = outcome_close;
  r.outcome = outcome_close > close ? 1 : 0;
  return r;
}

// 60 outcomes: 36 up by 2 %, 24 down by 1 %.
std::vector<ResolvedPrediction> window() {
  std::vector<ResolvedPrediction> w;
  for (int i = 0; i < 60; ++i) w.push_back(i % 5 < 3 ? resolved(100.0, 102.0) : resolved(100.0, 99.0));
  return w;
}

EnsembleDecision buy(double p) {
  EnsembleDecision d;
  d.has_edge = true;
  d.probability = p;
  d.signal = "BUY";
  d.voting = {"xgboost"};
  return d;
}

const nlohmann::json kVol = {{"available", true}, {"sigma", 0.02}};

TEST(DecisionWiring, OptionsFollowConfig) {
  DecisionConfig c;
  c.kelly_fraction = 0.5;
  c.volatility_target = 0.3;
  c.max_position = 0.7;
  c.min_outcomes = 11;
  c.allow_short = true;
  const decision::SizingOptions o = sizing_options(c);
  EXPECT_DOUBLE_EQ(o.kelly_fraction, 0.5);
  EXPECT_DOUBLE_EQ(o.volatility_target, 0.3);
  EXPECT_DOUBLE_EQ(o.max_position, 0.7);
  EXPECT_EQ(o.min_outcomes, 11u);
  EXPECT_TRUE(o.allow_short);
}

TEST(DecisionWiring, LogMovesOfTheWindowSkipBadCloses) {
  const auto moves = window_log_moves({resolved(100, 110), resolved(0, 5), resolved(100, 90)});
  ASSERT_EQ(moves.size(), 2u);
  EXPECT_NEAR(moves[0], std::log(1.1), 1e-12);
  EXPECT_NEAR(moves[1], std::log(0.9), 1e-12);
}

TEST(DecisionWiring, SizesABuyWithEveryInputFromTheWiring) {
  const decision::Sizing s = decision_sizing(buy(0.6), "BUY", {{"xgboost", true}}, window(), kVol, 5, {});
  EXPECT_EQ(s.zero_reason, "");
  EXPECT_GT(s.position, 0.0);
  EXPECT_EQ(s.side, "long");
  EXPECT_DOUBLE_EQ(s.inputs.p_up, 0.6);
  EXPECT_TRUE(s.inputs.calibration_checked);
  EXPECT_EQ(s.inputs.moves.outcomes, 60u);
  EXPECT_EQ(s.inputs.moves.ups, 36u);
  EXPECT_NEAR(s.inputs.moves.mean_up, std::log(1.02), 1e-12);
  EXPECT_DOUBLE_EQ(s.inputs.sigma, 0.02);
  EXPECT_DOUBLE_EQ(s.inputs.horizon_hours, 5.0);
}

TEST(DecisionWiring, NoEdgeIsZeroWithItsReason) {
  EnsembleDecision d;  // the base-rate answer: no voter, HOLD
  d.probability = 0.52;
  const decision::Sizing s = decision_sizing(d, d.signal, {}, window(), kVol, 5, {});
  EXPECT_EQ(s.position, 0.0);
  EXPECT_EQ(s.zero_reason, "no-edge");
  EXPECT_EQ(s.to_json()["zeroReason"], "no-edge");
}

TEST(DecisionWiring, AVotingMemberWithoutItsCheckMakesItUnchecked) {
  EnsembleDecision d = buy(0.6);
  d.voting = {"xgboost", "lstm"};
  EXPECT_EQ(decision_sizing(d, "BUY", {{"xgboost", true}}, window(), kVol, 5, {}).zero_reason, "calibration-unchecked");
  EXPECT_EQ(decision_sizing(d, "BUY", {{"xgboost", true}, {"lstm", false}}, window(), kVol, 5, {}).zero_reason,
            "calibration-unchecked");
  EXPECT_EQ(decision_sizing(d, "BUY", {{"xgboost", true}, {"lstm", true}}, window(), kVol, 5, {}).zero_reason, "");
}

TEST(DecisionWiring, VolatilityOnlyFromAnAvailableForecast) {
  const auto checked = std::map<std::string, bool>{{"xgboost", true}};
  const nlohmann::json none = {{"available", false}, {"reason", "not trained"}};
  EXPECT_EQ(decision_sizing(buy(0.6), "BUY", checked, window(), none, 5, {}).zero_reason, "no-volatility");
  EXPECT_EQ(decision_sizing(buy(0.6), "BUY", checked, window(), nlohmann::json(), 5, {}).zero_reason, "no-volatility");
}

TEST(DecisionWiring, TooFewOutcomesInTheWindow) {
  auto w = window();
  w.resize(49);
  EXPECT_EQ(decision_sizing(buy(0.6), "BUY", {{"xgboost", true}}, w, kVol, 5, {}).zero_reason, "too-few-outcomes");
}

TEST(DecisionWiring, AGatedSignalIsSizedAsHold) {
  // The ensemble breaker's gate turns the signal into HOLD: the sizing follows the gated signal.
  EXPECT_EQ(decision_sizing(buy(0.6), "HOLD", {{"xgboost", true}}, window(), kVol, 5, {}).zero_reason, "hold-signal");
}

TEST(DecisionWiring, MemberSpreadOfTheSnapshot) {
  PredictionSnapshot snap;
  EXPECT_TRUE(uncertainty_json(snap)["memberSpread"].is_null());  // the base-rate answer has no member
  ModelPrediction a, b;
  a.model = "xgboost";
  a.probability = 0.4;
  b.model = "lstm";
  b.probability = 0.6;
  snap.models = {a, b};
  const nlohmann::json u = uncertainty_json(snap)["memberSpread"];
  EXPECT_EQ(u["members"], 2);
  EXPECT_NEAR(u["mean"].get<double>(), 0.5, 1e-12);
  EXPECT_NEAR(u["std"].get<double>(), 0.1, 1e-12);
  EXPECT_TRUE(uncertainty_json(snap)["mcDropout"].empty());  // no member drew samples
}

TEST(DecisionWiring, McDropoutIntervalsOfTheMembersThatDrewSamples) {
  PredictionSnapshot snap;
  ModelPrediction lstm, trees;
  lstm.model = "lstm";
  lstm.probability = 0.6;
  lstm.samples = {0.5, 0.6, 0.7, 0.8, 0.4};
  lstm.samples_us = 1500.0;
  trees.model = "xgboost";
  trees.probability = 0.55;
  snap.models = {lstm, trees};
  const nlohmann::json mc = uncertainty_json(snap, 0.5)["mcDropout"];
  ASSERT_TRUE(mc.contains("lstm"));
  EXPECT_FALSE(mc.contains("xgboost"));
  EXPECT_EQ(mc["lstm"]["passes"], 5);
  EXPECT_DOUBLE_EQ(mc["lstm"]["level"].get<double>(), 0.5);
  EXPECT_NEAR(mc["lstm"]["mean"].get<double>(), 0.6, 1e-12);
  EXPECT_NEAR(mc["lstm"]["lower"].get<double>(), 0.5, 1e-12);  // quantile 0.25 of 0.4 … 0.8
  EXPECT_NEAR(mc["lstm"]["upper"].get<double>(), 0.7, 1e-12);
  EXPECT_DOUBLE_EQ(mc["lstm"]["costUs"].get<double>(), 1500.0);
}

TEST(DecisionWiring, BreakerAndMonitorOptionsFollowConfig) {
  DecisionConfig c;
  c.breaker_window = 120;
  c.breaker_min_outcomes = 30;
  c.accuracy_floor = 0.45;
  c.skill_floor = -0.1;
  c.ensemble_skill_floor = -0.05;
  c.window_hours = 12;
  c.long_window_hours = 48;
  c.share_bound = 0.7;
  c.share_tolerance = 0.1;
  c.min_resolved = 5;
  const decision::BreakerOptions b = breaker_options(c, 24);
  EXPECT_EQ(b.window, 120u);
  EXPECT_EQ(b.min_outcomes, 30u);
  EXPECT_DOUBLE_EQ(b.accuracy_floor, 0.45);
  EXPECT_DOUBLE_EQ(b.skill_floor, -0.1);
  EXPECT_DOUBLE_EQ(b.ensemble_skill_floor, -0.05);
  EXPECT_EQ(b.horizon, 24u);
  const decision::SignalMonitorOptions m = monitor_options(c);
  EXPECT_EQ(m.short_window_ms, 12LL * 3600 * 1000);
  EXPECT_EQ(m.long_window_ms, 48LL * 3600 * 1000);
  EXPECT_DOUBLE_EQ(m.share_bound, 0.7);
  EXPECT_DOUBLE_EQ(m.tolerance, 0.1);
  EXPECT_EQ(m.min_resolved, 5u);
}

TEST(DecisionWiring, RetrainCheckFromTheTestPartOfTheReport) {
  TrainingReport r;
  r.data_to = 1795215000000;
  r.test.samples = 250;
  r.test.accuracy = 0.53;
  r.test.brier = 0.245;
  r.test.base_rate = 0.48;
  const decision::RetrainCheck c = retrain_check(7, r);
  EXPECT_EQ(c.version, 7);
  EXPECT_EQ(c.data_to, 1795215000000);
  EXPECT_EQ(c.test_samples, 250u);
  EXPECT_DOUBLE_EQ(c.test_accuracy, 0.53);
  EXPECT_DOUBLE_EQ(c.test_brier, 0.245);
  EXPECT_DOUBLE_EQ(c.test_base_rate, 0.48);
}

}  // namespace
}  // namespace tbml
