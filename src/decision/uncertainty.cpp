#include "tbml/decision/uncertainty.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tbml::decision {
namespace {

void check_probabilities(const std::vector<double>& p, const char* what) {
  if (p.empty()) throw std::invalid_argument(std::string(what) + ": no probabilities");
  for (double v : p)
    if (!(v >= 0.0 && v <= 1.0)) throw std::invalid_argument(std::string(what) + ": probability outside [0, 1]");
}

// Mean and population standard deviation.
std::pair<double, double> moments(const std::vector<double>& v) {
  double mean = 0.0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double ss = 0.0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return {mean, std::sqrt(ss / static_cast<double>(v.size()))};
}

}  // namespace

nlohmann::json MemberSpread::to_json() const {
  return {{"members", members}, {"mean", mean}, {"std", std}, {"min", min}, {"max", max}};
}

MemberSpread member_spread(const std::vector<double>& p) {
  check_probabilities(p, "member_spread");
  MemberSpread s;
  s.members = p.size();
  std::tie(s.mean, s.std) = moments(p);
  const auto [lo, hi] = std::minmax_element(p.begin(), p.end());
  s.min = *lo;
  s.max = *hi;
  return s;
}

double quantile(std::vector<double> samples, double q) {
  if (samples.empty()) throw std::invalid_argument("quantile: no samples");
  if (!(q >= 0.0 && q <= 1.0)) throw std::invalid_argument("quantile: q must be in [0, 1]");
  std::sort(samples.begin(), samples.end());
  const double h = q * static_cast<double>(samples.size() - 1);
  const auto i = static_cast<std::size_t>(std::floor(h));
  if (i + 1 >= samples.size()) return samples.back();
  return samples[i] + (h - static_cast<double>(i)) * (samples[i + 1] - samples[i]);
}

nlohmann::json SampleInterval::to_json() const {
  return {{"passes", passes}, {"level", level}, {"mean", mean}, {"std", std}, {"lower", lower}, {"upper", upper}};
}

SampleInterval sample_interval(const std::vector<double>& samples, double level) {
  check_probabilities(samples, "sample_interval");
  if (!(level > 0.0 && level < 1.0)) throw std::invalid_argument("sample_interval: level must be in (0, 1)");
  SampleInterval s;
  s.passes = samples.size();
  s.level = level;
  std::tie(s.mean, s.std) = moments(samples);
  s.lower = quantile(samples, (1.0 - level) / 2.0);
  s.upper = quantile(samples, (1.0 + level) / 2.0);
  return s;
}

}  // namespace tbml::decision
