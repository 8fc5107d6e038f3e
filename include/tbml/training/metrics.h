#pragma once
// Scores of probabilistic binary predictions, torch-free so evaluation and the ensemble can reuse them.
// `p` are predicted probabilities of label 1, `y` the 0/1 outcomes; both the same length (checked).
#include <cstdint>
#include <vector>

#include "tbml/models/model.h"

namespace tbml {

double accuracy(const std::vector<double>& p, const std::vector<std::uint8_t>& y, double threshold = 0.5);
double brier_score(const std::vector<double>& p, const std::vector<std::uint8_t>& y);
// Area under the ROC curve from ranks (Mann-Whitney U), ties get their average rank; 0.5 when only one
// class is present.
double auc(const std::vector<double>& p, const std::vector<std::uint8_t>& y);
// Binary cross-entropy with p clipped to [eps, 1 - eps] so a confident miss costs a finite amount.
double log_loss(const std::vector<double>& p, const std::vector<std::uint8_t>& y, double eps = 1e-7);
double base_rate(const std::vector<std::uint8_t>& y);
// Brier score of always predicting the base rate: base_rate * (1 - base_rate).
double base_rate_brier(const std::vector<std::uint8_t>& y);

SplitMetrics split_metrics(const std::vector<double>& p, const std::vector<std::uint8_t>& y);

}  // namespace tbml
