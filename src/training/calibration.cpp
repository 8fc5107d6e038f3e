#include "tbml/training/calibration.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "tbml/training/metrics.h"
#include "torch_model.h"
#include "tree_model.h"

namespace tbml {
namespace {

constexpr double kEps = 1e-7;  // probabilities are clipped before the logit
constexpr int kMaxIterations = 100;

double logit(double p) {
  const double q = std::clamp(p, kEps, 1.0 - kEps);
  return std::log(q / (1.0 - q));
}

double sigmoid(double z) { return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z)); }

// Negative log-likelihood of targets t under sigmoid(a x + b).
double nll(const std::vector<double>& x, const std::vector<double>& t, double a, double b) {
  double sum = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double q = std::clamp(sigmoid(a * x[i] + b), 1e-15, 1.0 - 1e-15);
    sum -= t[i] * std::log(q) + (1.0 - t[i]) * std::log(1.0 - q);
  }
  return sum;
}

// Best intercept for a fixed slope of 0: the logit of the mean target.
double constant_fit(const std::vector<double>& t) {
  double mean = 0.0;
  for (double v : t) mean += v;
  return logit(mean / static_cast<double>(t.size()));
}

}  // namespace

PlattCalibrator::PlattCalibrator(double slope, double intercept) : a_(slope), b_(intercept) {
  if (!std::isfinite(a_) || !std::isfinite(b_))
    throw std::invalid_argument("calibrator slope and intercept must be finite");
  if (a_ < 0.0) throw std::invalid_argument("calibrator slope must not be negative");
}

PlattCalibrator PlattCalibrator::fit(const std::vector<double>& p, const std::vector<std::uint8_t>& y) {
  if (p.size() != y.size())
    throw std::invalid_argument("calibration: " + std::to_string(p.size()) + " predictions for " +
                                std::to_string(y.size()) + " labels");
  std::size_t positives = 0;
  for (auto v : y) positives += v ? 1 : 0;
  const std::size_t negatives = y.size() - positives;
  if (y.size() < 2 || positives == 0 || negatives == 0) return PlattCalibrator();

  // Platt (1999): targets (N+ + 1)/(N+ + 2) and 1/(N- + 2) instead of 1 and 0.
  const double hi = (static_cast<double>(positives) + 1.0) / (static_cast<double>(positives) + 2.0);
  const double lo = 1.0 / (static_cast<double>(negatives) + 2.0);
  std::vector<double> x(p.size()), t(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (!std::isfinite(p[i])) throw std::invalid_argument("calibration: non-finite prediction");
    x[i] = logit(p[i]);
    t[i] = y[i] ? hi : lo;
  }

  double a = 1.0, b = 0.0;
  double current = nll(x, t, a, b);
  for (int it = 0; it < kMaxIterations; ++it) {
    double g_a = 0.0, g_b = 0.0, h_aa = 1e-12, h_ab = 0.0, h_bb = 1e-12;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double q = sigmoid(a * x[i] + b);
      const double d = q - t[i];
      const double w = q * (1.0 - q);
      g_a += d * x[i];
      g_b += d;
      h_aa += w * x[i] * x[i];
      h_ab += w * x[i];
      h_bb += w;
    }
    const double det = h_aa * h_bb - h_ab * h_ab;
    if (!(std::abs(det) > 1e-300)) break;
    const double step_a = (h_bb * g_a - h_ab * g_b) / det;
    const double step_b = (h_aa * g_b - h_ab * g_a) / det;
    // Backtracking keeps every step a descent step (Newton can overshoot on flat, narrow inputs).
    double scale = 1.0;
    double next = current;
    double na = a, nb = b;
    for (int k = 0; k < 30; ++k) {
      na = a - scale * step_a;
      nb = b - scale * step_b;
      next = nll(x, t, na, nb);
      if (next <= current) break;
      scale *= 0.5;
    }
    if (!(next <= current)) break;
    const double change = current - next;
    a = na;
    b = nb;
    current = next;
    if (change < 1e-12 * (1.0 + current)) break;
  }
  if (!(a > 0.0) || !std::isfinite(a) || !std::isfinite(b)) return PlattCalibrator(0.0, constant_fit(t));
  return PlattCalibrator(a, b);
}

double PlattCalibrator::apply(double p) const {
  if (is_identity()) return p;
  return sigmoid(a_ * logit(p) + b_);
}

std::vector<double> PlattCalibrator::apply(const std::vector<double>& p) const {
  std::vector<double> out(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) out[i] = apply(p[i]);
  return out;
}

nlohmann::json PlattCalibrator::to_json() const {
  return nlohmann::json{{"method", "platt"}, {"slope", a_}, {"intercept", b_}};
}

PlattCalibrator PlattCalibrator::from_json(const nlohmann::json& j) {
  if (j.is_null()) return PlattCalibrator();
  try {
    if (!j.is_object()) throw std::invalid_argument("calibration must be a JSON object");
    const std::string method = j.value("method", std::string("platt"));
    if (method != "platt") throw std::invalid_argument("unknown calibration method '" + method + "'");
    return PlattCalibrator(j.at("slope").get<double>(), j.at("intercept").get<double>());
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("bad calibration JSON: ") + e.what());
  }
}

CalibrationChoice choose_calibrator(const std::vector<double>& p, const std::vector<std::uint8_t>& y) {
  if (p.size() != y.size()) throw std::invalid_argument("calibration needs one label per probability");
  CalibrationChoice c;
  constexpr std::size_t kMinHalf = 20;  // fewer and the check is noise: serve the raw probabilities
  const std::size_t half = p.size() / 2;
  if (half < kMinHalf) return c;
  const std::vector<double> p_fit(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(half));
  const std::vector<std::uint8_t> y_fit(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(half));
  const std::vector<double> p_check(p.begin() + static_cast<std::ptrdiff_t>(half), p.end());
  const std::vector<std::uint8_t> y_check(y.begin() + static_cast<std::ptrdiff_t>(half), y.end());
  const PlattCalibrator probe = PlattCalibrator::fit(p_fit, y_fit);
  c.held_out = p_check.size();
  c.held_out_brier_raw = brier_score(p_check, y_check);
  c.held_out_brier_platt = brier_score(probe.apply(p_check), y_check);
  if (c.held_out_brier_platt < c.held_out_brier_raw) {
    c.applied = true;
    c.calibrator = PlattCalibrator::fit(p, y);
  }
  return c;
}

nlohmann::json CalibrationChoice::to_json() const {
  return nlohmann::json{{"method", applied ? "platt" : "none"},
                        {"applied", applied},
                        {"heldOut", held_out},
                        {"heldOutBrierRaw", held_out_brier_raw},
                        {"heldOutBrierPlatt", held_out_brier_platt}};
}

PlattCalibrator calibrator_of(const Model& model) {
  if (const auto* torch_model = dynamic_cast<const training::TorchModel*>(&model)) return torch_model->calibrator();
  if (const auto* tree_model = dynamic_cast<const training::TreeModel*>(&model)) return tree_model->calibrator();
  return PlattCalibrator();
}

std::vector<double> predict_uncalibrated(const Model& model, const float* windows, std::size_t batch) {
  if (const auto* torch_model = dynamic_cast<const training::TorchModel*>(&model))
    return torch_model->predict_uncalibrated(windows, batch);
  if (const auto* tree_model = dynamic_cast<const training::TreeModel*>(&model))
    return tree_model->predict_uncalibrated(windows, batch);
  throw std::invalid_argument("predict_uncalibrated: not a model of the training library");
}

}  // namespace tbml
