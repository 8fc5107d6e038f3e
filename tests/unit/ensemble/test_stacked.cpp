// The stacked meta-learner: fitted on resolved live predictions, used by decide() for `stacked`.
#include <gtest/gtest.h>

#include <random>

#include "tbml/ensemble/ensemble_decision.h"
#include "tbml/ensemble/stacked.h"

namespace tbml {
namespace {

// "good" knows the outcome a little; "noise" does not.
std::vector<ResolvedPrediction> window(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution up(0.5);
  std::uniform_real_distribution<double> u(-0.1, 0.1);
  std::vector<ResolvedPrediction> out;
  for (std::size_t i = 0; i < n; ++i) {
    ResolvedPrediction r;
    r.outcome = up(rng) ? 1 : 0;
    r.prediction.models["good"] = 0.5 + (r.outcome ? 0.15 : -0.15) + u(rng);
    r.prediction.models["noise"] = 0.5 + u(rng);
    out.push_back(r);
  }
  return out;
}

TEST(Stacked, LearnsToTrustTheInformedMember) {
  const StackedFit fit = fit_stacked(window(400, 3), {"noise", "good"});
  ASSERT_TRUE(fit.model) << fit.reason;
  const StackedModel& m = *fit.model;
  EXPECT_EQ(m.members, (std::vector<std::string>{"good", "noise"}));  // sorted
  EXPECT_GT(m.w[0], 3.0 * std::fabs(m.w[1]));
  EXPECT_NEAR(m.l2, 4.0, 1e-12);  // 0.01 x 400 rows, fixed in advance
  EXPECT_GT(m.predict({{"good", 0.65}, {"noise", 0.5}}), 0.6);
  EXPECT_LT(m.predict({{"good", 0.35}, {"noise", 0.5}}), 0.4);
  EXPECT_THROW(m.predict({{"good", 0.65}}), std::invalid_argument);
}

TEST(Stacked, TooFewSharedOutcomesIsNotFitted) {
  auto w = window(150, 5);
  for (std::size_t i = 0; i < 100; ++i) w[i].prediction.models.erase("noise");  // only 50 rows have both
  const StackedFit fit = fit_stacked(w, {"good", "noise"});
  EXPECT_FALSE(fit.model);
  EXPECT_NE(fit.reason.find("50 resolved outcomes"), std::string::npos) << fit.reason;
}

TEST(Stacked, DecideUsesTheMetaLearnerOnlyForItsMembers) {
  PredictionSnapshot s;
  s.pair = "BTC";
  s.horizon = 5;
  DirectionEdge real;
  real.verdict = EdgeVerdict::kReal;
  s.models = {{"good", 0.65, 1, 0, 0, real}, {"noise", 0.45, 1, 0, 0, real}};
  const StackedFit fit = fit_stacked(window(400, 3), {"good", "noise"});
  const EnsembleDecision d = decide(s, Strategy::kStacked, {}, {}, &fit);
  EXPECT_NEAR(d.probability, fit.model->predict({{"good", 0.65}, {"noise", 0.45}}), 1e-12);
  EXPECT_EQ(d.combined.strategy, Strategy::kStacked);
  // Not fitted (or over other members): the weighted rule answers, and says so.
  const EnsembleDecision fallback = decide(s, Strategy::kStacked, {}, {}, nullptr);
  EXPECT_NEAR(fallback.probability, 0.55, 1e-12);
  EXPECT_NE(fallback.reason.find("weighted rule answered"), std::string::npos) << fallback.reason;
  EXPECT_THROW(combine({{"good", 0.6, 1.0}}, Strategy::kStacked), std::invalid_argument);
}

}  // namespace
}  // namespace tbml
