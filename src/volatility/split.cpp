#include "tbml/volatility/split.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace tbml::volatility {

void SplitOptions::validate() const {
  if (!(train_fraction > 0.0 && train_fraction < 1.0))
    throw std::invalid_argument("SplitOptions.train_fraction must be in (0, 1)");
  if (!(validation_fraction > 0.0 && train_fraction + validation_fraction < 1.0))
    throw std::invalid_argument("SplitOptions.validation_fraction must be > 0 and leave a test part");
  if (min_part < 1) throw std::invalid_argument("SplitOptions.min_part must be at least 1");
}

SampleSplit split_samples(const std::vector<std::size_t>& times, std::size_t horizon, const SplitOptions& options) {
  options.validate();
  const std::size_t n = times.size();
  const auto cut1 = static_cast<std::size_t>(std::floor(options.train_fraction * static_cast<double>(n)));
  const auto cut2 = static_cast<std::size_t>(
      std::floor((options.train_fraction + options.validation_fraction) * static_cast<double>(n)));
  SampleSplit s;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t t = times[i];
    if (i < cut1) {
      s.train.push_back(t);
    } else if (i < cut2) {
      if (!s.train.empty() && t < s.train.back() + horizon) ++s.embargoed;
      else s.validation.push_back(t);
    } else {
      if (!s.validation.empty() && t < s.validation.back() + horizon) ++s.embargoed;
      else s.test.push_back(t);
    }
  }
  if (s.train.size() < options.min_part || s.validation.size() < options.min_part ||
      s.test.size() < options.min_part)
    throw std::invalid_argument("split_samples: " + std::to_string(n) + " samples give parts of " +
                                std::to_string(s.train.size()) + " / " + std::to_string(s.validation.size()) + " / " +
                                std::to_string(s.test.size()) + ", need at least " +
                                std::to_string(options.min_part) + " each");
  return s;
}

}  // namespace tbml::volatility
