#pragma once
// Chronological train / validation / test split of the forecast times ("now" rows t), with an embargo:
// a part starts only at t >= (last t of the part before) + h, so the target of the previous part's last
// sample, r_{t+1..t+h}, never overlaps a target of the next part. Training-side parameters (GARCH, EWMA
// seed, trees) are fitted on the training part; validation serves early stopping, the quantile
// calibration and the trees-vs-HAR choice; test is only scored.
#include <cstddef>
#include <vector>

namespace tbml::volatility {

struct SplitOptions {
  double train_fraction = 0.60;
  double validation_fraction = 0.20;  // the test part gets the rest; validation carries three jobs, so 20 %
  std::size_t min_part = 30;          // fewest samples per part

  void validate() const;  // throws std::invalid_argument naming the bad field
};

struct SampleSplit {
  std::vector<std::size_t> train, validation, test;  // forecast times, ascending
  std::size_t embargoed = 0;                         // samples dropped at the two boundaries
};

// `times` ascending. Throws std::invalid_argument when a part would have fewer than min_part samples.
SampleSplit split_samples(const std::vector<std::size_t>& times, std::size_t horizon, const SplitOptions& options);

}  // namespace tbml::volatility
