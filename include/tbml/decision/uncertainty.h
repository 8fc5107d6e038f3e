#pragma once
// How sure the answer is, beyond one number: the spread of the members' probabilities (disagreement),
// and for a network an interval of P(up) from Monte-Carlo dropout samples (Model::predict_samples: the
// same window through the network several times with dropout active). Pure functions.
#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml::decision {

struct MemberSpread {
  std::size_t members = 0;
  double mean = 0.0, std = 0.0, min = 0.0, max = 0.0;  // std: population (the members are all there is)
  nlohmann::json to_json() const;
};
// Throws std::invalid_argument on an empty list or a probability outside [0, 1].
MemberSpread member_spread(const std::vector<double>& probabilities);

// Linear-interpolation quantile (the "type 7" definition of R and numpy's default) of unsorted samples.
// Throws std::invalid_argument on an empty sample or q outside [0, 1].
double quantile(std::vector<double> samples, double q);

struct SampleInterval {
  std::size_t passes = 0;
  double level = 0.8;
  double mean = 0.0, std = 0.0, lower = 0.0, upper = 0.0;  // lower/upper: the (1 ∓ level)/2 quantiles
  nlohmann::json to_json() const;
};
// Throws std::invalid_argument on no samples, a sample outside [0, 1] or level outside (0, 1).
SampleInterval sample_interval(const std::vector<double>& samples, double level = 0.8);

}  // namespace tbml::decision
