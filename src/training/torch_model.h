#pragma once
// tbml::Model backed by a torch network: stored normaliser + network in eval mode. Private to training.
#include <mutex>

#include "networks.h"
#include "tbml/training/calibration.h"
#include "tbml/models/model.h"
#include "tbml/training/normaliser.h"

namespace tbml::training {

class TorchModel final : public Model {
 public:
  TorchModel(ModelInfo info, Normaliser normaliser, nlohmann::json architecture, std::shared_ptr<SequenceNet> net,
             PlattCalibrator calibrator = {});

  const ModelInfo& info() const override { return info_; }
  // Calibrated probabilities: what the service serves.
  std::vector<double> predict(const float* windows, std::size_t batch) const override;
  // MC dropout: `passes` forward passes of one window with the dropout layers in training mode (inference
  // mode otherwise; nothing else changes: the networks have no batch norm), each calibrated as served. The
  // passes run as one batch of identical windows, each row drawing its own dropout masks.
  std::optional<std::vector<double>> predict_samples(const float* window, std::size_t passes) const override;
  // The network's own probabilities, before the calibrator.
  std::vector<double> predict_uncalibrated(const float* windows, std::size_t batch) const;
  const PlattCalibrator& calibrator() const { return calibrator_; }

  const Normaliser& normaliser() const { return normaliser_; }
  const nlohmann::json& architecture() const { return architecture_; }
  std::string weights() const;  // torch archive bytes of the network's parameters and buffers

 private:
  ModelInfo info_;
  Normaliser normaliser_;
  nlohmann::json architecture_;
  std::shared_ptr<SequenceNet> net_;
  PlattCalibrator calibrator_;
  // torch modules are not documented as safe for concurrent forward calls; inference is short.
  mutable std::mutex mutex_;
};

// P(up) for already normalised windows [n, T, F] (eval mode and no-grad are the caller's business).
std::vector<double> probabilities(SequenceNet& net, const torch::Tensor& windows);

}  // namespace tbml::training
