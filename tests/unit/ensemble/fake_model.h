#pragma once
// Test double for the torch-free Model interface: returns what the test tells it to, so the ensemble
// stage is tested without libtorch.
#include <functional>
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
  std::vector<double> predict(const float* windows, std::size_t batch) const override {
    ++calls;
    return fn_(windows, batch);
  }

  mutable int calls = 0;

 private:
  ModelInfo info_;
  Fn fn_;
};

inline std::shared_ptr<FakeModel> fixed(ModelType type, double p, std::size_t rows = 3, std::size_t width = 2) {
  return std::make_shared<FakeModel>(
      type, [p](const float*, std::size_t batch) { return std::vector<double>(batch, p); }, rows, width);
}

inline std::shared_ptr<FakeModel> throwing(ModelType type, const std::string& what) {
  return std::make_shared<FakeModel>(
      type, [what](const float*, std::size_t) -> std::vector<double> { throw std::runtime_error(what); });
}

}  // namespace tbml::test
