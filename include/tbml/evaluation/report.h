#pragma once
// Scores every method of every evaluated pair, pools the pairs, and renders the result as Markdown
// tables (with a plain verdict against the baselines) and as JSON holding every number.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/evaluation/evaluator.h"
#include "tbml/evaluation/scores.h"

namespace tbml::evaluation {

struct MethodScore {
  std::string name, group;
  ScoreCard card;
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
