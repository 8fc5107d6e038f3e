#pragma once
// tbml::Model backed by gradient-boosted trees: the stored normaliser, the window summary and the
// booster, then the calibrator. Private to training (the torch-free counterpart of TorchModel).
#include <string>
#include <utility>
#include <vector>

#include "tbml/models/model.h"
#include "tbml/training/calibration.h"
#include "tbml/training/dataset.h"
#include "tbml/training/normaliser.h"
#include "tbml/trees/boosted_trees.h"

namespace tbml::training {

class TreeModel final : public Model {
 public:
  // Throws std::invalid_argument when the normaliser, the feature names and the trees' input width
  // (window_summary_width of the feature count) disagree, or the trees do not predict a probability.
  TreeModel(ModelInfo info, Normaliser normaliser, nlohmann::json architecture, BoostedTrees trees,
            PlattCalibrator calibrator = {});

  const ModelInfo& info() const override { return info_; }
  // Calibrated probabilities: what the service serves. Thread-safe.
  std::vector<double> predict(const float* windows, std::size_t batch) const override;
  // The trees' own probabilities, before the calibrator.
  std::vector<double> predict_uncalibrated(const float* windows, std::size_t batch) const;
  // Total gain per feature summed over its summary columns, descending (computed once, at construction).
  std::vector<std::pair<std::string, double>> feature_importance() const override { return importance_; }

  const PlattCalibrator& calibrator() const { return calibrator_; }
  const Normaliser& normaliser() const { return normaliser_; }
  const nlohmann::json& architecture() const { return architecture_; }
  const BoostedTrees& trees() const { return trees_; }
  std::string weights() const { return trees_.save(); }  // XGBoost JSON model bytes

 private:
  ModelInfo info_;
  Normaliser normaliser_;
  nlohmann::json architecture_;
  BoostedTrees trees_;
  PlattCalibrator calibrator_;
  std::vector<std::pair<std::string, double>> importance_;
};

// Summary rows (window_summary_width(width) floats each) of windows over already normalised `rows`.
std::vector<float> summarise_windows(const float* rows, std::size_t width, std::size_t steps,
                                     const std::vector<Window>& windows);

}  // namespace tbml::training
