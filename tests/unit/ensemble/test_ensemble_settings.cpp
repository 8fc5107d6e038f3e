#include <gtest/gtest.h>

#include "tbml/ensemble/ensemble_settings.h"

using namespace tbml;

TEST(EnsembleSettings, PairsStartFromDefaultsAndChangeIndependently) {
  EnsembleDefaults d;
  d.strategy = Strategy::kAverage;
  d.auto_update = true;
  EnsembleSettings s(d);
  EXPECT_EQ(s.get("BTC").strategy, Strategy::kAverage);
  EXPECT_EQ(s.get("BTC").weights, default_weights());
  EXPECT_TRUE(s.get("BTC").auto_update);

  s.set_strategy("BTC", Strategy::kMajority);
  const auto merged = validate_weights(nlohmann::json::parse(R"({"lstm":0.1})"), {"lstm", "gru", "cnn", "transformer"},
                                       s.get("BTC").weights);
  ASSERT_TRUE(merged.ok());
  s.set_weights("BTC", merged.weights);
  s.set_auto_update("BTC", false);
  EXPECT_EQ(s.get("BTC").strategy, Strategy::kMajority);
  EXPECT_DOUBLE_EQ(s.get("BTC").weights.at("lstm"), 0.1);
  EXPECT_DOUBLE_EQ(s.get("BTC").weights.at("gru"), 0.9);
  EXPECT_FALSE(s.get("BTC").auto_update);
  EXPECT_EQ(s.get("ETH").strategy, Strategy::kAverage);  // untouched pair
}

TEST(EnsembleSettings, RefusesInvalidWeights) {
  EnsembleSettings s;
  EXPECT_THROW(s.set_weights("BTC", {{"lstm", 0.0}}), std::invalid_argument);
  EXPECT_THROW(s.set_weights("BTC", {{"lstm", -1.0}}), std::invalid_argument);
  EXPECT_THROW(s.set_weights("BTC", {}), std::invalid_argument);
  EnsembleDefaults bad;
  bad.weights = {{"lstm", 0.0}};
  EXPECT_THROW(EnsembleSettings{bad}, std::invalid_argument);
  EXPECT_EQ(s.get("BTC").weights, default_weights());
}
