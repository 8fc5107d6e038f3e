#pragma once
// Scores every method of every evaluated pair, pools the pairs, and renders the result as Markdown
// tables (with a plain verdict against the baselines) and as JSON holding every number.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/evaluation/evaluator.h"
#include "tbml/evaluation/scores.h"

namespace tbml::evaluation {

// Brier improvement over the running base rate, per window (base − method, positive = the method is
// better), with the circular block-bootstrap interval of its mean (models/edge.h: block_bootstrap_mean,
// blocks of 2 × horizon windows, 1,000 resamples, seed 42). Pooled: the pairs' series one after another.
struct EdgeScore {
  double improvement = 0.0, low = 0.0, high = 0.0;
  std::size_t block = 0;
  std::string verdict = "none";  // "real" (interval above 0), "worse" (below 0) or "none"
  nlohmann::json to_json() const;
};

// A metric computed fold by fold (pooled: fold k of every pair together), with the mean over folds and its
// Student-t 95 % interval (mean ± t · sd / √folds); the folds are successive, non-overlapping blocks.
struct FoldSpread {
  std::size_t folds = 0;
  double mean = 0.0, low = 0.0, high = 0.0;
  nlohmann::json to_json() const;
};
FoldSpread fold_spread(const std::vector<double>& per_fold);

struct MethodScore {
  std::string name, group;
  ScoreCard card;
  EdgeScore edge;                            // vs "running base rate" (absent: zero improvement)
  FoldSpread brier_folds, auc_folds, brier_gain_folds;  // gain = base-rate Brier − method Brier
};

struct PairScores {
  std::string pair;  // "pooled" for all pairs together
  std::vector<MethodScore> methods;
  const MethodScore* find(const std::string& name) const;
};

struct EvaluationReport {
  std::vector<PairScores> pairs;
  PairScores pooled;
  nlohmann::json settings;  // the options used, for the record
  std::string command;      // the command line that produced it
  double seconds = 0.0;
};

// Pooled scores use every pair's windows together; the pooled long/flat and buy-and-hold returns are the
// mean of the pairs' returns (an equal-weight portfolio rebalanced never), not one chained series.
EvaluationReport build_report(const std::vector<PairEvaluation>& pairs, const EvaluationOptions& options);

// One sentence per pair (and pooled) saying whether any model or ensemble beats the best baseline on
// accuracy (outside the baseline's 95 % interval), Brier score and long/flat return.
std::vector<std::string> verdicts(const EvaluationReport& report);

std::string to_markdown(const EvaluationReport& report, const std::vector<PairEvaluation>& pairs);
nlohmann::json to_json(const EvaluationReport& report, const std::vector<PairEvaluation>& pairs);

}  // namespace tbml::evaluation
