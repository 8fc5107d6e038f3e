#include "tbml/training/normaliser.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tbml {

namespace {
constexpr double kMinStd = 1e-12;
}

Normaliser::Normaliser(std::vector<double> mean, std::vector<double> stddev, double clip)
    : mean_(std::move(mean)), std_(std::move(stddev)), clip_(clip) {
  if (mean_.size() != std_.size())
    throw std::invalid_argument("normaliser mean and std have different lengths");
  if (!(clip_ > 0.0) || !std::isfinite(clip_)) throw std::invalid_argument("normaliser clip must be positive");
  for (std::size_t i = 0; i < mean_.size(); ++i) {
    if (!std::isfinite(mean_[i]) || !std::isfinite(std_[i]) || std_[i] <= 0.0)
      throw std::invalid_argument("normaliser feature " + std::to_string(i) + " has a non-finite mean or " +
                                  "a non-positive std");
  }
}

Normaliser Normaliser::fit(const float* rows, std::size_t width, const std::vector<std::uint8_t>& use_row,
                           double clip) {
  // Welford per feature: stable for prices and volumes of very different magnitudes.
  std::vector<double> mean(width, 0.0), m2(width, 0.0);
  std::vector<std::size_t> count(width, 0);
  for (std::size_t r = 0; r < use_row.size(); ++r) {
    if (!use_row[r]) continue;
    const float* row = rows + r * width;
    for (std::size_t f = 0; f < width; ++f) {
      const double x = row[f];
      if (!std::isfinite(x)) continue;
      const double delta = x - mean[f];
      mean[f] += delta / static_cast<double>(++count[f]);
      m2[f] += delta * (x - mean[f]);
    }
  }
  std::vector<double> stddev(width, 1.0);
  for (std::size_t f = 0; f < width; ++f) {
    const double sd = count[f] > 1 ? std::sqrt(m2[f] / static_cast<double>(count[f])) : 0.0;
    stddev[f] = sd > kMinStd ? sd : 1.0;
  }
  return Normaliser(std::move(mean), std::move(stddev), clip);
}

void Normaliser::apply(float* rows, std::size_t n_rows) const {
  const std::size_t width = mean_.size();
  for (std::size_t r = 0; r < n_rows; ++r) {
    float* row = rows + r * width;
    for (std::size_t f = 0; f < width; ++f) {
      const double x = row[f];
      const double z = std::isfinite(x) ? (x - mean_[f]) / std_[f] : 0.0;
      row[f] = static_cast<float>(std::clamp(z, -clip_, clip_));
    }
  }
}

nlohmann::json Normaliser::to_json() const {
  return nlohmann::json{{"mean", mean_}, {"std", std_}, {"clip", clip_}};
}

Normaliser Normaliser::from_json(const nlohmann::json& j) {
  try {
    return Normaliser(j.at("mean").get<std::vector<double>>(), j.at("std").get<std::vector<double>>(),
                      j.at("clip").get<double>());
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("bad normaliser JSON: ") + e.what());
  }
}

}  // namespace tbml
