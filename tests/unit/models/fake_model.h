#pragma once
// A torch-free Model for registry tests: predicts a fixed value derived from its version, so a reader
// can check that the model and the version it got belong together.
#include <string>
#include <vector>

#include "tbml/models/model.h"

namespace tbml::testing {

class FakeModel : public Model {
 public:
  FakeModel(std::string pair, ModelType type, int version, std::size_t features = 3) {
    info_.pair = std::move(pair);
    info_.type = type;
    info_.version = version;
    info_.trained_at = 1700000000000 + version;
    for (std::size_t i = 0; i < features; ++i) info_.feature_names.push_back("f" + std::to_string(i));
    info_.parameters = 123;
    info_.report.validation.samples = 50;
    info_.report.validation.brier = 0.23;
    info_.report.test.samples = 40;
    info_.report.test.brier = 0.24;
  }
  const ModelInfo& info() const override { return info_; }
  std::vector<double> predict(const float*, std::size_t batch) const override {
    return std::vector<double>(batch, value());
  }
  double value() const { return 1.0 / (1.0 + info_.version); }

 private:
  ModelInfo info_;
};

inline ModelPtr fake(const std::string& pair, ModelType type, int version) {
  return std::make_shared<FakeModel>(pair, type, version);
}

}  // namespace tbml::testing
