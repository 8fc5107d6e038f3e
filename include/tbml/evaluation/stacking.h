#pragma once
// The "stacked" ensemble of the walk-forward evaluation: an L2 logistic meta-learner on the members'
// out-of-fold logits. For fold k it is fitted only on rows of folds < k whose labels were resolved by fold
// k's first prediction (label candle last + horizon <= fold k's first "now"), i.e. on predictions that were
// out of sample for the members that made them and that a live system could have scored by then. Where
// too few such rows exist (the first fold) it copies the fallback (the weighted ensemble) and says so.
//
// The meta-learner's inputs are the members' logits standardised by the meta-training rows' mean and
// standard deviation; the penalty follows a rule fixed in advance, l2 = l2_per_row × rows (a prior worth
// about l2_per_row / 0.25 of the data per weight), never tuned on the folds being scored.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml::evaluation {

struct StackingOptions {
  double l2_per_row = 0.01;
  std::size_t min_rows = 100;  // fewer resolved rows than this: use the fallback for the fold
  void validate() const;       // throws std::invalid_argument
};

struct StackingInput {
  std::vector<std::vector<double>> members;  // members[m][i]: calibrated P(up) of member m on row i
  std::vector<std::uint8_t> label;           // row i's label
  std::vector<std::size_t> last;             // row i's "now" (ascending within the series)
  std::vector<std::size_t> fold;             // row i's fold index (non-decreasing)
  std::vector<double> fallback;              // used where the meta-learner cannot be fitted
  std::size_t horizon = 1;
};

struct StackingResult {
  std::vector<double> p;        // aligned with the rows
  nlohmann::json folds;         // per fold: rows used, l2, weights, intercept or the fallback reason
};

// Throws std::invalid_argument on mismatched sizes.
StackingResult stack_out_of_fold(const StackingInput& in, const StackingOptions& options = {});

// log(p / (1 − p)) with p clamped to [1e-6, 1 − 1e-6].
double logit(double p);

}  // namespace tbml::evaluation
