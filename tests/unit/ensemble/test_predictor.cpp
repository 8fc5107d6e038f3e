#include <atomic>
#include <cmath>
#include <thread>

#include <gtest/gtest.h>

#include "tbml/ensemble/predictor.h"
#include "unit/fake_model.h"

using namespace tbml;
using namespace tbml::test;

namespace {

const std::vector<float> kWindow = {0.f, 1.f, 2.f, 3.f, 4.f, 0.25f};  // 3 rows x 2 features

PredictionMeta meta() {
  PredictionMeta m;
  m.pair = "BTC";
  m.data_timestamp = 1795215000000;
  m.horizon = 5;
  m.computed_at = 1795215300000;
  return m;
}

}  // namespace

TEST(Predictor, RunsEachModelOnceOnTheLatestWindow) {
  // The echo model returns the window's last value, proving it saw this window with batch 1.
  auto echo = std::make_shared<FakeModel>(ModelType::kLstm, [](const float* w, std::size_t batch) {
    EXPECT_EQ(batch, 1u);
    return std::vector<double>{w[5]};
  });
  auto gru = fixed(ModelType::kGru, 0.55);
  const PredictionSnapshot s = run_models({echo, gru}, kWindow.data(), 3, 2, meta());
  EXPECT_EQ(echo->calls, 1);
  EXPECT_EQ(gru->calls, 1);
  ASSERT_EQ(s.models.size(), 2u);
  EXPECT_EQ(s.models[0].model, "lstm");
  EXPECT_DOUBLE_EQ(s.models[0].probability, 0.25);
  EXPECT_EQ(s.models[1].model, "gru");
  EXPECT_EQ(s.models[0].version, 1);
  EXPECT_EQ(s.models[0].trained_at, 1700000000001);
  EXPECT_GE(s.models[0].inference_us, 0.0);
  EXPECT_GE(s.total_us, s.models[0].inference_us);
  EXPECT_TRUE(s.errors.empty());
  EXPECT_EQ(s.pair, "BTC");
  EXPECT_EQ(s.data_timestamp, 1795215000000);
  EXPECT_EQ(s.computed_at, 1795215300000);
  EXPECT_EQ(s.feature_count, 2u);
  EXPECT_EQ(s.sequence_length, 3u);
  EXPECT_EQ(s.horizon, 5u);
  EXPECT_NE(s.find("gru"), nullptr);
  EXPECT_EQ(s.find("cnn"), nullptr);
}

TEST(Predictor, FailingAndInvalidModelsBecomeErrorsOthersContinue) {
  auto two_values = std::make_shared<FakeModel>(
      ModelType::kTransformer, [](const float*, std::size_t) { return std::vector<double>{0.1, 0.2}; });
  const PredictionSnapshot s =
      run_models({fixed(ModelType::kLstm, 0.6), throwing(ModelType::kGru, "weights corrupted"),
                  fixed(ModelType::kCnn, std::nan("")), two_values},
                 kWindow.data(), 3, 2, meta());
  ASSERT_EQ(s.models.size(), 1u);
  EXPECT_EQ(s.models[0].model, "lstm");
  ASSERT_EQ(s.errors.size(), 3u);
  EXPECT_NE(s.errors.at("gru").find("weights corrupted"), std::string::npos);
  EXPECT_NE(s.errors.at("cnn").find("non-finite"), std::string::npos);
  EXPECT_NE(s.errors.at("transformer").find("2 values"), std::string::npos);
  EXPECT_EQ(s.error_inference_us.count("gru"), 1u);
}

TEST(Predictor, RejectsOutOfRangeInfiniteAndMisshapenModels) {
  const PredictionSnapshot s =
      run_models({fixed(ModelType::kLstm, 1.2), fixed(ModelType::kGru, -INFINITY),
                  fixed(ModelType::kCnn, 0.5, 60, 2), fixed(ModelType::kTransformer, 1.0), nullptr},
                 kWindow.data(), 3, 2, meta());
  ASSERT_EQ(s.models.size(), 1u);  // 1.0 is a valid probability
  EXPECT_EQ(s.models[0].model, "transformer");
  EXPECT_NE(s.errors.at("lstm").find("outside [0, 1]"), std::string::npos);
  EXPECT_NE(s.errors.at("gru").find("non-finite"), std::string::npos);
  EXPECT_NE(s.errors.at("cnn").find("60x2"), std::string::npos);
  EXPECT_EQ(s.errors.count("model#4"), 1u);
}

TEST(Predictor, DuplicateModelTypeIsReportedNotOverwritten) {
  const PredictionSnapshot s =
      run_models({fixed(ModelType::kLstm, 0.6), fixed(ModelType::kLstm, 0.1)}, kWindow.data(), 3, 2, meta());
  ASSERT_EQ(s.models.size(), 1u);
  EXPECT_DOUBLE_EQ(s.models[0].probability, 0.6);
  EXPECT_EQ(s.errors.count("lstm#1"), 1u);
}

TEST(Predictor, NoModelsGivesEmptySnapshotAndBadInputThrows) {
  const PredictionSnapshot s = run_models({}, kWindow.data(), 3, 2, meta());
  EXPECT_TRUE(s.models.empty());
  EXPECT_THROW(run_models({}, nullptr, 3, 2, meta()), std::invalid_argument);
  EXPECT_THROW(run_models({}, kWindow.data(), 0, 2, meta()), std::invalid_argument);
  PredictionMeta no_pair = meta();
  no_pair.pair.clear();
  EXPECT_THROW(run_models({}, kWindow.data(), 3, 2, no_pair), std::invalid_argument);
}

TEST(SnapshotStore, PublishesAndReadsAtomically) {
  SnapshotStore store;
  EXPECT_EQ(store.get("BTC"), nullptr);
  store.publish(nullptr);
  EXPECT_EQ(store.size(), 0u);
  auto first = std::make_shared<PredictionSnapshot>(run_models({fixed(ModelType::kLstm, 0.6)}, kWindow.data(), 3, 2, meta()));
  store.publish(first);
  SnapshotPtr held = store.get("BTC");
  auto second = std::make_shared<PredictionSnapshot>(*first);
  second->data_timestamp += 3600000;
  store.publish(second);
  EXPECT_EQ(held->data_timestamp, 1795215000000);  // a reader keeps the snapshot it got
  EXPECT_EQ(store.get("BTC")->data_timestamp, 1795218600000);
  auto eth = std::make_shared<PredictionSnapshot>(*first);
  eth->pair = "ETH";
  store.publish(eth);
  auto all = store.all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]->pair, "BTC");
  store.erase("ETH");
  EXPECT_EQ(store.size(), 1u);
}

TEST(SnapshotStore, ConcurrentPublishAndReadSeeWholeSnapshots) {
  SnapshotStore store;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) {
      auto s = std::make_shared<PredictionSnapshot>();
      s->pair = "BTC";
      s->data_timestamp = i;
      s->feature_count = static_cast<std::size_t>(i);  // reader checks both fields belong together
      store.publish(s);
    }
    stop = true;
  });
  std::size_t seen = 0;
  while (!stop) {
    if (auto s = store.get("BTC")) {
      EXPECT_EQ(static_cast<std::size_t>(s->data_timestamp), s->feature_count);
      ++seen;
    }
  }
  writer.join();
  EXPECT_EQ(store.get("BTC")->data_timestamp, 1999);
}

namespace {

// A network stand-in whose MC-dropout passes return given samples (or throw).
class SamplingModel : public FakeModel {
 public:
  SamplingModel(ModelType type, std::vector<double> samples, bool fail = false)
      : FakeModel(type, [](const float*, std::size_t batch) { return std::vector<double>(batch, 0.6); }),
        samples_(std::move(samples)), fail_(fail) {}
  std::optional<std::vector<double>> predict_samples(const float*, std::size_t passes) const override {
    last_passes = passes;
    if (fail_) throw std::runtime_error("sampling failed");
    return samples_;
  }
  mutable std::size_t last_passes = 0;

 private:
  std::vector<double> samples_;
  bool fail_;
};

}  // namespace

TEST(Predictor, DrawsMcDropoutSamplesWhenAskedAndOnlyThen) {
  auto lstm = std::make_shared<SamplingModel>(ModelType::kLstm, std::vector<double>{0.55, 0.6, 0.65});
  auto gru = std::make_shared<SamplingModel>(ModelType::kGru, std::vector<double>{0.5, 1.5});  // invalid sample
  auto cnn = std::make_shared<SamplingModel>(ModelType::kCnn, std::vector<double>{}, true);
  auto trees = fixed(ModelType::kXgboost, 0.4);  // no dropout: predict_samples is nullopt
  PredictionMeta m = meta();
  const PredictionSnapshot off = run_models({lstm}, kWindow.data(), 3, 2, m);
  EXPECT_TRUE(off.models[0].samples.empty());
  EXPECT_EQ(lstm->last_passes, 0u);  // not even asked
  m.mc_dropout_passes = 3;
  const PredictionSnapshot s = run_models({lstm, gru, cnn, trees}, kWindow.data(), 3, 2, m);
  ASSERT_EQ(s.models.size(), 4u);  // the prediction stands whatever the sampling did
  EXPECT_EQ(lstm->last_passes, 3u);
  EXPECT_EQ(s.models[0].samples, (std::vector<double>{0.55, 0.6, 0.65}));
  EXPECT_GE(s.models[0].samples_us, 0.0);
  EXPECT_TRUE(s.models[1].samples.empty());
  EXPECT_TRUE(s.models[2].samples.empty());
  EXPECT_TRUE(s.models[3].samples.empty());
  EXPECT_DOUBLE_EQ(s.models[2].probability, 0.6);
}
