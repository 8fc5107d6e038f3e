#pragma once
// Platt scaling: maps a model's raw probability p to sigmoid(a * logit(p) + b), fitted on validation
// predictions after training so that served probabilities mean what they say. Torch-free, so the
// evaluation stage can fit and apply the same calibrator.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/models/model.h"

namespace tbml {

class PlattCalibrator {
 public:
  PlattCalibrator() = default;  // identity: a = 1, b = 0
  PlattCalibrator(double slope, double intercept);  // throws std::invalid_argument when not finite

  // Maximum-likelihood fit of (a, b) by Newton's method on Platt's smoothed targets, so a perfectly
  // separated validation set cannot push the slope to infinity. The slope is kept >= 0: a model whose
  // ranking was backwards on validation is not silently turned around, it becomes the validation base
  // rate. Fewer than 2 samples or a single class -> identity.
  static PlattCalibrator fit(const std::vector<double>& p, const std::vector<std::uint8_t>& y);

  double apply(double p) const;
  std::vector<double> apply(const std::vector<double>& p) const;

  double slope() const { return a_; }
  double intercept() const { return b_; }
  bool is_identity() const { return a_ == 1.0 && b_ == 0.0; }

  nlohmann::json to_json() const;  // {"method":"platt","slope":a,"intercept":b}
  // Null or absent -> identity (models saved before calibration existed); bad values throw
  // std::invalid_argument.
  static PlattCalibrator from_json(const nlohmann::json& j);

 private:
  double a_ = 1.0;
  double b_ = 0.0;
};

// Platt scaling only where it earns its place. Validation predictions (chronological) are split in two:
// a calibrator fitted on the earlier half must lower the Brier score of the later half; only then is one
// fitted on all of them and used, otherwise the network's own probabilities are served. A validation
// slice whose base rate differs from what follows (a trend ending) otherwise teaches the calibrator a
// shift that makes the test part worse, which both the demo and the walk-forward evaluation showed.
struct CalibrationChoice {
  PlattCalibrator calibrator;      // identity when not applied
  bool applied = false;
  std::size_t held_out = 0;        // samples in the later half (0: too few to check, not applied)
  double held_out_brier_raw = 0.0;
  double held_out_brier_platt = 0.0;
  nlohmann::json to_json() const;  // {"method","applied","heldOut","heldOutBrierRaw","heldOutBrierPlatt"}
};
CalibrationChoice choose_calibrator(const std::vector<double>& p, const std::vector<std::uint8_t>& y);

// The calibrator stored with a model of the training library (identity for any other Model).
PlattCalibrator calibrator_of(const Model& model);

// The network's probabilities before calibration. Throws std::invalid_argument when `model` was not
// produced by the training library.
std::vector<double> predict_uncalibrated(const Model& model, const float* windows, std::size_t batch);

}  // namespace tbml
