#pragma once
// Test double for the torch-free Model interface, shared by the models and ensemble tests: it returns
// what the test tells it to, so those stages are tested without libtorch.
#include <atomic>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tbml/models/model.h"

namespace tbml::test {

class FakeModel : public Model {
 public:
  using Fn = std::function<std::vector<double>(const float* windows, std::size_t batch)>;

  FakeModel(ModelType type, Fn fn, std::size_t rows = 3, std::size_t width = 2, int version = 1)
      : fn_(std::move(fn)) {
    info_.type = type;
    info_.version = version;
    info_.trained_at = 1700000000000 + version;
    info_.sequence_length = rows;
    for (std::size_t i = 0; i < width; ++i) info_.feature_names.push_back("f" + std::to_string(i));
  }
  const ModelInfo& info() const override { return info_; }
  ModelInfo& mutable_info() { return info_; }
  std::vector<double> predict(const float* windows, std::size_t batch) const override {
    ++calls;
    return fn_(windows, batch);
  }

  mutable std::atomic<int> calls{0};  // atomic: registry tests predict from several threads

 private:
  ModelInfo info_;
  Fn fn_;
};

// Predicts p for every window.
inline std::shared_ptr<FakeModel> fixed(ModelType type, double p, std::size_t rows = 3, std::size_t width = 2) {
  return std::make_shared<FakeModel>(
      type, [p](const float*, std::size_t batch) { return std::vector<double>(batch, p); }, rows, width);
}

inline std::shared_ptr<FakeModel> throwing(ModelType type, const std::string& what) {
  return std::make_shared<FakeModel>(
      type, [what](const float*, std::size_t) -> std::vector<double> { throw std::runtime_error(what); });
}

// For registry tests: a model of `pair` with a filled-in report that predicts 1 / (1 + version), so a
// reader can check that the model and the version it got belong together.
inline ModelPtr fake(const std::string& pair, ModelType type, int version, std::size_t features = 3) {
  const double p = 1.0 / (1.0 + version);
  auto m = std::make_shared<FakeModel>(
      type, [p](const float*, std::size_t batch) { return std::vector<double>(batch, p); }, 3, features, version);
  ModelInfo& info = m->mutable_info();
  info.pair = pair;
  info.sequence_length = ModelInfo{}.sequence_length;
  info.parameters = 123;
  info.report.validation.samples = 50;
  info.report.validation.brier = 0.23;
  info.report.test.samples = 40;
  info.report.test.brier = 0.24;
  return m;
}

}  // namespace tbml::test
