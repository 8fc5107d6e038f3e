#include <stdexcept>

#include <gtest/gtest.h>

#include "tbml/decision/circuit_breaker.h"

using namespace tbml::decision;

namespace {

BreakerOptions options() {
  BreakerOptions o;
  o.window = 100;
  o.min_outcomes = 40;
  o.horizon = 1;
  return o;
}

// n outcomes made at start + i, alternating up and down; `right` says whether the model calls them.
std::vector<ResolvedOutcome> outcomes(std::size_t n, bool right, std::int64_t start = 1, double confidence = 0.8) {
  std::vector<ResolvedOutcome> out;
  for (std::size_t i = 0; i < n; ++i) {
    const bool up = i % 2 == 0;
    out.push_back({start + static_cast<std::int64_t>(i), up == right ? confidence : 1.0 - confidence, up});
  }
  return out;
}

RetrainCheck passing(std::int64_t data_to) {
  return RetrainCheck{2, data_to, 300, 0.56, 0.24, 0.5};  // skill 1 − 0.24 / 0.25 = +0.04
}

}  // namespace

TEST(CircuitBreaker, RealisedSkillByHand) {
  // p = 0.8 on every up, 0.2 on every down: all right, Brier 0.04, base rate 0.5 → skill 1 − 0.04 / 0.25.
  const RealisedSkill s = realised_skill(outcomes(60, true), options());
  EXPECT_EQ(s.count, 60u);
  EXPECT_DOUBLE_EQ(s.accuracy, 1.0);
  EXPECT_NEAR(s.brier, 0.04, 1e-12);
  EXPECT_NEAR(s.base_rate, 0.5, 1e-12);
  EXPECT_NEAR(s.skill, 0.84, 1e-12);
  EXPECT_LE(s.skill_low, s.skill + 1e-9);
  EXPECT_GE(s.skill_high, s.skill - 1e-9);
  // Only the newest `window` count.
  auto mixed = outcomes(100, false);
  const auto good = outcomes(100, true, 1000);
  mixed.insert(mixed.end(), good.begin(), good.end());
  EXPECT_DOUBLE_EQ(realised_skill(mixed, options()).accuracy, 1.0);
  // The reference is the base rate known at prediction time, not the window's own share of ups: a model
  // at 0.5 in a window where 1/3 went up is no worse than a base-rate forecast that also said 0.5.
  std::vector<ResolvedOutcome> trend;
  for (int i = 0; i < 60; ++i) trend.push_back({i + 1, 0.5, i % 3 == 0, 0.5});
  const RealisedSkill t = realised_skill(trend, options());
  EXPECT_NEAR(t.base_rate, 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(t.skill, 0.0, 1e-12);
  // A base rate that was exactly right leaves no skill to measure.
  std::vector<ResolvedOutcome> ups(50, ResolvedOutcome{1, 0.6, true, 1.0});
  EXPECT_FALSE(realised_skill(ups, options()).skill_defined);
  EXPECT_THROW(realised_skill({ResolvedOutcome{1, 1.5, true}}, options()), std::invalid_argument);
}

TEST(CircuitBreaker, NotJudgedBelowMinOutcomes) {
  ModelBreaker b(options());
  b.observe(outcomes(39, false), 100);
  EXPECT_EQ(b.state(), BreakerState::kActive);
  EXPECT_EQ(b.weight_factor(), 1.0);
  EXPECT_NE(b.reason().find("39 of 40"), std::string::npos) << b.reason();
}

TEST(CircuitBreaker, NoiseAroundTheFloorDoesNotBench) {
  // 60 outcomes, a weak model right on 28 of them: below 0.5, but not beyond noise.
  std::vector<ResolvedOutcome> o;
  for (int i = 0; i < 60; ++i) {
    const bool up = (i * 7) % 3 == 0;
    const bool right = (i % 15) < 7;  // 28 of 60
    o.push_back({i + 1, up == right ? 0.52 : 0.48, up});
  }
  ModelBreaker b(options());
  b.observe(o, 100);
  EXPECT_EQ(b.state(), BreakerState::kActive) << b.reason();
}

TEST(CircuitBreaker, BadModelIsBenchedAndStaysBenchedWithoutAPassingRetrain) {
  ModelBreaker b(options());
  b.observe(outcomes(60, true), 100);
  EXPECT_EQ(b.state(), BreakerState::kActive);
  b.observe(outcomes(60, false), 200);
  ASSERT_TRUE(b.benched());
  EXPECT_EQ(b.weight_factor(), 0.0);
  EXPECT_EQ(b.times_benched(), 1u);
  EXPECT_NE(b.reason().find("accuracy 0.000"), std::string::npos) << b.reason();
  const auto j = b.to_json();
  EXPECT_EQ(j.at("state"), "benched");
  EXPECT_EQ(j.at("benchedSkill").at("count"), 60);
  // Good outcomes afterwards do not bring it back.
  b.observe(outcomes(100, true, 500), 300);
  EXPECT_TRUE(b.benched());
  // Retrains that do not pass: stale data, too few test windows, accuracy or skill below the floor.
  EXPECT_FALSE(b.on_retrain(passing(60), 400));  // data ends at the last judged outcome
  RetrainCheck few = passing(1000);
  few.test_samples = 10;
  EXPECT_FALSE(b.on_retrain(few, 400));
  RetrainCheck weak = passing(1000);
  weak.test_accuracy = 0.49;
  EXPECT_FALSE(b.on_retrain(weak, 400));
  RetrainCheck unskilled = passing(1000);
  unskilled.test_brier = 0.26;
  EXPECT_FALSE(b.on_retrain(unskilled, 400));
  EXPECT_TRUE(b.benched());
  EXPECT_EQ(b.to_json().at("lastRetrain").at("passed"), false);
}

TEST(CircuitBreaker, PassingRetrainReadmitsAndOldOutcomesDoNotBenchAgain) {
  ModelBreaker b(options());
  b.observe(outcomes(60, false), 200);
  ASSERT_TRUE(b.benched());
  EXPECT_TRUE(b.on_retrain(passing(1000), 1000));
  EXPECT_EQ(b.state(), BreakerState::kActive);
  EXPECT_EQ(b.weight_factor(), 1.0);
  EXPECT_NE(b.reason().find("re-admitted"), std::string::npos);
  // The bad outcomes that benched it were made before the re-admission: they no longer count.
  b.observe(outcomes(60, false), 1100);
  EXPECT_EQ(b.state(), BreakerState::kActive) << b.reason();
  // New bad outcomes bench it again.
  b.observe(outcomes(60, false, 2000), 2100);
  EXPECT_TRUE(b.benched());
  EXPECT_EQ(b.times_benched(), 2u);
  // A retrain of an active model changes nothing.
  ModelBreaker active(options());
  EXPECT_FALSE(active.on_retrain(passing(1000), 10));
  EXPECT_EQ(active.state(), BreakerState::kActive);
}

TEST(CircuitBreaker, EnsembleBreakerFlipsSignalsToHoldAndBack) {
  EnsembleBreaker e(options());
  EXPECT_EQ(e.gate("BUY"), "BUY");
  e.observe(outcomes(60, false));  // confidently wrong: skill far below 0
  ASSERT_TRUE(e.tripped());
  EXPECT_EQ(e.gate("BUY"), "HOLD");
  EXPECT_EQ(e.gate("SELL"), "HOLD");
  EXPECT_EQ(e.gate("HOLD"), "HOLD");
  EXPECT_NE(e.reason().find("HOLD"), std::string::npos);
  EXPECT_EQ(e.times_tripped(), 1u);
  e.observe(outcomes(60, true));
  EXPECT_FALSE(e.tripped());
  EXPECT_EQ(e.gate("SELL"), "SELL");
  EXPECT_EQ(e.to_json().at("tripped"), false);
  e.observe(outcomes(10, false));  // too few outcomes: not judged, signals pass
  EXPECT_FALSE(e.tripped());
}

TEST(CircuitBreaker, ValidatesOptions) {
  BreakerOptions o = options();
  o.min_outcomes = 200;
  EXPECT_THROW(ModelBreaker{o}, std::invalid_argument);
  o = options();
  o.accuracy_floor = 1.5;
  EXPECT_THROW(o.validate(), std::invalid_argument);
}

TEST(CircuitBreaker, ABenchedStateSurvivesARestartAndStillNeedsAPassingRetrain) {
  ModelBreaker b(options());
  b.observe(outcomes(60, false), 5000);
  ASSERT_TRUE(b.benched());
  const nlohmann::json saved = b.saved();
  ModelBreaker restored(options());
  restored.restore(saved);
  EXPECT_TRUE(restored.benched());
  EXPECT_EQ(restored.times_benched(), 1u);
  EXPECT_EQ(restored.to_json()["benchedSkill"], b.to_json()["benchedSkill"]);
  EXPECT_EQ(restored.to_json()["benchedAt"], 5000);
  // Good outcomes do not bring it back; the model it benched, loaded again, is no fresh retrain.
  restored.observe(outcomes(60, true, 100), 6000);
  EXPECT_TRUE(restored.benched());
  EXPECT_FALSE(restored.on_retrain(passing(60), 6000));
  EXPECT_TRUE(restored.on_retrain(passing(61), 6000));
  // An active state round-trips as well, and garbage is refused.
  ModelBreaker again(options());
  again.restore(restored.saved());
  EXPECT_FALSE(again.benched());
  EXPECT_EQ(again.times_benched(), 1u);
  EXPECT_THROW(again.restore(nlohmann::json{{"state", "sleeping"}}), std::invalid_argument);
  EXPECT_THROW(again.restore(nlohmann::json::object()), std::invalid_argument);
}
