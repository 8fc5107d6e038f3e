#pragma once
// Per-feature z-score fitted on training rows only, clipped to +-clip so one extreme candle cannot
// dominate a batch. Stored with the model so serving applies exactly the training transform.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml {

class Normaliser {
 public:
  Normaliser() = default;
  Normaliser(std::vector<double> mean, std::vector<double> stddev, double clip);

  // Fits on the rows whose `use_row` flag is set (rows: row-major, use_row.size() rows of `width`).
  // Non-finite values are skipped; a constant (or absent) feature gets std 1.
  static Normaliser fit(const float* rows, std::size_t width, const std::vector<std::uint8_t>& use_row,
                        double clip = 5.0);

  // In place over `n_rows` rows of width(); non-finite inputs become 0 (the training mean).
  void apply(float* rows, std::size_t n_rows) const;

  std::size_t width() const { return mean_.size(); }
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& stddev() const { return std_; }
  double clip() const { return clip_; }

  nlohmann::json to_json() const;
  static Normaliser from_json(const nlohmann::json& j);  // throws std::invalid_argument

 private:
  std::vector<double> mean_;
  std::vector<double> std_;
  double clip_ = 5.0;
};

}  // namespace tbml
