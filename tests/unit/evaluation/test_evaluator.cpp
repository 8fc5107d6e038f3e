#include "tbml/evaluation/evaluator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <unistd.h>

#include "tbml/evaluation/charts.h"
#include "tbml/evaluation/report.h"
#include "tbml/market/candle_csv.h"
#include "unit/training/synthetic_series.h"

namespace tbml::evaluation {
namespace {

EvaluationOptions tiny_options() {
  EvaluationOptions o;
  o.walk.train_window = 400;
  o.walk.block = 60;
  o.walk.blocks = 3;
  o.walk.retrain_every = 1;
  o.walk.sequence_length = 6;
  o.walk.horizon = 2;
  o.train.epochs = 2;
  o.train.patience = 0;
  o.train.torch_threads = 1;
  o.train.feature_names = test::names(3);
  o.train.architecture = nlohmann::json::object();
  return o;
}

TEST(Evaluator, ScoresEveryMethodOnTheSameOutOfSampleWindows) {
  const Series s = test::regime_series(700, 2);
  const EvaluationOptions o = tiny_options();
  const PairEvaluation e = evaluate_pair(s, o);
  ASSERT_EQ(e.folds.size(), 3u);
  EXPECT_EQ(e.label.size(), e.last.size());
  EXPECT_EQ(e.next_return.size(), e.last.size());
  // Every model (the four networks and xgboost) + uncalibrated, 4 ensembles + stacked, 4 baselines.
  EXPECT_EQ(o.models.size(), all_model_types().size());
  EXPECT_EQ(e.methods.size(), 2 * o.models.size() + 5 + 4);
  EXPECT_EQ(e.fold_of.size(), e.last.size());
  bool has_xgboost = false, has_stacked = false;
  for (const auto& m : e.methods) {
    has_xgboost = has_xgboost || m.name == "xgboost";
    has_stacked = has_stacked || (m.name == "ensemble stacked" && m.group == "ensemble");
  }
  EXPECT_TRUE(has_xgboost);
  EXPECT_TRUE(has_stacked);
  // The first fold has no earlier out-of-fold predictions: stacked copies the weighted ensemble there.
  EXPECT_TRUE(e.folds[0].details.at("stacked").contains("fallback"));
  EXPECT_TRUE(e.folds[2].details.at("stacked").contains("weights"));
  for (const auto& m : e.methods) {
    ASSERT_EQ(m.p.size(), e.last.size()) << m.name;
    for (double p : m.p) ASSERT_TRUE(p >= 0.0 && p <= 1.0 && std::isfinite(p)) << m.name;
  }
  std::size_t k = 0;
  for (const auto& f : e.folds) {
    EXPECT_LE(f.fold.train_end, f.fold.test_begin);
    for (std::size_t i = 0; i < f.scored; ++i, ++k) {
      EXPECT_GE(e.last[k], f.fold.test_begin);
      EXPECT_LT(e.last[k], f.fold.test_end);
      EXPECT_GE(e.last[k], f.fold.train_end);  // every scored "now" lies after all training labels
    }
    EXPECT_TRUE(f.details.at("models").contains("lstm"));
  }
  EXPECT_EQ(k, e.last.size());
  // The informative feature makes this series learnable: logistic regression on it must be near perfect.
  const auto report = build_report({e}, o);
  const MethodScore* logistic = report.pairs[0].find("logistic regression");
  ASSERT_NE(logistic, nullptr);
  EXPECT_GT(logistic->card.accuracy, 0.9);
  const MethodScore* up = report.pairs[0].find("always-up");
  ASSERT_NE(up, nullptr);
  EXPECT_NEAR(up->card.accuracy, up->card.base_rate, 1e-12);
  // Edge over the running base rate and spread across the three folds.
  const MethodScore* stacked = report.pooled.find("ensemble stacked");
  ASSERT_NE(stacked, nullptr);
  EXPECT_EQ(stacked->brier_folds.folds, 3u);
  EXPECT_LE(stacked->edge.low, stacked->edge.improvement);
  EXPECT_GE(stacked->edge.high, stacked->edge.improvement);
  EXPECT_GT(logistic->edge.improvement, 0.0);  // near-perfect vs a base rate near 0.5
  EXPECT_EQ(logistic->edge.verdict, "real");
  const MethodScore* base = report.pairs[0].find("running base rate");
  EXPECT_DOUBLE_EQ(base->edge.improvement, 0.0);
  EXPECT_NE(to_markdown(report, {e}).find("Edge over the running base rate"), std::string::npos);
  EXPECT_EQ(to_json(report, {e}).at("pairs").size(), 1u);
}

// Changing the future must not change any earlier prediction: everything a prediction uses (training
// data, normaliser, calibrator, baselines) lies before its "now".
TEST(Evaluator, PredictionsDoNotDependOnTheFuture) {
  const Series a = test::regime_series(700, 2);
  Series b = a;
  const std::size_t cut = 700 - 90;  // inside the second fold's block
  for (std::size_t i = cut; i < b.size(); ++i) {
    b.candles[i].close *= 1.5 + 0.01 * static_cast<double>(i % 7);
    for (std::size_t f = 0; f < b.width; ++f) b.features[i * b.width + f] = -b.features[i * b.width + f];
  }
  EvaluationOptions o = tiny_options();
  o.models = {ModelType::kCnn, ModelType::kGru};
  const PairEvaluation ea = evaluate_pair(a, o);
  const PairEvaluation eb = evaluate_pair(b, o);
  ASSERT_EQ(ea.last, eb.last);
  std::size_t compared = 0;
  for (std::size_t m = 0; m < ea.methods.size(); ++m) {
    for (std::size_t i = 0; i < ea.last.size() && ea.last[i] < cut; ++i, ++compared)
      ASSERT_EQ(ea.methods[m].p[i], eb.methods[m].p[i]) << ea.methods[m].name << " at row " << ea.last[i];
  }
  EXPECT_GT(compared, 100u);
  // And the later predictions do see the change (the test can fail).
  bool differs = false;
  for (std::size_t i = 0; i < ea.last.size(); ++i)
    differs = differs || ea.methods[0].p[i] != eb.methods[0].p[i];
  EXPECT_TRUE(differs);
}

TEST(Evaluator, ChartsAreWritten) {
  const Series s = test::regime_series(700, 2);
  EvaluationOptions o = tiny_options();
  o.models = {ModelType::kCnn};
  const PairEvaluation e = evaluate_pair(s, o);
  const auto dir = std::filesystem::temp_directory_path() / ("tbml_eval_charts_" + std::to_string(::getpid()));
  const auto files = write_charts(dir.string(), build_report({e}, o));
  EXPECT_EQ(files.size(), 3u);  // reliability TEST + pooled, returns TEST
  for (const auto& f : files) EXPECT_GT(std::filesystem::file_size(f), 500u) << f;
  std::filesystem::remove_all(dir);
}

TEST(Evaluator, TooShortSeriesIsRejected) {
  const Series s = test::regime_series(500, 2);
  EXPECT_THROW(evaluate_pair(s, tiny_options()), std::invalid_argument);
}

TEST(Evaluator, RealSeriesSmoke) {
  const std::string path = std::string(TBML_SHARED_DATA_DIR) + "/BTCUSDT_1h.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no shared market data";
  auto candles = load_candles_csv(path);
  candles.erase(candles.begin(), candles.end() - 900);
  const Series s = build_series("BTC", candles);
  EvaluationOptions o;
  o.walk.train_window = 600;
  o.walk.block = 100;
  o.walk.blocks = 2;
  o.walk.sequence_length = 12;
  o.models = {ModelType::kCnn};
  o.train.epochs = 1;
  o.train.torch_threads = 1;
  const PairEvaluation e = evaluate_pair(s, o);
  EXPECT_EQ(e.folds.size(), 2u);
  EXPECT_GT(e.label.size(), 150u);
}

}  // namespace
}  // namespace tbml::evaluation
