#include <gtest/gtest.h>

#include "tbml/ensemble/weights.h"

using namespace tbml;
using nlohmann::json;

namespace {

const std::vector<std::string> kKnown = {"lstm", "gru", "cnn", "transformer"};

bool has_error(const std::vector<std::string>& errors, const std::string& needle) {
  for (const auto& e : errors) {
    if (e.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST(Weights, DefaultsCarriedOver) {
  const WeightMap& d = default_weights();
  EXPECT_EQ(d.at("lstm"), 1.0);
  EXPECT_EQ(d.at("gru"), 0.9);
  EXPECT_EQ(d.at("cnn"), 0.8);
  EXPECT_EQ(d.at("transformer"), 0.7);
  EXPECT_EQ(d.at("xgboost"), 0.8);  // the trees, added beside the four networks of the original service
  EXPECT_EQ(d.size(), 5u);
  EXPECT_EQ(weight_for({{"lstm", 0.2}}, "lstm"), 0.2);
  EXPECT_EQ(weight_for({{"lstm", 0.2}}, "gru"), 0.9);
  EXPECT_EQ(weight_for({}, "tcn"), 1.0);
}

TEST(Weights, AcceptsValidObject) {
  auto v = validate_weights(json::parse(R"({"lstm":0.5,"gru":2,"cnn":0})"), kKnown);
  ASSERT_TRUE(v.ok()) << v.errors.front();
  EXPECT_EQ(v.weights.at("lstm"), 0.5);
  EXPECT_EQ(v.weights.at("gru"), 2.0);
  EXPECT_EQ(v.weights.at("cnn"), 0.0);
  EXPECT_EQ(v.weights.count("transformer"), 0u);
}

TEST(Weights, MergesOverBase) {
  auto v = validate_weights(json::parse(R"({"lstm":0})"), kKnown, default_weights());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.weights.at("lstm"), 0.0);
  EXPECT_EQ(v.weights.at("gru"), 0.9);
}

TEST(Weights, RejectsNotAnObjectAndEmpty) {
  EXPECT_TRUE(has_error(validate_weights(json::array({1, 2}), kKnown).errors, "must be a JSON object"));
  EXPECT_TRUE(has_error(validate_weights(json(3.0), kKnown).errors, "must be a JSON object"));
  EXPECT_TRUE(has_error(validate_weights(json(nullptr), kKnown).errors, "must be a JSON object"));
  EXPECT_TRUE(has_error(validate_weights(json::object(), kKnown).errors, "empty"));
}

TEST(Weights, RejectsEachBadValueWithPreciseError) {
  auto v = validate_weights(
      json::parse(R"({"lstm":-1,"gru":"NaN","cnn":null,"transformer":true,"tcn":1,"LSTM":1})"), kKnown);
  EXPECT_FALSE(v.ok());
  EXPECT_TRUE(has_error(v.errors, "'lstm' must be >= 0"));
  EXPECT_TRUE(has_error(v.errors, "\"NaN\""));
  EXPECT_TRUE(has_error(v.errors, "'cnn' must be a number, got null"));
  EXPECT_TRUE(has_error(v.errors, "'transformer' must be a number, got a boolean"));
  EXPECT_TRUE(has_error(v.errors, "unknown model 'tcn'"));
  EXPECT_TRUE(has_error(v.errors, "unknown model 'LSTM'"));
  EXPECT_EQ(v.errors.size(), 6u);
  EXPECT_TRUE(v.weights.empty());
}

TEST(Weights, RejectsNonFiniteAndHuge) {
  json j = json::object();
  j["lstm"] = std::numeric_limits<double>::quiet_NaN();  // only reachable programmatically
  j["gru"] = std::numeric_limits<double>::infinity();
  j["cnn"] = 2e6;
  auto v = validate_weights(j, kKnown);
  EXPECT_TRUE(has_error(v.errors, "'lstm' must be finite"));
  EXPECT_TRUE(has_error(v.errors, "'gru' must be finite"));
  EXPECT_TRUE(has_error(v.errors, "'cnn' must be <= 1e6"));
  EXPECT_TRUE(has_error(validate_weights(json::parse(R"({"lstm":"Infinity"})"), kKnown).errors, "finite"));
  EXPECT_TRUE(has_error(validate_weights(json::parse(R"({"lstm":"1.0"})"), kKnown).errors, "a string"));
}

TEST(Weights, RejectsAllZero) {
  auto v = validate_weights(json::parse(R"({"lstm":0,"gru":0.0})"), kKnown);
  EXPECT_TRUE(has_error(v.errors, "all zero"));
  // Zeroing every model of the merged set is rejected too.
  WeightMap base = {{"lstm", 1.0}};
  EXPECT_TRUE(has_error(validate_weights(json::parse(R"({"lstm":0})"), kKnown, base).errors, "all zero"));
}

TEST(Weights, ParsesRequestBody) {
  auto r = parse_weights_request(json::parse(R"({"weights":{"lstm":0.4},"strategy":"majority"})"), kKnown,
                                 default_weights());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r.strategy, Strategy::kMajority);
  EXPECT_EQ(r.weights->at("lstm"), 0.4);
  EXPECT_EQ(r.weights->at("cnn"), 0.8);

  auto s = parse_weights_request(json::parse(R"({"strategy":"confidence_weighted"})"), kKnown);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s.weights);

  auto bad = parse_weights_request(json::parse(R"({"strategy":"best","weights":{"lstm":-2},"x":1})"), kKnown);
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(has_error(bad.errors, "valid strategies: weighted, majority, average, confidence_weighted"));
  EXPECT_TRUE(has_error(bad.errors, "must be >= 0"));
  EXPECT_TRUE(has_error(bad.errors, "unknown field 'x'"));
  EXPECT_FALSE(bad.strategy);

  EXPECT_TRUE(has_error(parse_weights_request(json::object(), kKnown).errors, "needs 'weights'"));
  EXPECT_TRUE(has_error(parse_weights_request(json("x"), kKnown).errors, "JSON object"));
}
