// Model::predict_samples: Monte-Carlo dropout for the networks, nothing for models without it.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>

#include "tbml/training/trainer.h"
#include "unit/fake_model.h"
#include "unit/training/synthetic_series.h"

namespace tbml {
namespace {

TrainOptions small(double dropout, int layers) {
  TrainOptions o;
  o.sequence_length = 6;
  o.horizon = 3;
  o.epochs = 2;
  o.batch_size = 32;
  o.patience = 2;
  o.feature_names = test::names(3);
  o.feature_version = "test-1";
  o.architecture = {{"hidden", 16}, {"layers", layers}, {"dropout", dropout}, {"head", 8}};
  return o;
}

std::vector<float> last_window(const Series& s, std::size_t steps) {
  return std::vector<float>(s.row(s.size() - steps), s.row(s.size()));
}

TEST(McDropout, SamplesVaryWithDropoutAndLeavePredictUnchanged) {
  torch::set_num_threads(1);
  const Series s = test::regime_series(600, 3);
  const TrainResult r = train_model(ModelType::kGru, s, small(0.5, 2));
  const std::vector<float> w = last_window(s, 6);
  const double before = r.model->predict(w.data(), 1).at(0);
  const auto samples = r.model->predict_samples(w.data(), 64);
  ASSERT_TRUE(samples.has_value());
  ASSERT_EQ(samples->size(), 64u);
  for (double p : *samples) {
    EXPECT_GE(p, 0.0);
    EXPECT_LE(p, 1.0);
  }
  const auto [lo, hi] = std::minmax_element(samples->begin(), samples->end());
  EXPECT_GT(*hi - *lo, 1e-6) << "dropout active: the passes differ";
  EXPECT_EQ(r.model->predict(w.data(), 1).at(0), before) << "predict() is back in eval mode";
  EXPECT_TRUE(r.model->predict_samples(w.data(), 0)->empty());
}

TEST(McDropout, WithoutDropoutEverySampleIsThePrediction) {
  torch::set_num_threads(1);
  const Series s = test::regime_series(600, 3);
  const TrainResult r = train_model(ModelType::kLstm, s, small(0.0, 1));
  const std::vector<float> w = last_window(s, 6);
  const double p = r.model->predict(w.data(), 1).at(0);
  const auto samples = r.model->predict_samples(w.data(), 8);
  ASSERT_TRUE(samples.has_value());
  for (double x : *samples) EXPECT_NEAR(x, p, 1e-6);
}

TEST(McDropout, ModelsWithoutDropoutSayNothing) {
  test::FakeModel fake(ModelType::kXgboost, [](const float*, std::size_t n) { return std::vector<double>(n, 0.5); });
  const std::vector<float> w(6, 0.0f);
  EXPECT_FALSE(fake.predict_samples(w.data(), 10).has_value());
}

}  // namespace
}  // namespace tbml
