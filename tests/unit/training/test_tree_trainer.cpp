// Gradient-boosted trees as a model member (src/training/tree_trainer.cpp, tree_model.cpp): trained by
// train_model(kXgboost, ...) under the networks' rules, stored and loaded by export_model/import_model.
#include "tbml/training/tree_trainer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "tbml/market/candle_csv.h"
#include "tbml/training/calibration.h"
#include "tbml/training/model_io.h"
#include "tbml/util/atomic_file.h"
#include "unit/training/synthetic_series.h"

namespace tbml {
namespace {

TrainOptions tiny() {
  TrainOptions o;
  o.sequence_length = 6;
  o.horizon = 3;
  o.feature_names = test::names(3);
  o.feature_version = "test-1";
  o.architecture = {{"rounds", 80}, {"earlyStopping", 10}, {"eta", 0.2}};
  return o;
}

std::vector<float> windows(std::size_t n, std::size_t steps = 6, std::size_t width = 3) {
  std::vector<float> w(n * steps * width);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(std::sin(0.7 * i) * 2.0);
  return w;
}

TEST(TreeTrainer, LearnsTheLaggedSignalAndFillsTheReport) {
  const Series s = test::regime_series(1500, 3);
  int rounds_seen = 0;
  TrainControl control;
  control.on_epoch = [&](const EpochProgress& p) {
    ++rounds_seen;
    EXPECT_EQ(p.type, ModelType::kXgboost);
    EXPECT_EQ(p.epoch, rounds_seen);
    EXPECT_EQ(p.epochs, 80);
    EXPECT_TRUE(std::isfinite(p.validation_loss));
    EXPECT_GE(p.validation_accuracy, 0.0);
  };
  const auto started = std::chrono::steady_clock::now();
  const TrainResult r = train_model(ModelType::kXgboost, s, tiny(), control);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(r.model);
  const TrainingReport& rep = r.report;
  std::cout << "xgboost: test accuracy " << rep.test.accuracy << " auc " << rep.test.auc << " brier " << rep.test.brier
            << " after " << rep.epochs_run << " rounds (best " << rep.best_epoch << "), " << seconds << " s\n";
  EXPECT_GT(rep.test.accuracy, 0.95);
  EXPECT_GT(rep.test.auc, 0.95);
  EXPECT_LT(rep.test.brier, rep.test.base_rate * (1.0 - rep.test.base_rate));
  EXPECT_EQ(rounds_seen, rep.epochs_run);
  EXPECT_GE(rep.best_epoch, 1);
  EXPECT_LE(rep.best_epoch, rep.epochs_run);
  EXPECT_GT(rep.train.samples, rep.validation.samples);
  EXPECT_GT(rep.validation.samples, 0u);
  EXPECT_GT(rep.test.samples, 0u);
  ASSERT_TRUE(rep.test_uncalibrated.has_value());
  EXPECT_EQ(rep.test_uncalibrated->samples, rep.test.samples);
  EXPECT_TRUE(rep.calibration.is_object());
  EXPECT_TRUE(rep.calibration.contains("applied"));
  EXPECT_GT(rep.wall_seconds, 0.0);
  EXPECT_EQ(rep.data_from, s.candles.front().timestamp);
  EXPECT_FALSE(rep.cancelled);
  EXPECT_LT(seconds, 10.0);

  const ModelInfo& info = r.model->info();
  EXPECT_EQ(info.type, ModelType::kXgboost);
  EXPECT_EQ(info.pair, "TEST");
  EXPECT_EQ(info.feature_names, test::names(3));
  EXPECT_EQ(info.feature_version, "test-1");
  EXPECT_EQ(info.sequence_length, 6u);
  EXPECT_EQ(info.horizon, 3u);
  EXPECT_GT(info.parameters, static_cast<std::size_t>(rep.best_epoch));
  EXPECT_GT(info.trained_at, 0);
  EXPECT_EQ(info.config.at("architecture").at("maxDepth"), 3);
  EXPECT_EQ(info.config.at("architecture").at("rounds"), 80);
  EXPECT_EQ(info.report.test.samples, rep.test.samples);
  EXPECT_FALSE(r.incumbent_test.has_value());

  // One finite probability per window; the served probabilities are the calibrated raw ones.
  const auto w = windows(7);
  const auto p = r.model->predict(w.data(), 7);
  ASSERT_EQ(p.size(), 7u);
  for (double v : p) EXPECT_TRUE(v >= 0.0 && v <= 1.0);
  EXPECT_EQ(calibrator_of(*r.model).apply(predict_uncalibrated(*r.model, w.data(), 7)), p);
  EXPECT_TRUE(r.model->predict(w.data(), 0).empty());
  EXPECT_THROW(r.model->predict(nullptr, 1), std::invalid_argument);

  // The label is feature 0 at the window's last step: importance says so.
  const auto importance = r.model->feature_importance();
  ASSERT_EQ(importance.size(), 3u);
  EXPECT_EQ(importance[0].first, "f0");
  EXPECT_GT(importance[0].second, 0.9 * (importance[0].second + importance[1].second + importance[2].second));
  EXPECT_GE(importance[1].second, importance[2].second);
}

TEST(TreeTrainer, StopsEarlyOnNoise) {
  TrainOptions o = tiny();
  o.architecture = {{"rounds", 300}, {"earlyStopping", 15}};
  const TrainResult r = train_model(ModelType::kXgboost, test::noise_series(800), o);
  EXPECT_LT(r.report.epochs_run, 300);
  EXPECT_EQ(r.report.epochs_run - r.report.best_epoch, 15);
}

TEST(TreeTrainer, ExportImportGivesIdenticalPredictions) {
  const ModelPtr model = train_model(ModelType::kXgboost, test::regime_series(600, 3), tiny()).model;
  const ModelArtifact artifact = export_model(*model);
  EXPECT_EQ(artifact.meta.at("format"), "tbml-xgboost-1");
  EXPECT_EQ(artifact.meta.at("type"), "xgboost");
  EXPECT_EQ(artifact.weights.front(), '{');
  const ModelPtr back = import_model({nlohmann::json::parse(artifact.meta.dump()), artifact.weights});
  const auto w = windows(20);
  EXPECT_EQ(back->predict(w.data(), 20), model->predict(w.data(), 20));
  EXPECT_EQ(back->feature_importance(), model->feature_importance());
  EXPECT_EQ(back->info().parameters, model->info().parameters);
  EXPECT_EQ(back->info().report.to_json(), model->info().report.to_json());
  EXPECT_EQ(export_model(*back).weights, artifact.weights);
}

TEST(TreeTrainer, CorruptedWeightsThrow) {
  const ModelArtifact good = export_model(*train_model(ModelType::kXgboost, test::regime_series(400, 3), tiny()).model);
  auto with_weights = [&](std::string weights) {
    ModelArtifact a = good;
    a.weights = std::move(weights);
    a.meta["weightsBytes"] = a.weights.size();
    a.meta["weightsChecksum"] = checksum_hex(a.weights);
    return a;
  };
  ModelArtifact flipped = good;
  flipped.weights[flipped.weights.size() / 2] ^= 0x01;
  EXPECT_THROW(import_model(flipped), std::runtime_error);  // checksum
  ModelArtifact truncated = good;
  truncated.weights.resize(good.weights.size() / 2);
  EXPECT_THROW(import_model(truncated), std::runtime_error);  // size
  EXPECT_THROW(import_model(with_weights(good.weights.substr(0, good.weights.size() / 2))), std::runtime_error);
  EXPECT_THROW(import_model(with_weights("")), std::runtime_error);
  EXPECT_THROW(import_model(with_weights(std::string(4096, '\x5a'))), std::runtime_error);
  std::string rewired = good.weights;
  const auto at = rewired.find("\"left_children\":[");
  ASSERT_NE(at, std::string::npos);
  rewired.replace(at + 17, 1, "0");  // first child of the first root points back at the root
  try {
    import_model(with_weights(rewired));
    ADD_FAILURE() << "a cyclic tree was imported";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot import model"), std::string::npos) << e.what();
  }
}

TEST(TreeTrainer, CancellationThrowsTrainingCancelled) {
  const Series s = test::regime_series(600, 3);
  int polls = 0;
  TrainControl control;
  control.cancelled = [&] { return ++polls > 5; };
  EXPECT_THROW(train_model(ModelType::kXgboost, s, tiny(), control), TrainingCancelled);
  EXPECT_GT(polls, 5);
  TrainControl at_once;
  at_once.cancelled = [] { return true; };
  EXPECT_THROW(train_model(ModelType::kXgboost, s, tiny(), at_once), TrainingCancelled);
}

TEST(TreeTrainer, IncumbentScoredOnTheSameTestWindows) {
  const Series s = test::regime_series(800, 3);
  const TrainResult first = train_model(ModelType::kXgboost, s, tiny());
  TrainControl control;
  control.incumbent = first.model;
  const TrainResult second = train_model(ModelType::kXgboost, s, tiny(), control);
  ASSERT_TRUE(second.incumbent_test.has_value()) << second.incumbent_note;
  EXPECT_EQ(second.incumbent_test->samples, second.report.test.samples);
  // Same data, same seed: the incumbent is the same model and scores the same.
  EXPECT_DOUBLE_EQ(second.incumbent_test->brier, second.report.test.brier);

  TrainOptions other = tiny();
  other.feature_names = {"x", "y", "z"};
  const TrainResult third = train_model(ModelType::kXgboost, s, other, control);
  EXPECT_FALSE(third.incumbent_test.has_value());
  EXPECT_EQ(third.incumbent_note, "incumbent uses different features");
}

TEST(TreeTrainer, BadArchitectureOrDataThrows) {
  const Series s = test::regime_series(400, 3);
  TrainOptions o = tiny();
  o.architecture = {{"hidden", 8}, {"maxDepth", 3}};
  try {
    train_model(ModelType::kXgboost, s, o);
    ADD_FAILURE() << "unknown key accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'hidden'"), std::string::npos) << e.what();
  }
  o.architecture = {{"eta", -1.0}};
  EXPECT_THROW(train_model(ModelType::kXgboost, s, o), std::invalid_argument);
  EXPECT_THROW(train_model(ModelType::kXgboost, test::regime_series(20, 3), tiny()), std::invalid_argument);
  o = tiny();
  o.feature_names = test::names(4);
  EXPECT_THROW(train_model(ModelType::kXgboost, s, o), std::invalid_argument);
}

// The service's case: 1,440 hourly candles (what a real core serves), the pipeline's 107 features, the
// default 60-candle windows and default tree settings on one thread.
TEST(TreeTrainer, TrainsOn1440RealCandlesInSeconds) {
  const std::string path = std::string(TBML_SHARED_DATA_DIR) + "/BTCUSDT_1h.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
  std::vector<Candle> candles = load_candles_csv(path);
  ASSERT_GT(candles.size(), 1440u);
  candles.erase(candles.begin(), candles.end() - 1440);
  const Series s = build_series("BTC", candles);
  TrainOptions o;
  o.torch_threads = 1;
  const auto started = std::chrono::steady_clock::now();
  const TrainResult r = train_model(ModelType::kXgboost, s, o);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const ModelArtifact artifact = export_model(*r.model);
  const auto& t = r.report.test;
  std::cout << "BTC 1,440 candles: " << seconds << " s, " << r.report.epochs_run << " rounds (best "
            << r.report.best_epoch << "), " << r.model->info().parameters << " nodes, model " << artifact.weights.size()
            << " bytes (meta " << artifact.meta.dump().size() << "), test acc " << t.accuracy << " brier " << t.brier
            << " auc " << t.auc << " base rate " << t.base_rate << " calibration "
            << r.report.calibration.at("method").get<std::string>() << "\n  top features:";
  const auto importance = r.model->feature_importance();
  for (std::size_t i = 0; i < 5 && i < importance.size(); ++i)
    std::cout << " " << importance[i].first << " " << importance[i].second;
  std::cout << "\n";
  EXPECT_EQ(importance.size(), s.width);
  EXPECT_LT(seconds, 10.0);
  const ModelPtr back = import_model(artifact);
  std::vector<float> window(s.row(s.size() - 60), s.row(s.size()));
  EXPECT_EQ(back->predict(window.data(), 1), r.model->predict(window.data(), 1));

  // The worst case: no early stopping, all 300 rounds.
  o.architecture = {{"earlyStopping", 0}};
  const auto again = std::chrono::steady_clock::now();
  const TrainResult full = train_model(ModelType::kXgboost, s, o);
  const double full_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - again).count();
  std::cout << "  without early stopping: " << full_seconds << " s, " << full.report.epochs_run << " rounds (best "
            << full.report.best_epoch << "), model " << export_model(*full.model).weights.size() << " bytes\n";
  EXPECT_EQ(full.report.epochs_run, 300);
  EXPECT_LT(full_seconds, 30.0);  // generous: the suite shares 2 cores with builds
}

}  // namespace
}  // namespace tbml
