#include "tbml/training/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <iostream>

#include "unit/training/synthetic_series.h"

namespace tbml {
namespace {

class Trainer : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
};

// Tiny architectures so every model trains in a few seconds on one core.
TrainOptions tiny(ModelType type) {
  TrainOptions o;
  o.sequence_length = 6;
  o.horizon = 3;
  o.epochs = 12;
  o.batch_size = 32;
  o.learning_rate = 5e-3;
  o.patience = 3;
  o.feature_names = test::names(3);
  o.feature_version = "test-1";
  switch (type) {
    case ModelType::kLstm:
    case ModelType::kGru: o.architecture = {{"hidden", 16}, {"layers", 2}, {"dropout", 0.1}, {"head", 8}}; break;
    case ModelType::kCnn: o.architecture = {{"channels", {8, 16}}, {"kernel", 3}, {"head", 8}}; break;
    case ModelType::kTransformer:
      o.architecture = {{"dModel", 16}, {"heads", 2}, {"layers", 2}, {"ff", 32}, {"dropout", 0.0}, {"head", 8}};
      break;
  }
  return o;
}

class EveryModel : public Trainer, public ::testing::WithParamInterface<ModelType> {};

TEST_P(EveryModel, LearnsLaggedFeatureSignalAndPredictsShapes) {
  const ModelType type = GetParam();
  const Series s = test::regime_series(1500, 3);
  const auto started = std::chrono::steady_clock::now();
  int epochs_seen = 0;
  TrainControl control;
  control.on_epoch = [&](const EpochProgress& p) {
    ++epochs_seen;
    EXPECT_EQ(p.type, type);
    EXPECT_TRUE(std::isfinite(p.validation_loss));
  };
  const TrainResult r = train_model(type, s, tiny(type), control);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(r.model);
  std::cout << to_string(type) << ": test accuracy " << r.report.test.accuracy << " auc " << r.report.test.auc
            << " after " << r.report.epochs_run << " epochs (best " << r.report.best_epoch << "), " << seconds
            << " s\n";
  EXPECT_GT(r.report.test.accuracy, 0.95) << to_string(type) << " after " << r.report.epochs_run << " epochs";
  EXPECT_GT(r.report.test.auc, 0.95);
  EXPECT_LT(r.report.test.brier, r.report.test.base_rate * (1.0 - r.report.test.base_rate));
  EXPECT_EQ(epochs_seen, r.report.epochs_run);
  EXPECT_LT(seconds, 30.0);

  const ModelInfo& info = r.model->info();
  EXPECT_EQ(info.type, type);
  EXPECT_EQ(info.pair, "TEST");
  EXPECT_EQ(info.feature_names, test::names(3));
  EXPECT_EQ(info.sequence_length, 6u);
  EXPECT_EQ(info.horizon, 3u);
  EXPECT_GT(info.parameters, 0u);
  EXPECT_GT(info.trained_at, 0);
  EXPECT_TRUE(info.config.contains("architecture"));
  EXPECT_EQ(info.report.test.samples, r.report.test.samples);
  EXPECT_EQ(r.report.data_from, s.candles.front().timestamp);

  // Output shape: one finite probability per window, any batch size.
  std::vector<float> windows(7 * 6 * 3);
  for (std::size_t i = 0; i < windows.size(); ++i) windows[i] = static_cast<float>((i % 11) - 5);
  const auto p = r.model->predict(windows.data(), 7);
  ASSERT_EQ(p.size(), 7u);
  for (double v : p) EXPECT_TRUE(std::isfinite(v) && v >= 0.0 && v <= 1.0);
  EXPECT_TRUE(r.model->predict(windows.data(), 0).empty());
}

INSTANTIATE_TEST_SUITE_P(Types, EveryModel,
                         ::testing::Values(ModelType::kLstm, ModelType::kGru, ModelType::kCnn, ModelType::kTransformer),
                         [](const auto& info) { return to_string(info.param); });

TEST_F(Trainer, EarlyStoppingStopsAndRestoresBestWeights) {
  const Series s = test::noise_series(800);
  TrainOptions o = tiny(ModelType::kGru);
  o.epochs = 60;
  o.patience = 2;
  o.learning_rate = 1e-2;
  std::vector<double> val_losses;
  TrainControl control;
  control.on_epoch = [&](const EpochProgress& p) { val_losses.push_back(p.validation_loss); };
  const TrainResult r = train_model(ModelType::kGru, s, o, control);
  EXPECT_LT(r.report.epochs_run, 60);
  EXPECT_EQ(r.report.epochs_run, r.report.best_epoch + 2);
  ASSERT_GE(r.report.best_epoch, 1);
  // The final validation metrics are those of the best epoch, not of the last one.
  EXPECT_NEAR(r.report.validation.loss, val_losses[r.report.best_epoch - 1], 1e-6);
}

TEST_F(Trainer, CancelStopsWithinOneBatch) {
  const Series s = test::regime_series(1500, 3);
  int calls = 0;
  TrainControl control;
  control.cancelled = [&] { return ++calls >= 3; };
  int epochs = 0;
  control.on_epoch = [&](const EpochProgress&) { ++epochs; };
  EXPECT_THROW(train_model(ModelType::kLstm, s, tiny(ModelType::kLstm), control), TrainingCancelled);
  EXPECT_EQ(calls, 3);  // no batch ran after cancelled() said yes
  EXPECT_EQ(epochs, 0);
}

TEST_F(Trainer, SameSeedSameModel) {
  const Series s = test::regime_series(600, 3);
  TrainOptions o = tiny(ModelType::kCnn);
  o.epochs = 2;
  const auto a = train_model(ModelType::kCnn, s, o);
  const auto b = train_model(ModelType::kCnn, s, o);
  EXPECT_DOUBLE_EQ(a.report.test.loss, b.report.test.loss);
}

TEST_F(Trainer, ScoresIncumbentOnTheNewTestSplit) {
  const Series s = test::regime_series(1000, 3);
  TrainOptions o = tiny(ModelType::kCnn);
  o.epochs = 3;
  const auto first = train_model(ModelType::kCnn, s, o);
  TrainControl control;
  control.incumbent = first.model;
  const auto second = train_model(ModelType::kCnn, s, o, control);
  ASSERT_TRUE(second.incumbent_test.has_value()) << second.incumbent_note;
  // Same data, same seed: the incumbent scores exactly what it scored itself.
  EXPECT_EQ(second.incumbent_test->samples, second.report.test.samples);
  EXPECT_NEAR(second.incumbent_test->loss, first.report.test.loss, 1e-6);

  TrainOptions other = o;
  other.feature_names = {"a", "b", "c"};
  const auto third = train_model(ModelType::kCnn, s, other, control);
  EXPECT_FALSE(third.incumbent_test.has_value());
  EXPECT_FALSE(third.incumbent_note.empty());
}

TEST_F(Trainer, RejectsBadOptions) {
  const Series s = test::regime_series(300, 3);
  TrainOptions o = tiny(ModelType::kLstm);
  o.epochs = 0;
  EXPECT_THROW(train_model(ModelType::kLstm, s, o), std::invalid_argument);
  o = tiny(ModelType::kLstm);
  o.architecture = {{"hiddne", 3}};
  EXPECT_THROW(train_model(ModelType::kLstm, s, o), std::invalid_argument);
  o = tiny(ModelType::kLstm);
  o.feature_names = {"only-one"};
  EXPECT_THROW(train_model(ModelType::kLstm, s, o), std::invalid_argument);
  o = tiny(ModelType::kTransformer);
  o.architecture["heads"] = 3;  // 16 is not a multiple of 3
  EXPECT_THROW(train_model(ModelType::kTransformer, s, o), std::invalid_argument);
}

}  // namespace
}  // namespace tbml
