#include "tbml/evaluation/volatility_evaluator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "unit/volatility/garch_sim.h"

namespace tbml::evaluation {
namespace {

TEST(VolatilityEvaluation, LossesMatchHandComputedValues) {
  // RV twice the forecast: QLIKE = 2 − ln 2 − 1, squared log error = (ln 2)².
  const VolatilityLoss l = volatility_loss(4e-4, 0.01, 2e-4, -0.02, 0.0, 0.015, 1e-6);
  EXPECT_NEAR(l.qlike, 1.0 - std::log(2.0), 1e-12);
  EXPECT_NEAR(l.sq_log, std::log(2.0) * std::log(2.0), 1e-12);
  EXPECT_EQ(l.covered, 1.0);
  EXPECT_NEAR(l.pinball10, 0.1 * 0.03, 1e-12);
  EXPECT_NEAR(l.pinball50, 0.5 * 0.01, 1e-12);
  EXPECT_NEAR(l.pinball90, 0.1 * 0.005, 1e-12);  // above q90 would cost 0.9×, below costs 0.1×
  // Outside the interval; RV of 0 is floored.
  const VolatilityLoss z = volatility_loss(0.0, 0.05, 1e-4, -0.02, 0.0, 0.015, 1e-6);
  EXPECT_EQ(z.covered, 0.0);
  EXPECT_NEAR(z.qlike, 1e-2 - std::log(1e-2) - 1.0, 1e-12);
  EXPECT_NEAR(z.pinball90, 0.9 * 0.035, 1e-12);
}

// A tiny hand-made evaluation: 4 samples in 2 folds; every method forecasts the same except EWMA.
VolatilityPairEvaluation tiny() {
  VolatilityPairEvaluation e;
  e.pair = "T";
  e.horizon = 1;
  e.now = {10, 11, 12, 13};
  e.timestamp = {0, 3600000, 7200000, 10800000};
  e.rv = {1e-4, 4e-4, 1e-4, 2e-4};
  e.ret = {0.01, -0.02, 0.0, 0.03};
  e.floor = {1e-8, 1e-8, 1e-8, 1e-8};
  e.fold_of = {0, 0, 1, 1};
  for (const auto& name : volatility_method_names()) {
    VolatilityPath p{name, {1e-4, 2e-4, 1e-4, 1e-4}, {-0.015, -0.015, -0.015, -0.015}, {0, 0, 0, 0},
                     {0.015, 0.015, 0.015, 0.015}};
    if (name == "ewma") p.variance = {2e-4, 2e-4, 2e-4, 2e-4};
    e.methods.push_back(p);
  }
  return e;
}

TEST(VolatilityEvaluation, PooledScoresMatchHandComputedValues) {
  const VolatilityEvaluationOptions o;
  const VolatilityScores s = score_volatility({tiny()}, "T", o);
  const auto* garch = s.find("garch");
  const auto* ewma = s.find("ewma");
  ASSERT_TRUE(garch && ewma);
  auto q = [](double r) { return r - std::log(r) - 1.0; };
  // garch: ratios 1, 2, 1, 2.
  const double garch_qlike = (q(1) + q(2) + q(1) + q(2)) / 4.0;
  EXPECT_NEAR(garch->qlike, garch_qlike, 1e-12);
  EXPECT_NEAR(garch->mse_log_var, 2.0 * std::log(2.0) * std::log(2.0) / 4.0, 1e-12);
  // ewma: ratios 0.5, 2, 0.5, 1.
  const double ewma_qlike = (q(0.5) + q(2) + q(0.5) + q(1)) / 4.0;
  EXPECT_NEAR(ewma->qlike, ewma_qlike, 1e-12);
  // Inside [−0.015, 0.015]: 0.01 and 0.0 → 50 %; per fold 50 % and 50 %.
  EXPECT_DOUBLE_EQ(garch->coverage80, 0.5);
  EXPECT_EQ(garch->coverage_folds.folds, 2u);
  EXPECT_DOUBLE_EQ(garch->coverage_folds.mean, 0.5);
  // Fold QLIKE means: (q1 + q2)/2 both folds → zero spread.
  EXPECT_NEAR(garch->qlike_folds.low, garch->qlike_folds.high, 1e-12);
  // The bootstrap of garch − ewma has the mean difference of the losses.
  EXPECT_NEAR(garch->vs_ewma.mean_difference, garch_qlike - ewma_qlike, 1e-12);
  EXPECT_NEAR(ewma->vs_ewma.mean_difference, 0.0, 1e-15);
  // Pinball at 50 % with q50 = 0: mean |ret| / 2.
  EXPECT_NEAR(garch->pinball50, 0.5 * (0.01 + 0.02 + 0.0 + 0.03) / 4.0, 1e-12);
  // Pooling a pair with itself keeps the means.
  const VolatilityScores twice = score_volatility({tiny(), tiny()}, "pooled", o);
  EXPECT_NEAR(twice.find("garch")->qlike, garch_qlike, 1e-12);
  EXPECT_EQ(twice.find("garch")->samples, 8u);
}

VolatilityEvaluationOptions small_options() {
  VolatilityEvaluationOptions o;
  o.walk.train_window = 900;
  o.walk.block = 100;
  o.walk.blocks = 2;
  o.walk.sequence_length = 10;
  o.train.trees.max_rounds = 40;
  return o;
}

TEST(VolatilityEvaluation, ForecastsStrictlyOutOfSampleOnTheDirectionFolds) {
  const Series s = volatility::test::garch_series(1300, 1e-5, 0.15, 0.75, 3);
  const VolatilityEvaluationOptions o = small_options();
  const std::size_t h = 3;
  const VolatilityPairEvaluation e = evaluate_volatility_pair(s, h, o);
  ASSERT_EQ(e.folds.size(), 2u);
  EXPECT_EQ(e.methods.size(), volatility_method_names().size());
  auto walk = o.walk;
  walk.horizon = h;
  const auto folds = plan_folds(s.size(), walk);
  for (std::size_t i = 0; i < e.now.size(); ++i) {
    const Fold& f = folds[e.fold_of[i]];
    EXPECT_GE(e.now[i], f.test_begin);
    EXPECT_LT(e.now[i], f.test_end);
    EXPECT_GE(e.now[i], f.train_end);  // after every candle the fold trained on
    // RV is the sum of the next h squared log returns.
    double rv = 0.0;
    for (std::size_t k = 1; k <= h; ++k) rv += std::pow(std::log(s.candles[e.now[i] + k].close / s.candles[e.now[i] + k - 1].close), 2);
    EXPECT_NEAR(e.rv[i], rv, 1e-15);
    for (const auto& m : e.methods) {
      ASSERT_TRUE(std::isfinite(m.variance[i]) && m.variance[i] > 0.0) << m.name;
      ASSERT_LE(m.q10[i], m.q90[i]) << m.name;
    }
  }
  // Changing every candle from the second fold's first target on leaves the first fold's forecasts identical.
  Series changed = s;
  for (std::size_t t = folds[1].test_begin + 1; t < changed.size(); ++t) changed.candles[t].close *= 1.0 + 0.01 * std::sin(t);
  const VolatilityPairEvaluation c = evaluate_volatility_pair(changed, h, o);
  for (std::size_t i = 0; i < e.now.size() && e.fold_of[i] == 0; ++i)
    for (std::size_t m = 0; m < e.methods.size(); ++m) ASSERT_EQ(e.methods[m].variance[i], c.methods[m].variance[i]);
  const VolatilityReport r = build_volatility_report({{e}}, o);
  EXPECT_NE(volatility_markdown(r).find("QLIKE − EWMA"), std::string::npos);
  EXPECT_EQ(volatility_json(r, {{e}}).at("horizons").size(), 1u);
}

TEST(VolatilityEvaluation, RejectsBadOptions) {
  const Series s = volatility::test::garch_series(1300, 1e-5, 0.15, 0.75, 3);
  VolatilityEvaluationOptions o = small_options();
  EXPECT_THROW(evaluate_volatility_pair(s, 0, o), std::invalid_argument);
  EXPECT_THROW(evaluate_volatility_pair(s, 200, o), std::invalid_argument);  // block must exceed the horizon
  o.walk.blocks = 20;
  EXPECT_THROW(evaluate_volatility_pair(s, 3, o), std::invalid_argument);  // series too short
}

}  // namespace
}  // namespace tbml::evaluation
