#include <gtest/gtest.h>

#include "tbml/ensemble/ensemble_decision.h"
#include "tbml/ensemble/prediction_json.h"
#include "unit/contract_snapshot.h"

using namespace tbml;
using nlohmann::json;
using tbml::test::contract_snapshot;

namespace {

// The snapshot as published: combined once for every strategy (combine_snapshot).
PredictionSnapshot combined(PredictionSnapshot s, const WeightMap& weights = default_weights(),
                            const std::string& weight_reason = {}) {
  EnsembleInputs in;
  in.weights = weights;
  in.weight_reason = weight_reason;
  combine_snapshot(s, in);
  return s;
}

ResponseMeta response() {
  ResponseMeta r;
  r.timestamp = 1795215300000;
  r.response_time_ms = 0.4;
  return r;
}

void expect_outer_shape(const json& j) {
  for (const char* key : {"pair", "prediction", "predictions", "ensemble", "strategy", "singleModel", "timestamp",
                          "cached", "responseTime", "stale"}) {
    EXPECT_TRUE(j.contains(key)) << key << " missing in " << j.dump();
  }
  const json& p = j["prediction"];
  for (const char* key : {"prediction", "confidence", "direction", "signal", "metadata", "timestamp", "type"}) {
    EXPECT_TRUE(p.contains(key)) << "prediction." << key << " missing";
  }
  for (const char* key : {"featureCount", "horizon", "dataTimestamp"}) {
    EXPECT_TRUE(p["metadata"].contains(key)) << "metadata." << key << " missing";
  }
  EXPECT_TRUE(p["prediction"].is_number());
  EXPECT_TRUE(p["confidence"].is_number());
  EXPECT_EQ(j["predictions"]["price_direction"], p["direction"]);
  EXPECT_EQ(j["predictions"]["confidence"], p["confidence"]);
  EXPECT_EQ(j["pair"], "BTC");
  EXPECT_EQ(j["timestamp"], 1795215300000);
  EXPECT_EQ(j["cached"], false);
  EXPECT_EQ(j["stale"], false);
  EXPECT_DOUBLE_EQ(j["responseTime"].get<double>(), 0.4);
  const std::string signal = p["signal"];
  EXPECT_TRUE(signal == "BUY" || signal == "SELL" || signal == "HOLD");
}

}  // namespace

TEST(PredictionJson, EnsembleBodyHasEveryContractFieldForEachStrategy) {
  for (Strategy strategy : all_strategies()) {
    SCOPED_TRACE(to_string(strategy));
    const json j = ensemble_prediction_json(combined(contract_snapshot()), strategy, response());
    expect_outer_shape(j);
    EXPECT_EQ(j["ensemble"], true);
    EXPECT_EQ(j["strategy"], to_string(strategy));
    EXPECT_TRUE(j["singleModel"].is_null());
    const json& p = j["prediction"];
    EXPECT_EQ(p["type"], "ensemble");
    const json& e = p["ensemble"];
    for (const char* key : {"strategy", "modelCount", "individualPredictions", "individualConfidences", "weights",
                            "agreement"}) {
      EXPECT_TRUE(e.contains(key)) << "ensemble." << key << " missing";
    }
    EXPECT_FALSE(e.contains("errors"));  // only when a model failed
    EXPECT_EQ(e["strategy"], to_string(strategy));
    EXPECT_EQ(e["modelCount"], 4);
    EXPECT_DOUBLE_EQ(e["individualPredictions"]["cnn"].get<double>(), 0.6);
    EXPECT_NEAR(e["individualConfidences"]["lstm"].get<double>(), 0.16, 1e-12);
    EXPECT_DOUBLE_EQ(e["weights"]["transformer"].get<double>(), 0.7);
    EXPECT_DOUBLE_EQ(e["agreement"].get<double>(), 1.0);
    EXPECT_EQ(p["metadata"]["featureCount"], 84);
    EXPECT_EQ(p["metadata"]["horizon"], 5);
    EXPECT_EQ(p["metadata"]["dataTimestamp"], 1795215000000);
    EXPECT_EQ(p["metadata"]["modelVersions"]["transformer"], 4);
    EXPECT_EQ(p["direction"], "up");
    EXPECT_EQ(p["signal"], "HOLD");
  }
  const json w = ensemble_prediction_json(combined(contract_snapshot()), Strategy::kWeighted, response());
  EXPECT_NEAR(w["prediction"]["prediction"].get<double>(), 1.933 / 3.4, 1e-12);
}

TEST(PredictionJson, FailedModelListedUnderErrorsAndSkipped) {
  PredictionSnapshot s = contract_snapshot();
  s.models.erase(s.models.begin() + 2);  // cnn failed
  s.errors["cnn"] = "prediction failed: boom";
  const json j = ensemble_prediction_json(combined(s), Strategy::kAverage, response());
  const json& e = j["prediction"]["ensemble"];
  EXPECT_EQ(e["modelCount"], 3);
  EXPECT_EQ(e["errors"]["cnn"], "prediction failed: boom");
  EXPECT_FALSE(e["individualPredictions"].contains("cnn"));
  EXPECT_NEAR(j["prediction"]["prediction"].get<double>(), (0.58 + 0.55 + 0.54) / 3, 1e-12);
}

TEST(PredictionJson, MajorityTieAndZeroWeightNotesAreVisible) {
  PredictionSnapshot s = contract_snapshot();
  s.models = {tbml::test::member("lstm", 0.7, 1, 0, 0), tbml::test::member("gru", 0.3, 1, 0, 0)};
  for (auto& m : s.models) m.edge = contract_snapshot().models[0].edge;
  const json t = ensemble_prediction_json(combined(s), Strategy::kMajority, response());
  EXPECT_EQ(t["prediction"]["ensemble"]["tie"], true);
  EXPECT_EQ(t["prediction"]["direction"], "neutral");
  EXPECT_EQ(t["predictions"]["price_direction"], "neutral");
  EXPECT_DOUBLE_EQ(t["prediction"]["prediction"].get<double>(), 0.5);
  const json z = ensemble_prediction_json(combined(s, {{"lstm", 0}, {"gru", 0}}, "auto-update off: configured weights"),
                                          Strategy::kWeighted, response());
  EXPECT_NE(z["prediction"]["ensemble"]["note"].get<std::string>().find("average"), std::string::npos);
  EXPECT_EQ(z["prediction"]["ensemble"]["weightReason"], "auto-update off: configured weights");
}

TEST(PredictionJson, NoModelMeansNoNumber) {
  PredictionSnapshot s = contract_snapshot();
  s.models.clear();
  s.errors["lstm"] = "not trained";
  try {
    ensemble_prediction_json(combined(s), Strategy::kWeighted, response());
    FAIL() << "expected NoPredictionError";
  } catch (const NoPredictionError& e) {
    EXPECT_EQ(e.errors().at("lstm"), "not trained");
  }
  EXPECT_THROW(individual_prediction_json(s, "lstm", response()), NoPredictionError);
  EXPECT_THROW(individual_prediction_json(contract_snapshot(), "tcn", response()), NoPredictionError);
}

TEST(PredictionJson, IndividualBodyHasEveryContractField) {
  ResponseMeta r = response();
  r.cached = true;
  r.stale = true;
  const json j = individual_prediction_json(contract_snapshot(), "cnn", r, CombineOptions{0.2});
  EXPECT_EQ(j["ensemble"], false);
  EXPECT_EQ(j["singleModel"], "cnn");
  EXPECT_TRUE(j.contains("strategy"));
  EXPECT_EQ(j["cached"], true);
  EXPECT_EQ(j["stale"], true);
  const json& p = j["prediction"];
  EXPECT_EQ(p["type"], "individual");
  EXPECT_EQ(p["modelType"], "cnn");
  EXPECT_DOUBLE_EQ(p["prediction"].get<double>(), 0.6);
  EXPECT_EQ(p["signal"], "BUY");
  EXPECT_EQ(p["metadata"]["modelVersion"], 1);
  EXPECT_EQ(j["predictions"]["price_direction"], "up");
  r.cached = false;
  r.stale = false;
  expect_outer_shape(individual_prediction_json(contract_snapshot(), "lstm", r));
}

TEST(PredictionJson, StatsAndCompareBodies) {
  OutcomeTracker tracker;
  auto snap = std::make_shared<PredictionSnapshot>(combined(contract_snapshot()));
  for (int i = 0; i < 30; ++i) {
    tracker.on_candles("BTC", std::vector<CandleClose>{{i, 100.0 + (i % 4)}});
    PredictionSnapshot s = *snap;
    s.data_timestamp = i;
    ASSERT_TRUE(tracker.record(tracked_from_snapshot(s, 100.0 + (i % 4), default_weights())).accepted);
  }
  EnsembleStatsView v;
  v.pair = "BTC";
  v.strategy = Strategy::kWeighted;
  v.configured_weights = default_weights();
  v.weights = tracker.decide_weights("BTC", default_weights(), false);
  v.stats = tracker.stats("BTC", v.strategy);
  v.snapshot = snap;
  v.timestamp = 5;
  const json st = ensemble_stats_json(v);
  for (const char* key : {"pair", "strategy", "weights", "configuredWeights", "defaultWeights", "autoUpdateWeights",
                          "weightReason", "models", "ensemble", "agreement", "predictions", "timestamp"}) {
    EXPECT_TRUE(st.contains(key)) << key;
  }
  EXPECT_EQ(st["strategy"], "weighted");
  EXPECT_EQ(st["autoUpdateWeights"], false);
  EXPECT_EQ(st["weightsSource"], "configured");
  EXPECT_EQ(st["predictions"]["resolved"], 25);
  EXPECT_EQ(st["predictions"]["pending"], 5);
  EXPECT_EQ(st["models"]["lstm"]["count"], 25);
  EXPECT_TRUE(st["models"]["lstm"]["accuracy"].is_number());
  EXPECT_TRUE(st["models"]["lstm"]["brier"].is_number());
  EXPECT_DOUBLE_EQ(st["agreement"].get<double>(), 1.0);
  EXPECT_EQ(st["ensemble"]["byStrategy"].size(), 4u);
  EXPECT_DOUBLE_EQ(st["defaultWeights"]["gru"].get<double>(), 0.9);

  ModelCompareView c;
  c.pair = "BTC";
  c.weights = default_weights();
  c.stats = v.stats;
  auto failed = std::make_shared<PredictionSnapshot>(*snap);
  failed->models.pop_back();
  failed->errors["transformer"] = "prediction failed: boom";
  *failed = combined(*failed);
  c.snapshot = failed;
  const json cmp = models_compare_json(c);
  ASSERT_EQ(cmp["models"].size(), 4u);
  EXPECT_DOUBLE_EQ(cmp["models"]["lstm"]["latest"]["prediction"].get<double>(), 0.58);
  EXPECT_EQ(cmp["models"]["lstm"]["agreesWithEnsemble"], true);
  EXPECT_EQ(cmp["models"]["lstm"]["realised"]["count"], 25);
  EXPECT_TRUE(cmp["models"]["lstm"]["realised"]["brier"].is_number());
  EXPECT_TRUE(cmp["models"]["transformer"]["latest"].is_null());
  EXPECT_EQ(cmp["models"]["transformer"]["error"], "prediction failed: boom");
  EXPECT_EQ(cmp["ensemble"]["direction"], "up");

  // Before any outcome: counts are 0 and metrics null, never 0 presented as a score.
  const json empty = rolling_stats_json(RollingStats{});
  EXPECT_EQ(empty["count"], 0);
  EXPECT_TRUE(empty["accuracy"].is_null());
  ModelCompareView none;
  none.pair = "ETH";
  const json n = models_compare_json(none);
  EXPECT_TRUE(n["ensemble"].is_null());
  EXPECT_TRUE(n["models"].empty());
}
