// Only members with a real edge vote; without any, the answer is the base rate, HOLD, edge none.
#include <gtest/gtest.h>

#include "tbml/ensemble/ensemble_decision.h"
#include "tbml/ensemble/prediction_json.h"

namespace tbml {
namespace {

DirectionEdge edge(EdgeVerdict v, double model_brier = 0.2495, double base_brier = 0.2501) {
  DirectionEdge e;
  e.verdict = v;
  e.model_brier = model_brier;
  e.base_brier = base_brier;
  e.improvement = base_brier - model_brier;
  e.lower = v == EdgeVerdict::kReal ? 0.001 : -0.004;
  e.upper = v == EdgeVerdict::kWorse ? -0.001 : 0.006;
  e.samples = 701;
  return e;
}

PredictionSnapshot snapshot(std::vector<std::pair<double, std::optional<DirectionEdge>>> members) {
  PredictionSnapshot s;
  s.pair = "SOL";
  s.horizon = 5;
  s.base_rate = 0.512;
  s.base_rate_windows = 4900;
  const char* names[] = {"lstm", "gru", "cnn", "transformer", "xgboost"};
  for (std::size_t i = 0; i < members.size(); ++i) {
    ModelPrediction m;
    m.model = names[i];
    m.probability = members[i].first;
    m.edge = members[i].second;
    s.models.push_back(m);
  }
  return s;
}

// The snapshot as published: combined once for every strategy with the default weights.
PredictionSnapshot combined(PredictionSnapshot s) {
  EnsembleInputs in;
  in.weights = default_weights();
  combine_snapshot(s, in);
  return s;
}

TEST(EnsembleDecision, NoMemberWithAnEdgeAnswersTheBaseRateWithHold) {
  // The SOL case from the issue: Briers a hair either side of the base rate's are noise.
  const auto s = snapshot({{0.71, edge(EdgeVerdict::kNone, 0.2487)},
                           {0.66, edge(EdgeVerdict::kNone, 0.2497)},
                           {0.69, std::nullopt}});
  const EnsembleDecision d = decide(s, Strategy::kWeighted, default_weights());
  EXPECT_FALSE(d.has_edge);
  EXPECT_EQ(d.source, "base-rate");
  EXPECT_DOUBLE_EQ(d.probability, 0.512);
  EXPECT_EQ(d.confidence, 0.0);
  EXPECT_EQ(d.signal, "HOLD");
  EXPECT_EQ(d.direction, "neutral");
  EXPECT_EQ(d.without_edge.size(), 3u);
  EXPECT_NE(d.reason.find("0.2487"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("0.2501"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("untested"), std::string::npos) << d.reason;
}

TEST(EnsembleDecision, OnlyMembersWithARealEdgeVote) {
  const auto s = snapshot({{0.9, edge(EdgeVerdict::kNone)}, {0.62, edge(EdgeVerdict::kReal, 0.24)}});
  const EnsembleDecision d = decide(s, Strategy::kAverage, default_weights());
  ASSERT_TRUE(d.has_edge);
  EXPECT_DOUBLE_EQ(d.probability, 0.62);  // the 0.9 of the member without an edge has no say
  EXPECT_EQ(d.voting, std::vector<std::string>{"gru"});
  EXPECT_EQ(d.signal, "BUY");
}

TEST(EnsembleDecision, JsonShowsEveryMemberButWeighsOnlyVoters) {
  const auto s = snapshot({{0.9, edge(EdgeVerdict::kNone)}, {0.62, edge(EdgeVerdict::kReal, 0.24)}});
  ResponseMeta meta;
  meta.timestamp = 1;
  const auto j = ensemble_prediction_json(combined(s), Strategy::kWeighted, meta);
  EXPECT_EQ(j["prediction"]["edge"], "real");
  EXPECT_EQ(j["prediction"]["ensemble"]["modelCount"], 1);
  EXPECT_DOUBLE_EQ(j["prediction"]["ensemble"]["individualPredictions"]["lstm"].get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(j["prediction"]["ensemble"]["weights"]["lstm"].get<double>(), 0.0);
  EXPECT_EQ(j["prediction"]["ensemble"]["edges"]["lstm"]["edge"], "none");
  EXPECT_DOUBLE_EQ(j["prediction"]["prediction"].get<double>(), 0.62);
}

TEST(EnsembleDecision, NoEdgeJsonKeepsTheContractFields) {
  const auto s = snapshot({{0.71, edge(EdgeVerdict::kNone)}});
  ResponseMeta meta;
  meta.timestamp = 1;
  const auto j = ensemble_prediction_json(combined(s), Strategy::kWeighted, meta);
  EXPECT_EQ(j["prediction"]["signal"], "HOLD");
  EXPECT_EQ(j["prediction"]["confidence"], 0.0);
  EXPECT_EQ(j["prediction"]["edge"], "none");
  EXPECT_EQ(j["prediction"]["source"], "base-rate");
  EXPECT_DOUBLE_EQ(j["prediction"]["prediction"].get<double>(), 0.512);
  EXPECT_EQ(j["predictions"]["price_direction"], "neutral");
  EXPECT_EQ(j["predictions"]["confidence"], 0.0);
  EXPECT_EQ(j["edge"]["edge"], "none");
  EXPECT_EQ(j["prediction"]["ensemble"]["modelCount"], 0);
}

TEST(EnsembleDecision, IndividualModelWithoutEdgeIsLabelledAndHolds) {
  const auto s = snapshot({{0.71, edge(EdgeVerdict::kNone)}});
  ResponseMeta meta;
  meta.timestamp = 1;
  const auto j = individual_prediction_json(s, "lstm", meta);
  EXPECT_DOUBLE_EQ(j["prediction"]["prediction"].get<double>(), 0.71);  // its own opinion, labelled
  EXPECT_EQ(j["prediction"]["edge"], "none");
  EXPECT_EQ(j["prediction"]["signal"], "HOLD");
}

TEST(EnsembleDecision, RejectedCandidatesOnlyStillGiveTheBaseRate) {
  PredictionSnapshot s = snapshot({});
  s.base_rate_only = true;
  s.base_rate_reason = "no model serves: every trained candidate was rejected (lstm: worse)";
  const EnsembleDecision d = decide(s, Strategy::kWeighted, default_weights());
  EXPECT_EQ(d.source, "base-rate");
  EXPECT_NE(d.reason.find("lstm: worse"), std::string::npos);
  PredictionSnapshot empty = snapshot({});
  EXPECT_THROW(decide(empty, Strategy::kWeighted, default_weights()), std::invalid_argument);
}

TEST(EnsembleDecision, SnapshotIsCombinedOnceForEveryServableStrategy) {
  PredictionSnapshot s = snapshot({{0.9, edge(EdgeVerdict::kNone)}, {0.62, edge(EdgeVerdict::kReal, 0.24)},
                                   {0.58, edge(EdgeVerdict::kReal, 0.24)}});
  EnsembleInputs in;
  in.served = Strategy::kMajority;
  in.weights = {{"gru", 2.0}, {"cnn", 1.0}};
  in.weight_reason = "configured weights";
  combine_snapshot(s, in);
  ASSERT_EQ(s.ensemble.decisions.size(), servable_strategies().size());
  for (Strategy st : servable_strategies()) {
    SCOPED_TRACE(to_string(st));
    ASSERT_NE(s.ensemble.find(st), nullptr);
    // What a request would have computed itself is what the snapshot holds.
    EXPECT_DOUBLE_EQ(s.ensemble.find(st)->probability, decide(s, st, in.weights).probability);
  }
  EXPECT_DOUBLE_EQ(s.ensemble.find(Strategy::kWeighted)->probability, (0.62 * 2 + 0.58) / 3);
  EXPECT_EQ(s.ensemble.served_decision(), s.ensemble.find(Strategy::kMajority));
  const auto j = ensemble_prediction_json(s, Strategy::kWeighted, ResponseMeta{false, 0.0, false, 1});
  EXPECT_EQ(j["prediction"]["ensemble"]["weightReason"], "configured weights");
  EXPECT_DOUBLE_EQ(j["prediction"]["ensemble"]["weights"]["gru"].get<double>(), 2.0);

  // Neither members nor a base-rate answer: nothing is combined and the body has no number.
  PredictionSnapshot empty = snapshot({});
  combine_snapshot(empty, in);
  EXPECT_TRUE(empty.ensemble.decisions.empty());
  EXPECT_THROW(ensemble_prediction_json(empty, Strategy::kWeighted, ResponseMeta{}), NoPredictionError);
  // A snapshot never combined (a caller that forgot) is refused, not recombined.
  EXPECT_THROW(ensemble_prediction_json(snapshot({{0.6, edge(EdgeVerdict::kReal)}}), Strategy::kWeighted, ResponseMeta{}),
               NoPredictionError);
}

}  // namespace
}  // namespace tbml
