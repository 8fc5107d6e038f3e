#pragma once
// The `stacked` strategy: an L2-regularised logistic meta-learner over the voting members' logits,
// fitted on the pair's resolved live predictions. Those were made before their outcomes were known, by
// the member versions serving then, so the meta-learner never learns from predictions of data a member
// had trained on (out of fold by construction). The penalty follows a rule fixed in advance,
// l2 = l2_per_row × rows, as in the walk-forward evaluation's stacked ensemble.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/ensemble/outcome_tracker.h"

namespace tbml {

struct StackedOptions {
  double l2_per_row = 0.01;
  std::size_t min_rows = 100;  // resolved outcomes every member predicted, before it is fitted
};

struct StackedModel {
  std::vector<std::string> members;  // sorted
  std::vector<double> mean, sd;      // standardisation of each member's logit on the fitting rows
  std::vector<double> w;
  double b = 0.0;
  double l2 = 0.0;
  std::size_t rows = 0;
  // P(up) from the members' probabilities; throws std::invalid_argument when one is missing.
  double predict(const std::map<std::string, double>& p) const;
  nlohmann::json to_json() const;
};

struct StackedFit {
  std::optional<StackedModel> model;
  std::string reason;  // what it was fitted on, or why it was not
};

StackedFit fit_stacked(const std::vector<ResolvedPrediction>& window, std::vector<std::string> members,
                       const StackedOptions& options = {});

double clamped_logit(double p);  // log(p / (1 − p)), p clamped to [1e-6, 1 − 1e-6]

}  // namespace tbml
