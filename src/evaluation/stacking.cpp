#include "tbml/evaluation/stacking.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "tbml/evaluation/baselines.h"

namespace tbml::evaluation {

void StackingOptions::validate() const {
  if (!(l2_per_row >= 0.0)) throw std::invalid_argument("stacking: l2_per_row must be >= 0");
  if (min_rows < 10) throw std::invalid_argument("stacking: min_rows must be at least 10");
}

double logit(double p) {
  const double q = std::clamp(p, 1e-6, 1.0 - 1e-6);
  return std::log(q / (1.0 - q));
}

StackingResult stack_out_of_fold(const StackingInput& in, const StackingOptions& options) {
  options.validate();
  const std::size_t n = in.label.size();
  const std::size_t width = in.members.size();
  if (width == 0) throw std::invalid_argument("stacking: no member");
  if (in.last.size() != n || in.fold.size() != n || in.fallback.size() != n)
    throw std::invalid_argument("stacking: rows of different lengths");
  for (const auto& m : in.members)
    if (m.size() != n) throw std::invalid_argument("stacking: a member has " + std::to_string(m.size()) +
                                                   " predictions for " + std::to_string(n) + " rows");
  StackingResult out;
  out.p.assign(n, 0.5);
  out.folds = nlohmann::json::array();
  std::size_t begin = 0;
  while (begin < n) {
    std::size_t end = begin;
    while (end < n && in.fold[end] == in.fold[begin]) ++end;
    if (begin > 0 && in.fold[begin] < in.fold[begin - 1]) throw std::invalid_argument("stacking: folds not ordered");
    const std::size_t first_now = in.last[begin];
    // Meta-training rows: earlier folds only, labels resolved by this fold's first prediction.
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < begin; ++i)
      if (in.last[i] + in.horizon <= first_now) rows.push_back(i);
    nlohmann::json record{{"fold", in.fold[begin]}, {"rows", rows.size()}};
    if (rows.size() < options.min_rows) {
      for (std::size_t i = begin; i < end; ++i) out.p[i] = in.fallback[i];
      record["fallback"] = "fewer than " + std::to_string(options.min_rows) +
                           " resolved out-of-fold rows: the weighted ensemble is used";
    } else {
      std::vector<double> mean(width, 0.0), sd(width, 0.0);
      for (std::size_t m = 0; m < width; ++m) {
        for (std::size_t i : rows) mean[m] += logit(in.members[m][i]);
        mean[m] /= static_cast<double>(rows.size());
        for (std::size_t i : rows) sd[m] += std::pow(logit(in.members[m][i]) - mean[m], 2);
        sd[m] = std::sqrt(sd[m] / static_cast<double>(rows.size()));
        if (!(sd[m] > 1e-12)) sd[m] = 1.0;  // a constant member: centred, not scaled
      }
      std::vector<double> x;
      std::vector<std::uint8_t> y;
      x.reserve(rows.size() * width);
      for (std::size_t i : rows) {
        for (std::size_t m = 0; m < width; ++m) x.push_back((logit(in.members[m][i]) - mean[m]) / sd[m]);
        y.push_back(in.label[i]);
      }
      const double l2 = options.l2_per_row * static_cast<double>(rows.size());
      const LogisticRegression meta = LogisticRegression::fit(x, y, width, l2);
      std::vector<double> row(width);
      for (std::size_t i = begin; i < end; ++i) {
        for (std::size_t m = 0; m < width; ++m) row[m] = (logit(in.members[m][i]) - mean[m]) / sd[m];
        out.p[i] = meta.predict(row.data());
      }
      record["l2"] = l2;
      record["weights"] = meta.weights();
      record["intercept"] = meta.intercept();
      record["logitMean"] = mean;
      record["logitSd"] = sd;
    }
    out.folds.push_back(std::move(record));
    begin = end;
  }
  return out;
}

}  // namespace tbml::evaluation
