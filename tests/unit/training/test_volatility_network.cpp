#include "tbml/training/volatility_network.h"

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "tbml/volatility/volatility_model.h"
#include "unit/volatility/garch_sim.h"

namespace tbml::training {
namespace {

using volatility::Member;
using volatility::VolatilityModel;
using volatility::VolatilityTrainOptions;
using volatility::VolatilityTrainResult;

// Strongly clustered GARCH (α + β = 0.95): a constant forecast is badly wrong here, a model of the recent
// returns is not. 2,500 candles keep the test to a few seconds.
const Series& sim_series() {
  static const Series s = volatility::test::garch_series(2500, 4e-6, 0.15, 0.80, 11);
  return s;
}

VolatilityTrainOptions network_options() {
  VolatilityTrainOptions o;
  o.horizon = 5;
  o.fit_trees = false;  // only what the network needs: GARCH, EWMA, HAR and the constant around it
  o.network = volatility_network_candidate();
  return o;
}

std::unique_ptr<VolatilityTrainResult> g_result;  // released before exit (XGBoost statics, as elsewhere)
const VolatilityTrainResult& sim_result() {
  if (!g_result) g_result = std::make_unique<VolatilityTrainResult>(volatility::train_volatility_model(sim_series(), network_options()));
  return *g_result;
}
class Release : public ::testing::Environment {
 public:
  void TearDown() override { g_result.reset(); }
};
const auto* const kRelease = ::testing::AddGlobalTestEnvironment(new Release);

TEST(VolatilityNetwork, TrainsAndBeatsAConstantForecastOnTest) {
  const auto& r = sim_result();
  ASSERT_TRUE(r.model->has(Member::kNetwork)) << r.report.at("parameters").at("network").dump();
  const auto& c = r.report.at("candidates");
  const double network = c.at("network").at("test").at("qlike").get<double>();
  const double constant = c.at("historical").at("test").at("qlike").get<double>();
  std::cout << "simulated GARCH h=5, test QLIKE: network " << network << ", historical " << constant << ", garch "
            << c.at("garch").at("test").at("qlike") << ", har " << c.at("har").at("test").at("qlike") << ", ewma "
            << c.at("ewma").at("test").at("qlike") << "; served " << r.report.at("served") << "; fit "
            << r.report.at("parameters").at("network").at("fit").dump() << "; " << r.seconds << " s\n";
  EXPECT_LT(network, constant);
  const auto& vs = r.report.at("comparisons").at("network-ewma");
  EXPECT_TRUE(vs.contains("interval"));
  EXPECT_TRUE(r.report.at("comparisons").contains("network-garch"));
  // Its 80 % interval is calibrated like every member's: near 80 % on the unseen test part.
  const double coverage = c.at("network").at("test").at("coverage80").get<double>();
  EXPECT_GT(coverage, 0.70);
  EXPECT_LT(coverage, 0.90);
}

TEST(VolatilityNetwork, ACancelledFitStopsBetweenBatches) {
  // The stop is noticed inside the network's own loop (not only once its fit is over), and it ends the
  // run as a cancellation rather than as a failed member.
  VolatilityTrainOptions o = network_options();
  const auto real = *o.network;
  bool network_started = false, network_interrupted = false;
  int polls_in_network = 0;
  o.network->train = [&](const volatility::NetworkTrainingData& data) {
    network_started = true;
    try {
      return real.train(data);
    } catch (const volatility::VolatilityTrainCancelled&) {
      network_interrupted = true;
      throw;
    }
  };
  o.cancelled = [&] { return network_started && ++polls_in_network > 3; };
  EXPECT_THROW(volatility::train_volatility_model(sim_series(), o), volatility::VolatilityTrainCancelled);
  EXPECT_TRUE(network_interrupted);
  EXPECT_EQ(polls_in_network, 4);  // three batches ran, the fourth poll stopped it
}

TEST(VolatilityNetwork, RoundTripGivesIdenticalForecasts) {
  const auto& r = sim_result();
  const VolatilityModel& m = *r.model;
  ASSERT_TRUE(m.has(Member::kNetwork));
  const std::string text = m.to_json().dump();
  const std::string weights = m.weights();
  const auto candidate = volatility_network_candidate();
  const VolatilityModel back = VolatilityModel::from_json(nlohmann::json::parse(text), weights, &candidate);
  ASSERT_TRUE(back.has(Member::kNetwork));
  EXPECT_EQ(back.to_json().dump(), text);
  const Series& s = sim_series();
  for (std::size_t t : {s.size() - 1, s.size() - 200, std::size_t{400}}) {
    const auto a = m.forecast_at(s, t, Member::kNetwork), b = back.forecast_at(s, t, Member::kNetwork);
    EXPECT_EQ(a.variance, b.variance) << t;
    EXPECT_EQ(a.q10, b.q10);
    EXPECT_EQ(a.q90, b.q90);
  }
  // Damaged network bytes (the last byte belongs to the network) fail their checksum.
  std::string damaged = weights;
  damaged.back() = static_cast<char>(damaged.back() ^ 0x5a);
  EXPECT_THROW(VolatilityModel::from_json(nlohmann::json::parse(text), damaged, &candidate), std::runtime_error);
  EXPECT_THROW(VolatilityModel::from_json(nlohmann::json::parse(text), weights.substr(0, weights.size() - 10), &candidate),
               std::runtime_error);
}

TEST(VolatilityNetwork, OtherFeatureVersionOrNoLoaderIsRefusedWhenServed) {
  const auto& r = sim_result();
  const nlohmann::json j = r.model->to_json();
  const std::string weights = r.model->weights();
  const auto candidate = volatility_network_candidate();
  auto old_features = j;
  old_features["featureVersion"] = "some-older-version";
  old_features["served"] = "garch";
  const VolatilityModel dropped = VolatilityModel::from_json(old_features, weights, &candidate);
  EXPECT_FALSE(dropped.has(Member::kNetwork));
  old_features["served"] = "network";
  EXPECT_THROW(VolatilityModel::from_json(old_features, weights, &candidate), std::invalid_argument);
  // Nothing registered in this program: a served network cannot be loaded, an unserved one is dropped.
  ASSERT_FALSE(volatility::registered_network_candidate().has_value());
  auto serves_network = j;
  serves_network["served"] = "network";
  EXPECT_THROW(VolatilityModel::from_json(serves_network, weights), std::invalid_argument);
  auto serves_garch = j;
  serves_garch["served"] = "garch";
  EXPECT_FALSE(VolatilityModel::from_json(serves_garch, weights).has(Member::kNetwork));
  // Once registered, the default loader reads it.
  register_volatility_network();
  EXPECT_TRUE(VolatilityModel::from_json(serves_network, weights).has(Member::kNetwork));
}

TEST(VolatilityNetwork, TrainsOn1440CandlesInAFewSeconds) {
  // Measured, not asserted as a speed test: the bound only catches a runaway configuration.
  const Series s = volatility::test::garch_series(1440, 2e-6, 0.08, 0.90, 5);
  VolatilityTrainOptions o;
  o.network = volatility_network_candidate();
  const auto start = std::chrono::steady_clock::now();
  const VolatilityTrainResult r = volatility::train_volatility_model(s, o);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "1,440 candles with the network: " << seconds << " s in all; network "
            << r.report.at("parameters").at("network").dump() << "\n";
  EXPECT_TRUE(r.model->has(Member::kNetwork));
  EXPECT_LT(seconds, 60.0);
}

}  // namespace
}  // namespace tbml::training
