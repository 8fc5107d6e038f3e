// HorizonTrack: each horizon resolves its own predictions h candles later, as storage updates naming
// that horizon, and keeps its own weights; configured settings are what it starts from.
#include "tbml/service/horizon_track.h"

#include <gtest/gtest.h>

namespace tbml {
namespace {

constexpr std::int64_t kHour = 3600000;

Candle candle(int i, double close) {
  Candle c;
  c.timestamp = i * kHour;
  c.open = c.high = c.low = c.close = close;
  c.high += 1;
  c.volume = 1;
  return c;
}

TrackedPrediction made_at(int i, double close, std::size_t horizon) {
  TrackedPrediction p;
  p.pair = "BTC";
  p.candle_ts = i * kHour;
  p.close = close;
  p.horizon = horizon;
  p.models = {{"xgboost", 0.6}};
  p.ensemble = {{"weighted", 0.6}};
  return p;
}

TEST(HorizonTrack, EachHorizonResolvesItsOwnPredictionsLater) {
  HorizonTrack h1(1, {});
  HorizonTrack h3(3, {});
  EXPECT_EQ(h3.horizon(), 3u);
  for (HorizonTrack* t : {&h1, &h3}) {
    t->resolve("BTC", {candle(0, 100)}, 0);
    ASSERT_TRUE(t->tracker.record(made_at(0, 100, t->horizon())).accepted);
  }
  // Candle 1 is up, candles 2 and 3 fall below the start: horizon 1 is "up", horizon 3 "down".
  const std::vector<std::vector<Candle>> arriving = {{candle(1, 101)}, {candle(2, 99)}, {candle(3, 98)}};
  std::vector<OutcomeUpdate> got1, got3;
  for (const auto& batch : arriving) {
    for (const auto& u : h1.resolve("BTC", batch, 7)) got1.push_back(u);
    for (const auto& u : h3.resolve("BTC", batch, 7)) got3.push_back(u);
    if (&batch == &arriving[1]) EXPECT_TRUE(got3.empty()) << "horizon 3 resolved after 2 candles";
  }
  ASSERT_EQ(got1.size(), 1u);
  EXPECT_EQ(got1[0].horizon, 1);
  EXPECT_EQ(got1[0].candle_ts, 0);
  EXPECT_TRUE(got1[0].outcome);
  EXPECT_TRUE(got1[0].model.empty());
  ASSERT_EQ(got3.size(), 1u);
  EXPECT_EQ(got3[0].horizon, 3);
  EXPECT_FALSE(got3[0].outcome);
}

TEST(HorizonTrack, StartsFromTheConfiguredSettingsAndRefitsOnItsOwnOutcomes) {
  HorizonTrack t(5, {});
  PairEnsembleSettings configured;
  configured.weights = {{"xgboost", 1.0}, {"lstm", 2.0}};
  configured.strategy = Strategy::kAverage;
  const PairEnsembleView before = t.view("BTC", configured);
  EXPECT_EQ(before.decision.weights, configured.weights);
  EXPECT_EQ(before.strategy, Strategy::kAverage);
  EXPECT_FALSE(before.stacked);
  // No outcomes: refitting keeps the configured weights (nothing to store) and fits an empty stack.
  EXPECT_FALSE(t.refit("BTC", configured, true));
  const PairEnsembleView after = t.view("BTC", configured);
  EXPECT_EQ(after.decision.weights, configured.weights);
  ASSERT_TRUE(after.stacked);
  EXPECT_FALSE(after.stacked->model.has_value());
  // Another track is untouched.
  HorizonTrack other(1, {});
  EXPECT_FALSE(other.view("BTC", configured).stacked);
}

TEST(HorizonTrack, RejectsHorizonZero) { EXPECT_THROW(HorizonTrack(0, {}), std::invalid_argument); }

}  // namespace
}  // namespace tbml
