#include "tbml/volatility/volatility_model.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>

#include "tbml/volatility/realised.h"
#include "tbml/volatility/scores.h"
#include "unit/volatility/garch_sim.h"

namespace tbml::volatility {
namespace {

// Fast mean reversion (α + β = 0.9): EWMA's random-walk variance is the wrong model here, GARCH the right
// one, and the trees see GARCH's forecast among their inputs.
const Series& sim_series() {
  static const Series s = test::garch_series(5000, 1e-5, 0.20, 0.70, 21);
  return s;
}

// Trained once for the whole program and released before exit: an XGBoost booster freed during static
// destruction crashes (XGBoost's own statics are gone by then), so no BoostedTrees may live in a static.
std::unique_ptr<VolatilityTrainResult> g_result;
const VolatilityTrainResult& sim_result() {
  if (!g_result) g_result = std::make_unique<VolatilityTrainResult>(train_volatility_model(sim_series(), VolatilityTrainOptions{}));
  return *g_result;
}

class ReleaseTrees : public ::testing::Environment {
 public:
  void TearDown() override { g_result.reset(); }
};
const auto* const kReleaseTrees = ::testing::AddGlobalTestEnvironment(new ReleaseTrees);

TEST(VolatilityModel, BeatsEwmaOnSimulatedGarch) {
  const auto& r = sim_result();
  const auto& c = r.report.at("candidates");
  const double trees = c.at("trees").at("test").at("qlike").get<double>();
  const double garch = c.at("garch").at("test").at("qlike").get<double>();
  const double ewma = c.at("ewma").at("test").at("qlike").get<double>();
  std::cout << "simulated GARCH, test QLIKE: trees " << trees << ", har " << c.at("har").at("test").at("qlike")
            << ", garch " << garch << ", ewma " << ewma << ", historical " << c.at("historical").at("test").at("qlike")
            << "; served " << r.report.at("served") << " (" << r.report.at("reason").get<std::string>() << "); "
            << r.seconds << " s\n";
  std::cout << "trees target " << r.report.at("parameters").at("trees").at("targets").dump() << "\n";
  EXPECT_LT(trees, ewma);
  const auto& vs = r.report.at("comparisons").at("trees-ewma");
  EXPECT_LT(vs.at("interval")[1].get<double>(), 0.0) << vs.dump();  // the whole interval below zero
  EXPECT_FALSE(r.report.at("parameters").at("garch").at("fallback").get<bool>());
  const double alpha = r.report.at("parameters").at("garch").at("alpha").get<double>();
  EXPECT_NEAR(alpha, 0.15, 0.06);
  // The served member is the rule's: the learned model only with a lower test QLIKE than GARCH.
  const std::string served = r.report.at("served");
  if (served != "garch") {
    EXPECT_LT(c.at(served).at("test").at("qlike").get<double>(), garch);
  }
  for (const char* key : {"samples", "span", "rvFloor", "learned", "reason", "skillVsEwma", "parameters", "seconds"})
    EXPECT_TRUE(r.report.contains(key)) << key;
  EXPECT_GT(r.report.at("parameters").at("trees").at("bestRound").get<int>(), 0);
}

TEST(VolatilityModel, ServingReproducesTheScoredTestForecasts) {
  const auto& r = sim_result();
  const Series& s = sim_series();
  const auto& m = *r.model;
  const std::int64_t from = r.report.at("span").at("test").at("from"), to = r.report.at("span").at("test").at("to");
  const auto targets = realised_targets(s, log_returns(s), m.horizon());
  std::vector<double> rv, var;
  for (std::size_t t = 0; t < s.size(); ++t) {
    if (s.candles[t].timestamp < from || s.candles[t].timestamp > to) continue;
    rv.push_back(targets.rv[t]);
    var.push_back(m.forecast_at(s, t, Member::kTrees).variance);
  }
  ASSERT_EQ(rv.size(), r.report.at("samples").at("test").get<std::size_t>());
  double q = 0.0;
  for (double l : qlike_losses(rv, var, m.parts().spec.floor)) q += l;
  EXPECT_NEAR(q / static_cast<double>(rv.size()),
              r.report.at("candidates").at("trees").at("test").at("qlike").get<double>(), 1e-9);
}

Series tail(const Series& s, std::size_t n) {
  Series out;
  out.pair = s.pair;
  out.width = s.width;
  const std::size_t first = s.size() - n;
  out.candles.assign(s.candles.begin() + first, s.candles.end());
  out.gap_before.assign(s.gap_before.begin() + first, s.gap_before.end());
  out.features.assign(s.features.begin() + first * s.width, s.features.end());
  return out;
}

TEST(VolatilityModel, ForecastNeedsOnlyTheLastCandles) {
  const auto& m = *sim_result().model;
  const Series& s = sim_series();
  EXPECT_EQ(m.min_candles(), 201u);
  const Series recent = tail(s, m.min_candles());
  for (Member member : all_members()) {
    if (!m.has(member)) continue;  // the network: no candidate in this stage's tests
    const VolatilityForecast a = m.forecast(recent, member), b = m.forecast(s, member);
    EXPECT_EQ(a.variance, b.variance) << to_string(member);
    EXPECT_EQ(a.q90, b.q90) << to_string(member);
  }
  const VolatilityForecast f = m.forecast(recent);
  EXPECT_EQ(f.member, to_string(m.served()));
  EXPECT_EQ(f.timestamp, s.candles.back().timestamp);
  EXPECT_EQ(f.horizon, 5u);
  EXPECT_NEAR(f.sigma * f.sigma, f.variance, 1e-15);
  EXPECT_LT(f.q10, f.q50);
  EXPECT_LT(f.q50, f.q90);
  EXPECT_EQ(f.lower, f.q10);
  EXPECT_DOUBLE_EQ(f.upper_multiplier, std::exp(f.q90));
  EXPECT_LT(f.lower_multiplier, 1.0);
  EXPECT_GT(f.upper_multiplier, 1.0);
  const auto j = f.to_json();
  EXPECT_EQ(j.at("interval80").at("upper").get<double>(), f.upper);
  EXPECT_EQ(j.at("member").get<std::string>(), f.member);
  std::cout << "forecast: " << j.dump() << "\n";
}

TEST(VolatilityModel, TooShortOrJustAfterAGapThrowsWithAReason) {
  const auto& m = *sim_result().model;
  const Series& s = sim_series();
  try {
    m.forecast(tail(s, 150));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("201"), std::string::npos) << e.what();
  }
  Series gapped = tail(s, 300);
  gapped.gap_before.back() = 1;
  EXPECT_THROW(m.forecast(gapped, Member::kGarch), std::invalid_argument);
  Series narrow = tail(s, 300);
  narrow.width = 3;
  EXPECT_THROW(m.forecast(narrow, Member::kTrees), std::invalid_argument);
}

TEST(VolatilityModel, RoundTripGivesIdenticalForecasts) {
  const auto& m = *sim_result().model;
  const std::string text = m.to_json().dump();
  const std::string bytes = m.weights();
  ASSERT_FALSE(bytes.empty());
  const VolatilityModel back = VolatilityModel::from_json(nlohmann::json::parse(text), bytes);
  EXPECT_EQ(back.served(), m.served());
  EXPECT_EQ(back.to_json().dump(), text);
  const Series& s = sim_series();
  for (Member member : all_members())
    for (std::size_t t : {s.size() - 1, s.size() - 37, std::size_t{900}}) {
      if (!m.has(member)) continue;
      const auto a = m.forecast_at(s, t, member), b = back.forecast_at(s, t, member);
      EXPECT_EQ(a.variance, b.variance) << to_string(member) << " at " << t;
      EXPECT_EQ(a.q10, b.q10);
      EXPECT_EQ(a.q50, b.q50);
      EXPECT_EQ(a.q90, b.q90);
      EXPECT_EQ(a.skill_vs_ewma, b.skill_vs_ewma);
    }
  auto bad = nlohmann::json::parse(text);
  bad["format"] = "other";
  EXPECT_THROW(VolatilityModel::from_json(bad, bytes), std::invalid_argument);
  EXPECT_THROW(VolatilityModel::from_json(nlohmann::json::parse(text), ""), std::invalid_argument);
  auto old_features = nlohmann::json::parse(text);
  old_features["featureVersion"] = "some-older-version";
  old_features["served"] = "garch";
  const VolatilityModel no_trees = VolatilityModel::from_json(old_features, bytes);
  EXPECT_FALSE(no_trees.has(Member::kTrees));
  old_features["served"] = "trees";
  EXPECT_THROW(VolatilityModel::from_json(old_features, bytes), std::invalid_argument);
}

TEST(VolatilityModel, TrainsOn1440CandlesWellUnderTenSeconds) {
  const Series s = test::garch_series(1440, 2e-6, 0.08, 0.90, 5);
  const auto start = std::chrono::steady_clock::now();
  const VolatilityTrainResult r = train_volatility_model(s, VolatilityTrainOptions{});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "1,440 candles: trained in " << seconds << " s (report " << r.report.at("seconds") << " s), samples "
            << r.report.at("samples").dump() << ", trees rounds " << r.report.at("parameters").at("trees").at("bestRound")
            << "\n";
  EXPECT_LT(seconds, 10.0);
  EXPECT_EQ(r.report.at("samples").at("train").get<std::size_t>() + r.report.at("samples").at("validation").get<std::size_t>() +
                r.report.at("samples").at("test").get<std::size_t>() + r.report.at("samples").at("embargoed").get<std::size_t>(),
            s.size() - 200u - 5u);
}

// Shutdown cancels a run between the candidates' fits: asked at each, it stops at the n-th question.
TEST(VolatilityModel, CancelledBetweenFitsThrowsCancelled) {
  const Series s = test::garch_series(1440, 2e-6, 0.08, 0.90, 5);
  for (int stop_at : {1, 3}) {
    int asked = 0;
    VolatilityTrainOptions o;
    o.cancelled = [&] { return ++asked >= stop_at; };
    EXPECT_THROW(train_volatility_model(s, o), VolatilityTrainCancelled);
    EXPECT_EQ(asked, stop_at);
  }
  int asked = 0;
  VolatilityTrainOptions o;
  o.cancelled = [&] { return ++asked < 0; };
  EXPECT_NO_THROW(train_volatility_model(s, o));
  EXPECT_GE(asked, 4) << "asked before each tree target, HAR and the scoring";
}

TEST(VolatilityModel, OptionsAreChecked) {
  VolatilityTrainOptions o;
  o.horizon = 0;
  EXPECT_THROW(o.validate(), std::invalid_argument);
  o = {};
  o.trees.objective = TreeObjective::kBinaryLogistic;
  EXPECT_THROW(o.validate(), std::invalid_argument);
  o = {};
  o.block_length = 2;
  EXPECT_THROW(o.validate(), std::invalid_argument);
  EXPECT_THROW(train_volatility_model(test::garch_series(300), VolatilityTrainOptions{}), std::invalid_argument);
}

}  // namespace
}  // namespace tbml::volatility
