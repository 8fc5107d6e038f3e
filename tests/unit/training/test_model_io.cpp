#include "tbml/training/model_io.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <random>
#include <thread>

#include "tbml/training/trainer.h"
#include "tbml/util/atomic_file.h"
#include "unit/training/synthetic_series.h"

namespace tbml {
namespace {

class ModelIo : public ::testing::Test {
 protected:
  static ModelPtr train(ModelType type) {
    torch::set_num_threads(1);
    TrainOptions o;
    o.sequence_length = 5;
    o.horizon = 2;
    o.epochs = 1;
    o.feature_names = test::names(3);
    if (type == ModelType::kLstm || type == ModelType::kGru) o.architecture = {{"hidden", 8}, {"head", 4}};
    if (type == ModelType::kCnn) o.architecture = {{"channels", {4, 8}}, {"head", 4}};
    if (type == ModelType::kTransformer) o.architecture = {{"dModel", 8}, {"heads", 2}, {"ff", 16}, {"head", 4}};
    if (type == ModelType::kXgboost) o.architecture = {{"rounds", 20}, {"maxDepth", 2}, {"eta", 0.3}};
    return train_model(type, test::regime_series(300, 2), o).model;
  }
  static std::vector<float> windows(std::size_t n) {
    std::vector<float> w(n * 5 * 3);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(std::sin(0.7 * i) * 2.0);
    return w;
  }
  // Keeps the size and checksum fields consistent so the torch loader itself sees the damage.
  static ModelArtifact with_weights(ModelArtifact a, std::string weights) {
    a.weights = std::move(weights);
    a.meta["weightsBytes"] = a.weights.size();
    a.meta["weightsChecksum"] = checksum_hex(a.weights);
    return a;
  }
};

TEST_F(ModelIo, ExportImportGivesIdenticalPredictions) {
  for (ModelType type : all_model_types()) {
    const ModelPtr model = train(type);
    const ModelArtifact artifact = export_model(*model);
    EXPECT_EQ(artifact.meta.at("type"), to_string(type));
    // Through text, as the store keeps it.
    const ModelArtifact reread{nlohmann::json::parse(artifact.meta.dump()), artifact.weights};
    const ModelPtr back = import_model(reread);
    const auto w = windows(9);
    EXPECT_EQ(model->predict(w.data(), 9), back->predict(w.data(), 9)) << to_string(type);
    EXPECT_EQ(back->info().parameters, model->info().parameters);
    EXPECT_EQ(back->info().feature_names, model->info().feature_names);
    EXPECT_EQ(back->info().report.test.samples, model->info().report.test.samples);
  }
}

TEST_F(ModelIo, DamagedWeightsThrow) {
  const ModelArtifact good = export_model(*train(ModelType::kLstm));
  ModelArtifact truncated = good;
  truncated.weights.resize(good.weights.size() / 2);
  EXPECT_THROW(import_model(truncated), std::runtime_error);  // size check
  EXPECT_THROW(import_model(with_weights(good, good.weights.substr(0, good.weights.size() / 2))),
               std::runtime_error);  // torch loader
  EXPECT_THROW(import_model(with_weights(good, "")), std::runtime_error);
  EXPECT_THROW(import_model(with_weights(good, std::string(4096, '\x5a'))), std::runtime_error);
  ModelArtifact flipped = good;
  flipped.weights[flipped.weights.size() / 2] ^= 0x40;
  EXPECT_THROW(import_model(flipped), std::runtime_error);  // checksum
}

// Hostile weights: a file whose size and checksum were made to match (written by someone else, not
// damaged in transit). Every mutation must be refused with std::runtime_error or load a model whose
// answers are finite probabilities: never a crash, never another exception.
TEST_F(ModelIo, MutatedWeightsWithMatchingChecksumNeverCrash) {
  for (ModelType type : {ModelType::kLstm, ModelType::kXgboost}) {
    const ModelArtifact good = export_model(*train(type));
    std::mt19937 rng(1234);
    std::size_t refused = 0, loaded = 0;
    const auto w = windows(2);
    for (int i = 0; i < 150; ++i) {
      std::string bytes = good.weights;
      switch (i % 3) {
        case 0:  // flip a few bits
          for (int k = 0; k < 1 + i % 4; ++k) bytes[rng() % bytes.size()] ^= static_cast<char>(1u << (rng() % 8));
          break;
        case 1:  // truncate
          bytes.resize(rng() % bytes.size());
          break;
        default:  // overwrite a run with random bytes
          for (std::size_t k = rng() % bytes.size(), n = 0; k < bytes.size() && n < 64; ++k, ++n)
            bytes[k] = static_cast<char>(rng());
      }
      try {
        const ModelPtr m = import_model(with_weights(good, bytes));
        const auto p = m->predict(w.data(), 2);
        for (double v : p) EXPECT_TRUE(std::isfinite(v) && v >= 0.0 && v <= 1.0) << to_string(type) << " mutation " << i;
        ++loaded;
      } catch (const std::runtime_error&) {
        ++refused;
      }
    }
    EXPECT_EQ(refused + loaded, 150u);
    EXPECT_GT(refused, 0u) << to_string(type);
  }
}

TEST_F(ModelIo, MismatchedMetaThrows) {
  const ModelArtifact good = export_model(*train(ModelType::kGru));
  auto expect_throw = [&](const std::function<void(nlohmann::json&)>& damage) {
    ModelArtifact a = good;
    damage(a.meta);
    EXPECT_THROW(import_model(a), std::runtime_error) << a.meta.dump().substr(0, 200);
  };
  expect_throw([](auto& m) { m = nlohmann::json::array(); });
  expect_throw([](auto& m) { m.erase("normaliser"); });
  expect_throw([](auto& m) { m.erase("featureNames"); });
  expect_throw([](auto& m) { m["type"] = "lstm"; });  // GRU weights, LSTM network
  expect_throw([](auto& m) { m["type"] = "rnn"; });
  expect_throw([](auto& m) { m["architecture"]["hidden"] = 9; });
  expect_throw([](auto& m) { m["architecture"]["bogus"] = 1; });
  expect_throw([](auto& m) { m["featureNames"].push_back("extra"); });
  expect_throw([](auto& m) { m["sequenceLength"] = "five"; });
  expect_throw([](auto& m) { m["parameters"] = 1; });
  expect_throw([](auto& m) { m["format"] = "other"; });
  expect_throw([](auto& m) { m["normaliser"]["std"][0] = -1.0; });
}

TEST_F(ModelIo, DamagedTreeWeightsThrow) {
  const ModelArtifact good = export_model(*train(ModelType::kXgboost));
  EXPECT_EQ(good.meta.at("format"), "tbml-xgboost-1");
  ModelArtifact truncated = good;
  truncated.weights.resize(good.weights.size() / 2);
  EXPECT_THROW(import_model(truncated), std::runtime_error);  // size check
  EXPECT_THROW(import_model(with_weights(good, good.weights.substr(0, good.weights.size() / 2))),
               std::runtime_error);  // JSON reader
  EXPECT_THROW(import_model(with_weights(good, "")), std::runtime_error);
  EXPECT_THROW(import_model(with_weights(good, std::string(4096, '\x5a'))), std::runtime_error);
  EXPECT_THROW(import_model(with_weights(good, "{\"learner\":{}}")), std::runtime_error);
  ModelArtifact flipped = good;
  flipped.weights[flipped.weights.size() / 2] ^= 0x40;
  EXPECT_THROW(import_model(flipped), std::runtime_error);  // checksum
}

TEST_F(ModelIo, MismatchedTreeMetaThrows) {
  const ModelArtifact good = export_model(*train(ModelType::kXgboost));
  auto expect_throw = [&](const std::function<void(nlohmann::json&)>& damage) {
    ModelArtifact a = good;
    damage(a.meta);
    EXPECT_THROW(import_model(a), std::runtime_error) << a.meta.dump().substr(0, 200);
  };
  expect_throw([](auto& m) { m["type"] = "lstm"; });           // trees in a network's meta
  expect_throw([](auto& m) { m["format"] = "tbml-torch-1"; });  // JSON bytes are no torch archive
  expect_throw([](auto& m) { m.erase("normaliser"); });
  expect_throw([](auto& m) { m["featureNames"].push_back("extra"); });
  expect_throw([](auto& m) { m["normaliser"]["mean"].push_back(0.0); m["normaliser"]["std"].push_back(1.0);
                             m["featureNames"].push_back("extra"); });  // the trees read 3 features' summary
  expect_throw([](auto& m) { m["parameters"] = 1; });
  expect_throw([](auto& m) { m["architecture"]["bogus"] = 1; });
  expect_throw([](auto& m) { m["calibration"]["slope"] = -1.0; });
  ModelArtifact torch = export_model(*train(ModelType::kLstm));
  torch.meta["type"] = "xgboost";
  EXPECT_THROW(import_model(torch), std::runtime_error);
}

TEST_F(ModelIo, ErrorsSayWhy) {
  const ModelArtifact good = export_model(*train(ModelType::kCnn));
  auto message = [](const ModelArtifact& a) {
    try {
      import_model(a);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  ModelArtifact truncated = good;
  truncated.weights.resize(10);
  EXPECT_NE(message(truncated).find("truncated"), std::string::npos) << message(truncated);
  const auto torch_damage = message(with_weights(good, good.weights.substr(0, good.weights.size() - 100)));
  EXPECT_NE(torch_damage.find("cannot import model: weights: tensor file truncated"), std::string::npos) << torch_damage;
  ModelArtifact old_format = good;
  old_format.meta["format"] = "tbml-torch-1";
  EXPECT_NE(message(old_format).find("no longer read"), std::string::npos) << message(old_format);
  ModelArtifact wider = good;
  wider.meta["architecture"]["channels"][0] = 5;
  EXPECT_NE(message(wider).find("do not fit the architecture"), std::string::npos) << message(wider);
}

TEST_F(ModelIo, PredictIsThreadSafeAndNeverNaN) {
  for (ModelType type : {ModelType::kGru, ModelType::kXgboost}) {
    SCOPED_TRACE(to_string(type));
    const ModelPtr model = train(type);
    const auto w = windows(40);
    const auto serial = model->predict(w.data(), 40);
    std::vector<std::vector<double>> results(4);
    std::vector<std::thread> threads;
    for (auto& r : results)
      threads.emplace_back([&] {
        for (int i = 0; i < 20; ++i) r = model->predict(w.data(), 40);
      });
    for (auto& t : threads) t.join();
    for (const auto& r : results) EXPECT_EQ(r, serial);

    std::vector<float> bad = windows(1);
    bad[0] = std::nanf("");
    bad[4] = INFINITY;
    const auto p = model->predict(bad.data(), 1);
    ASSERT_EQ(p.size(), 1u);
    EXPECT_TRUE(std::isfinite(p[0]));
    EXPECT_THROW(model->predict(nullptr, 2), std::invalid_argument);
  }
}

TEST_F(ModelIo, ExportRejectsForeignModels) {
  struct Foreign : Model {
    ModelInfo info_;
    const ModelInfo& info() const override { return info_; }
    std::vector<double> predict(const float*, std::size_t batch) const override {
      return std::vector<double>(batch, 0.5);
    }
  } foreign;
  EXPECT_THROW(export_model(foreign), std::invalid_argument);
}

TEST_F(ModelIo, WeightsOfAnotherModelTypeThrow) {
  const ModelArtifact lstm = export_model(*train(ModelType::kLstm));
  const ModelArtifact cnn = export_model(*train(ModelType::kCnn));
  EXPECT_THROW(import_model(with_weights(cnn, lstm.weights)), std::runtime_error);
  const ModelArtifact trees = export_model(*train(ModelType::kXgboost));
  EXPECT_THROW(import_model(with_weights(trees, lstm.weights)), std::runtime_error);
  EXPECT_THROW(import_model(with_weights(lstm, trees.weights)), std::runtime_error);
}

}  // namespace
}  // namespace tbml
