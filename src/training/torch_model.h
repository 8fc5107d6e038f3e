#pragma once
// tbml::Model backed by a torch network: stored normaliser + network in eval mode. Private to training.
#include <mutex>

#include "networks.h"
#include "tbml/models/model.h"
#include "tbml/training/normaliser.h"

namespace tbml::training {

class TorchModel final : public Model {
 public:
  TorchModel(ModelInfo info, Normaliser normaliser, nlohmann::json architecture, std::shared_ptr<SequenceNet> net);

  const ModelInfo& info() const override { return info_; }
  std::vector<double> predict(const float* windows, std::size_t batch) const override;

  const Normaliser& normaliser() const { return normaliser_; }
  const nlohmann::json& architecture() const { return architecture_; }
  std::string weights() const;  // torch archive bytes of the network's parameters and buffers

 private:
  ModelInfo info_;
  Normaliser normaliser_;
  nlohmann::json architecture_;
  std::shared_ptr<SequenceNet> net_;
  // torch modules are not documented as safe for concurrent forward calls; inference is short.
  mutable std::mutex mutex_;
};

// P(up) for already normalised windows [n, T, F] (eval mode and no-grad are the caller's business).
std::vector<double> probabilities(SequenceNet& net, const torch::Tensor& windows);

}  // namespace tbml::training
