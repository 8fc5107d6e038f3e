// The horizon dimension's rules: store type names (the default horizon keeps today's names), request
// validation, and the training order (the default horizon first within every reason).
#include "tbml/service/horizons.h"

#include <gtest/gtest.h>

#include "tbml/service/api_error.h"
#include "tbml/storage/model_store.h"
#include "tbml/training/model_lifecycle.h"

namespace tbml {
namespace {

TEST(Horizons, DefaultHorizonKeepsTheBareStoreType) {
  EXPECT_EQ(direction_store_type(ModelType::kLstm, 5, 5), "lstm");
  EXPECT_EQ(direction_store_type(ModelType::kLstm, 24, 5), "lstm_h24");
  EXPECT_EQ(direction_store_type(ModelType::kXgboost, 1, 5), "xgboost_h1");
  EXPECT_EQ(volatility_store_type(24), "volatility_h24");
  for (const std::string t : {"lstm", "lstm_h24", "transformer_h1000", "volatility_h24"})
    EXPECT_TRUE(ModelStore::valid_type(t)) << t;
}

TEST(Horizons, StoreTypesParseBack) {
  for (ModelType t : all_model_types()) {
    for (std::size_t h : {1u, 5u, 24u}) {
      const auto parsed = parse_direction_store_type(direction_store_type(t, h, 5), 5);
      ASSERT_TRUE(parsed) << to_string(t) << " h" << h;
      EXPECT_EQ(parsed->first, t);
      EXPECT_EQ(parsed->second, h);
    }
  }
  EXPECT_FALSE(parse_direction_store_type("volatility_h5", 5));  // another target
  EXPECT_FALSE(parse_direction_store_type("lstm_h5", 5));        // the default lives under "lstm"
  EXPECT_FALSE(parse_direction_store_type("lstm_h0", 5));
  EXPECT_FALSE(parse_direction_store_type("lstm_h05", 5));
  EXPECT_FALSE(parse_direction_store_type("lstm_hx", 5));
  EXPECT_FALSE(parse_direction_store_type("lstm_", 5));
}

TEST(Horizons, RequestedHorizonMustBeConfigured) {
  const std::vector<std::size_t> configured{1, 5, 24};
  EXPECT_EQ(require_horizon(std::nullopt, configured, 5), 5u);
  EXPECT_EQ(require_horizon(std::string("24"), configured, 5), 24u);
  EXPECT_EQ(require_horizon(std::string("1"), configured, 5), 1u);
  for (const std::string bad : {"7", "0", "-1", "+5", "05", "5.0", "", " 5", "abc", "99999999999"}) {
    try {
      require_horizon(bad, configured, 5);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status(), 400);
      EXPECT_EQ(e.context()["validHorizons"], nlohmann::json({1, 5, 24}));
      EXPECT_NE(std::string(e.what()).find("1, 5, 24"), std::string::npos);
    }
  }
}

TEST(Horizons, DefaultHorizonTrainsFirstWithinEachReason) {
  const JobReason order[] = {JobReason::kRebuild, JobReason::kManual, JobReason::kRetry, JobReason::kAutoNoModel,
                             JobReason::kPeriodic};
  for (std::size_t i = 0; i < std::size(order); ++i) {
    EXPECT_GT(priority_of(order[i], true), priority_of(order[i], false));
    if (i + 1 < std::size(order)) EXPECT_GT(priority_of(order[i], false), priority_of(order[i + 1], true));
  }
  EXPECT_EQ(priority_of(JobReason::kManual), priority_of(JobReason::kManual, true));
}

}  // namespace
}  // namespace tbml
