#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "tbml/ensemble/outcome_tracker.h"

using namespace tbml;

namespace {

TrackedPrediction make(const std::string& pair, std::int64_t ts, double close, std::size_t horizon,
                       std::map<std::string, double> models) {
  TrackedPrediction p;
  p.pair = pair;
  p.candle_ts = ts;
  p.close = close;
  p.horizon = horizon;
  p.made_at = 1;
  p.models = std::move(models);
  std::vector<ModelVote> votes;
  for (const auto& [n, prob] : p.models) votes.push_back({n, prob, 1.0});
  // Malformed inputs (no models, p outside [0, 1]) are left without ensemble values: record() must reject them.
  const bool valid = !votes.empty() && std::all_of(votes.begin(), votes.end(), [](const ModelVote& v) {
    return v.probability >= 0.0 && v.probability <= 1.0;
  });
  if (valid) {
    for (Strategy s : all_strategies()) p.ensemble[to_string(s)] = combine(votes, s).probability;
  }
  return p;
}

}  // namespace

TEST(OutcomeTracker, ResolvesOnlyAfterHorizonCandles) {
  OutcomeTracker t;
  ASSERT_TRUE(t.record(make("BTC", 1000, 100.0, 2, {{"lstm", 0.7}})).accepted);
  EXPECT_TRUE(t.on_candles("BTC", std::vector<CandleClose>{{1000, 100.0}, {2000, 99.0}}, 5).empty());
  EXPECT_EQ(t.stats("BTC").pending, 1u);
  auto r = t.on_candles("BTC", std::vector<CandleClose>{{3000, 101.0}}, 7);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome, 1);
  EXPECT_EQ(r[0].outcome_ts, 3000);
  EXPECT_EQ(r[0].outcome_close, 101.0);
  EXPECT_EQ(r[0].resolved_at, 7);
  EXPECT_EQ(r[0].prediction.models.at("lstm"), 0.7);
  // Feeding the same candles again resolves nothing twice.
  EXPECT_TRUE(t.on_candles("BTC", std::vector<CandleClose>{{1000, 100.0}, {2000, 99.0}, {3000, 101.0}}).empty());
  const PairStats s = t.stats("BTC");
  EXPECT_EQ(s.resolved, 1u);
  EXPECT_EQ(s.pending, 0u);
  EXPECT_EQ(s.models.at("lstm").realised.count, 1u);
  EXPECT_DOUBLE_EQ(s.models.at("lstm").realised.accuracy, 1.0);
  EXPECT_NEAR(s.models.at("lstm").realised.brier, 0.09, 1e-12);
}

TEST(OutcomeTracker, DownAndEqualClosesAreLabelZero) {
  OutcomeTracker t;
  t.on_candles("ETH", std::vector<CandleClose>{{1, 50.0}, {2, 50.0}});
  ASSERT_TRUE(t.record(make("ETH", 2, 50.0, 1, {{"gru", 0.4}})).accepted);
  auto eq = t.on_candles("ETH", std::vector<CandleClose>{{3, 50.0}});
  ASSERT_EQ(eq.size(), 1u);
  EXPECT_EQ(eq[0].outcome, 0);
  ASSERT_TRUE(t.record(make("ETH", 3, 50.0, 1, {{"gru", 0.4}})).accepted);
  auto down = t.on_candles("ETH", std::vector<CandleClose>{{4, 49.0}});
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].outcome, 0);
  const auto st = t.stats("ETH").models.at("gru").realised;
  EXPECT_DOUBLE_EQ(st.accuracy, 1.0);  // 0.4 predicted "not up" twice, right twice
  EXPECT_DOUBLE_EQ(st.base_rate, 0.0);
}

TEST(OutcomeTracker, GapsInCountingUseCandleSteps) {
  OutcomeTracker t;
  ASSERT_TRUE(t.record(make("BTC", 10, 1.0, 3, {{"cnn", 0.9}})).accepted);
  // Candles arrive out of order and in pieces; the 3rd candle after ts 10 is ts 40.
  EXPECT_TRUE(t.on_candles("BTC", std::vector<CandleClose>{{30, 5.0}, {20, 0.5}}).empty());
  auto r = t.on_candles("BTC", std::vector<CandleClose>{{50, 0.1}, {40, 2.0}});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome_ts, 40);
  EXPECT_EQ(r[0].outcome, 1);
}

TEST(OutcomeTracker, RejectsPredictionsWhoseOutcomeIsKnownAndMalformedOnes) {
  OutcomeTracker t;
  t.on_candles("BTC", std::vector<CandleClose>{{1, 1.0}, {2, 2.0}, {3, 3.0}});
  auto late = t.record(make("BTC", 1, 1.0, 2, {{"lstm", 0.6}}));
  EXPECT_FALSE(late.accepted);
  EXPECT_NE(late.reason.find("already known"), std::string::npos);
  EXPECT_TRUE(t.record(make("BTC", 2, 2.0, 2, {{"lstm", 0.6}})).accepted);  // only 1 later candle
  EXPECT_FALSE(t.record(make("BTC", 3, 3.0, 0, {{"lstm", 0.6}})).accepted);
  EXPECT_FALSE(t.record(make("BTC", 3, 3.0, 1, {})).accepted);
  EXPECT_FALSE(t.record(make("BTC", 3, 3.0, 1, {{"lstm", 1.5}})).accepted);
  EXPECT_FALSE(t.record(make("", 3, 3.0, 1, {{"lstm", 0.5}})).accepted);
  EXPECT_EQ(t.stats("BTC").rejected, 4u);
}

TEST(OutcomeTracker, NewerPredictionForSameCandleReplacesPending) {
  OutcomeTracker t;
  ASSERT_TRUE(t.record(make("BTC", 1, 1.0, 1, {{"lstm", 0.2}})).accepted);
  ASSERT_TRUE(t.record(make("BTC", 1, 1.0, 1, {{"lstm", 0.8}})).accepted);
  auto r = t.on_candles("BTC", std::vector<CandleClose>{{2, 2.0}});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].prediction.models.at("lstm"), 0.8);
  EXPECT_EQ(t.stats("BTC").replaced, 1u);
}

TEST(OutcomeTracker, DynamicWeightsMoveTowardTheModelThatIsRight) {
  // Seeded random walk; "oracle" knows the realised direction, "noise" is a seeded uniform draw.
  std::mt19937 rng(42);
  std::normal_distribution<double> step(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const std::size_t n = 300, h = 5;
  std::vector<double> close(n + h);
  close[0] = 100.0;
  for (std::size_t i = 1; i < close.size(); ++i) close[i] = close[i - 1] + step(rng);

  OutcomeTrackerOptions opt;
  opt.min_outcomes = 20;
  OutcomeTracker t(opt);
  const WeightMap configured = {{"noise", 1.0}, {"oracle", 0.5}};
  std::size_t resolved = 0;
  for (std::size_t i = 0; i < close.size(); ++i) {
    const auto ts = static_cast<std::int64_t>(i) * 3600000;
    resolved += t.on_candles("SYN", std::vector<CandleClose>{{ts, close[i]}}).size();
    if (i < n) {
      const double oracle = close[i + h] > close[i] ? 0.8 : 0.2;
      ASSERT_TRUE(t.record(make("SYN", ts, close[i], h, {{"oracle", oracle}, {"noise", uniform(rng)}})).accepted);
    }
    if (resolved == 10) {
      const WeightDecision early = t.decide_weights("SYN", configured, true);
      EXPECT_FALSE(early.dynamic);
      EXPECT_EQ(early.weights, configured);
      EXPECT_NE(early.reason.find("no model has 20"), std::string::npos) << early.reason;
    }
  }
  EXPECT_EQ(resolved, n);
  const WeightDecision off = t.decide_weights("SYN", configured, false);
  EXPECT_FALSE(off.dynamic);
  EXPECT_EQ(off.weights, configured);

  const WeightDecision d = t.decide_weights("SYN", configured, true);
  EXPECT_TRUE(d.dynamic);
  EXPECT_DOUBLE_EQ(d.weights.at("oracle"), 1.0);
  EXPECT_LT(d.weights.at("noise"), 0.5);
  EXPECT_GE(d.weights.at("noise"), opt.weight_floor);
  EXPECT_NE(d.reason.find("oracle Brier 0.040 vs base-rate"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("over 200 outcomes"), std::string::npos) << d.reason;

  const PairStats s = t.stats("SYN");
  EXPECT_EQ(s.models.at("oracle").realised.count, 200u);  // rolling window
  EXPECT_DOUBLE_EQ(s.models.at("oracle").realised.accuracy, 1.0);
  EXPECT_NEAR(s.models.at("oracle").realised.brier, 0.04, 1e-12);
  EXPECT_GT(s.models.at("noise").realised.brier, 0.2);
  EXPECT_EQ(s.ensemble.size(), 4u);
  EXPECT_EQ(s.resolved, n);
  EXPECT_EQ(s.recorded, n);
}

TEST(OutcomeTracker, WithoutSkillWeightsStillFollowRelativeSkillAndSaySo) {
  // Alternating outcomes (base rate 0.5, base-rate Brier 0.25). "flat" always says 0.5 (Brier 0.25, skill
  // 0); "wrong" says 0.6 for a down and 0.4 for an up (Brier 0.36, skill -0.44).
  OutcomeTracker t;
  const WeightMap configured = {{"flat", 0.3}, {"wrong", 1.0}};
  for (int i = 0; i < 41; ++i) {
    t.on_candles("BTC", std::vector<CandleClose>{{i, static_cast<double>(i % 2)}});
    const double wrong = i % 2 == 0 ? 0.4 : 0.6;  // next candle goes up after an even one
    ASSERT_TRUE(t.record(make("BTC", i, i % 2, 1, {{"flat", 0.5}, {"wrong", wrong}})).accepted);
  }
  const WeightDecision d = t.decide_weights("BTC", configured, true);
  EXPECT_TRUE(d.dynamic);
  EXPECT_DOUBLE_EQ(d.weights.at("flat"), 1.0);
  EXPECT_DOUBLE_EQ(d.weights.at("wrong"), 0.05);  // exp(-0.44 / 0.1) = 0.012, below the floor
  EXPECT_NE(d.reason.find("no model beats the base rate (best: flat at +0.000)"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("wrong Brier 0.360 vs base-rate 0.250 over 40 outcomes, skill -0.440 -> weight 0.05"),
            std::string::npos)
      << d.reason;
}

TEST(OutcomeTracker, WeightsFollowTheSkillGapOverTheTemperature) {
  // Every candle goes up, then down, ... as above. "a" says 0.6 for the right side (Brier 0.16, skill
  // 0.36), "b" 0.55 (Brier 0.2025, skill 0.19): weight_b = exp((0.19 - 0.36) / 0.2) = exp(-0.85).
  OutcomeTrackerOptions opt;
  opt.skill_temperature = 0.2;
  opt.weight_floor = 0.0;
  OutcomeTracker t(opt);
  for (int i = 0; i < 41; ++i) {
    t.on_candles("ETH", std::vector<CandleClose>{{i, static_cast<double>(i % 2)}});
    const bool up_next = i % 2 == 0;
    ASSERT_TRUE(t.record(make("ETH", i, i % 2, 1, {{"a", up_next ? 0.6 : 0.4}, {"b", up_next ? 0.55 : 0.45}}))
                    .accepted);
  }
  const WeightDecision d = t.decide_weights("ETH", {{"a", 1.0}, {"b", 1.0}}, true);
  ASSERT_TRUE(d.dynamic);
  EXPECT_DOUBLE_EQ(d.weights.at("a"), 1.0);
  EXPECT_NEAR(d.weights.at("b"), std::exp(-0.85), 1e-9);
  EXPECT_NE(d.reason.find("a leads with skill +0.360 over the base rate"), std::string::npos) << d.reason;
}

TEST(OutcomeTracker, ModelsAreComparedOnTheOutcomesTheyAllSaw) {
  // Alternating outcomes. "early" predicts for 60 candles: sharp and right for the first 30 (Brier 0.01),
  // then 0.5 (Brier 0.25, skill 0). "late" joins for the last 30 at 0.6 on the right side (Brier 0.16,
  // skill 0.36). Over its own 60 outcomes early would look better (Brier 0.13, skill 0.48); on the 30
  // both saw, late is better.
  OutcomeTracker t;
  for (int i = 0; i < 61; ++i) {
    t.on_candles("BTC", std::vector<CandleClose>{{i, static_cast<double>(i % 2)}});
    const bool up_next = i % 2 == 0;
    std::map<std::string, double> models;
    models["early"] = i < 30 ? (up_next ? 0.9 : 0.1) : 0.5;
    if (i >= 30) models["late"] = up_next ? 0.6 : 0.4;
    ASSERT_TRUE(t.record(make("BTC", i, i % 2, 1, models)).accepted);
  }
  EXPECT_EQ(t.stats("BTC").models.at("early").realised.count, 60u);
  const WeightDecision d = t.decide_weights("BTC", {{"early", 1.0}, {"late", 1.0}}, true);
  ASSERT_TRUE(d.dynamic);
  EXPECT_DOUBLE_EQ(d.weights.at("late"), 1.0);
  EXPECT_DOUBLE_EQ(d.weights.at("early"), 0.05);  // exp(-3.6), floored
  EXPECT_NE(d.reason.find("scored on the 30 outcomes all 2 models saw"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("early Brier 0.250 vs base-rate 0.250 over 30 outcomes"), std::string::npos) << d.reason;
}

TEST(OutcomeTracker, OneSidedWindowIsScoredAgainstTheCoinFlip) {
  // Only ups: the base-rate Brier is 0, so skill is measured against 0.25 and stays finite.
  OutcomeTracker t;
  for (int i = 0; i < 30; ++i) {
    t.on_candles("SOL", std::vector<CandleClose>{{i, static_cast<double>(i)}});
    ASSERT_TRUE(t.record(make("SOL", i, i, 1, {{"up", 0.9}, {"half", 0.5}})).accepted);
  }
  const WeightDecision d = t.decide_weights("SOL", {{"up", 1.0}, {"half", 1.0}}, true);
  ASSERT_TRUE(d.dynamic);
  EXPECT_DOUBLE_EQ(d.weights.at("up"), 1.0);  // skill 1 - 0.01 / 0.25 = 0.96
  EXPECT_DOUBLE_EQ(d.weights.at("half"), 0.05);
  for (const auto& [name, w] : d.weights) EXPECT_TRUE(std::isfinite(w)) << name;
  // The reason names the reference actually used, not the base rate's 0.
  EXPECT_NE(d.reason.find("up Brier 0.010 vs coin-flip 0.250 (one-sided window) over 29 outcomes, skill +0.960"),
            std::string::npos)
      << d.reason;
}

TEST(OutcomeTracker, RejectsANonPositiveSkillTemperature) {
  OutcomeTrackerOptions opt;
  opt.skill_temperature = 0.0;
  EXPECT_THROW(OutcomeTracker{opt}, std::invalid_argument);
  opt.skill_temperature = std::nan("");
  EXPECT_THROW(OutcomeTracker{opt}, std::invalid_argument);
}

TEST(OutcomeTracker, RestoreRebuildsStatsAndPending) {
  OutcomeTracker a;
  std::vector<ResolvedPrediction> history;
  for (int i = 0; i < 30; ++i) {
    auto r = a.on_candles("BTC", std::vector<CandleClose>{{i, 100.0 + (i % 3)}});
    history.insert(history.end(), r.begin(), r.end());
    ASSERT_TRUE(a.record(make("BTC", i, 100.0 + (i % 3), 2, {{"lstm", 0.6}, {"gru", 0.3}})).accepted);
  }
  ASSERT_EQ(history.size(), 28u);

  OutcomeTracker b;
  b.restore(history);
  b.restore(history);  // duplicates ignored
  b.restore_pending({make("BTC", 28, 101.0, 2, {{"lstm", 0.6}}), make("BTC", 29, 102.0, 2, {{"lstm", 0.6}})});
  const PairStats sa = a.stats("BTC"), sb = b.stats("BTC");
  EXPECT_EQ(sb.resolved, 28u);
  EXPECT_EQ(sb.pending, 2u);
  EXPECT_DOUBLE_EQ(sa.models.at("lstm").realised.brier, sb.models.at("lstm").realised.brier);
  EXPECT_DOUBLE_EQ(sa.models.at("gru").realised.accuracy, sb.models.at("gru").realised.accuracy);
  EXPECT_DOUBLE_EQ(sa.ensemble.at("weighted").brier, sb.ensemble.at("weighted").brier);
  // Pending restored predictions resolve when the poller delivers the full window after a restart.
  std::vector<CandleClose> window;
  for (int i = 20; i < 32; ++i) window.push_back({i, 100.0 + i});
  EXPECT_EQ(b.on_candles("BTC", window).size(), 2u);
}

TEST(OutcomeTracker, ConcurrentUseIsSafe) {
  OutcomeTracker t;
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&t, k] {
      const std::string pair = "P" + std::to_string(k % 2);
      for (int i = 0; i < 200; ++i) {
        t.on_candles(pair, std::vector<CandleClose>{{i * 4 + k, 1.0 + i}});
        t.record(make(pair, i * 4 + k, 1.0 + i, 1, {{"lstm", 0.7}}));
        t.stats(pair);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(t.pairs().size(), 2u);
  EXPECT_GT(t.stats("P0").resolved, 0u);
}

TEST(OutcomeTracker, TrackedFromSnapshotScoresEveryStrategy) {
  PredictionSnapshot snap;
  snap.pair = "BTC";
  snap.data_timestamp = 77;
  snap.horizon = 5;
  snap.models = {{"lstm", 0.7, 1, 0, 0}, {"gru", 0.4, 1, 0, 0}};
  const TrackedPrediction p = tracked_from_snapshot(snap, 123.0, {{"lstm", 1.0}, {"gru", 0.0}});
  EXPECT_EQ(p.candle_ts, 77);
  EXPECT_EQ(p.close, 123.0);
  EXPECT_EQ(p.ensemble.size(), 4u);
  EXPECT_DOUBLE_EQ(p.ensemble.at("weighted"), 0.7);
  EXPECT_DOUBLE_EQ(p.ensemble.at("majority"), 0.5);  // tie
  EXPECT_THROW(tracked_from_snapshot(PredictionSnapshot{}, 1.0, {}), std::invalid_argument);
}
