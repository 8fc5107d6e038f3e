// ModelInfo / TrainingReport / SplitMetrics JSON and model type names (src/models/model_info.cpp).
#include <gtest/gtest.h>

#include "tbml/models/model.h"

namespace tbml {
namespace {

TEST(ModelInfo, TypeNamesRoundTrip) {
  ASSERT_EQ(all_model_types().size(), 5u);
  for (ModelType t : all_model_types()) EXPECT_EQ(parse_model_type(to_string(t)), t);
  EXPECT_EQ(to_string(ModelType::kTransformer), "transformer");
  EXPECT_EQ(to_string(ModelType::kXgboost), "xgboost");
  EXPECT_EQ(all_model_types().back(), ModelType::kXgboost);
  EXPECT_FALSE(parse_model_type("LSTM").has_value());
  EXPECT_FALSE(parse_model_type("XGBoost").has_value());
  EXPECT_FALSE(parse_model_type("").has_value());
}

TEST(ModelInfo, OnlyTheTreesAreNotNetworks) {
  for (ModelType t : all_model_types()) EXPECT_EQ(is_network(t), t != ModelType::kXgboost) << to_string(t);
}

TEST(ModelInfo, ModelListsIncludeTheTrees) {
  EXPECT_EQ(parse_model_list("lstm, xgboost"), (std::vector<ModelType>{ModelType::kLstm, ModelType::kXgboost}));
  try {
    parse_model_list("lstm,forest");
    ADD_FAILURE() << "unknown model accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("xgboost"), std::string::npos) << e.what();  // the list names it
  }
}

TEST(ModelInfo, TreeInfoRoundTrips) {
  ModelInfo info;
  info.type = ModelType::kXgboost;
  info.pair = "ETH";
  info.feature_names = {"a"};
  info.parameters = 321;
  info.config = {{"architecture", {{"maxDepth", 3}, {"rounds", 300}}}};
  const auto back = ModelInfo::from_json(nlohmann::json::parse(info.to_json().dump()));
  EXPECT_EQ(back.type, ModelType::kXgboost);
  EXPECT_EQ(back.to_json(), info.to_json());
}

TEST(ModelInfo, ModelsWithoutImportanceSayNothing) {
  struct Plain : Model {
    ModelInfo info_;
    const ModelInfo& info() const override { return info_; }
    std::vector<double> predict(const float*, std::size_t batch) const override { return std::vector<double>(batch); }
  } plain;
  EXPECT_TRUE(plain.feature_importance().empty());
}

TEST(ModelInfo, JsonRoundTrip) {
  ModelInfo info;
  info.type = ModelType::kGru;
  info.pair = "BTC";
  info.version = 3;
  info.trained_at = 1700000000123;
  info.feature_names = {"a", "b"};
  info.feature_version = "v2";
  info.sequence_length = 30;
  info.horizon = 4;
  info.parameters = 1234;
  info.config = {{"architecture", {{"hidden", 8}}}};
  info.report.test.samples = 50;
  info.report.test.accuracy = 0.61;
  info.report.test.auc = 0.66;
  info.report.validation.brier = 0.24;
  info.report.epochs_run = 7;
  info.report.best_epoch = 5;
  info.report.data_from = 1;
  info.report.data_to = 2;
  const auto back = ModelInfo::from_json(nlohmann::json::parse(info.to_json().dump()));
  EXPECT_EQ(back.to_json(), info.to_json());
  EXPECT_EQ(back.type, ModelType::kGru);
  EXPECT_EQ(back.report.test.samples, 50u);
  EXPECT_DOUBLE_EQ(back.report.test.auc, 0.66);
  EXPECT_EQ(back.report.best_epoch, 5);
}

TEST(ModelInfo, BadJsonThrowsInvalidArgument) {
  const nlohmann::json good = ModelInfo{}.to_json();
  EXPECT_NO_THROW(ModelInfo::from_json(good));
  auto broken = [&](const char* key, nlohmann::json value) {
    nlohmann::json j = good;
    if (value.is_null()) j.erase(key); else j[key] = value;
    return j;
  };
  EXPECT_THROW(ModelInfo::from_json(broken("type", "rnn")), std::invalid_argument);
  EXPECT_THROW(ModelInfo::from_json(broken("report", nullptr)), std::invalid_argument);
  EXPECT_THROW(ModelInfo::from_json(broken("featureNames", "x")), std::invalid_argument);
  EXPECT_THROW(ModelInfo::from_json(broken("horizon", 0)), std::invalid_argument);
  EXPECT_THROW(ModelInfo::from_json(nlohmann::json::array()), std::invalid_argument);
  EXPECT_THROW(SplitMetrics::from_json({{"samples", 1}}), std::invalid_argument);
}

}  // namespace
}  // namespace tbml
