#pragma once
// How several models' probabilities become one ensemble prediction. Pure functions over plain values:
// the same code serves live predictions, the outcome tracker (which scores every strategy) and tests.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tbml {

// kStacked is a fitted logistic meta-learner over the members (ensemble/stacked.h), not a pure rule
// over one candle's votes: combine() refuses it and decide() applies it.
enum class Strategy { kWeighted, kMajority, kAverage, kConfidenceWeighted, kStacked };

// The four rules combine() computes from votes alone (what the outcome tracker scores per candle).
const std::vector<Strategy>& all_strategies();
// Every strategy a request can name: the four and kStacked (what a snapshot is combined for).
const std::vector<Strategy>& servable_strategies();
std::string to_string(Strategy strategy);  // "weighted", "majority", "average", "confidence_weighted"
const std::vector<std::string>& valid_strategy_names();  // the four and "stacked"
std::string valid_strategy_list();  // "weighted, majority, average, confidence_weighted, stacked"
std::optional<Strategy> try_parse_strategy(std::string_view name);  // exact lower-case names only
// Throws std::invalid_argument naming the bad value and listing the valid ones.
Strategy parse_strategy(std::string_view name);

// Contract helpers: confidence = |p - 0.5| * 2; direction "up" (p > 0.5), "down" (p < 0.5), "neutral".
double confidence_of(double probability);
std::string direction_of(double probability);
// "BUY" when p > 0.5 and confidence >= threshold, "SELL" when p < 0.5 and confidence >= threshold, else
// "HOLD". The comparison allows 1e-9 of rounding, so p = 0.6 meets a 0.2 threshold.
std::string signal_of(double probability, double confidence, double signal_threshold);

struct ModelVote {
  std::string name;
  double probability = 0.5;  // P(close rises over the horizon), must be finite and in [0, 1]
  double weight = 1.0;       // used by kWeighted only; must be finite and >= 0
};

struct CombineOptions {
  double signal_threshold = 0.2;  // minimum confidence for BUY/SELL
};

struct UsedVote {
  std::string name;
  double probability = 0.5;
  double confidence = 0.0;
  double weight = 0.0;  // the weight supplied with the vote (reported whatever the strategy)
};

struct Combined {
  Strategy strategy = Strategy::kWeighted;
  double probability = 0.5;
  double confidence = 0.0;
  std::string direction = "neutral";
  std::string signal = "HOLD";
  // Share of models whose own direction equals the ensemble direction (a neutral ensemble counts
  // models sitting exactly at 0.5).
  double agreement = 0.0;
  std::size_t up_votes = 0, down_votes = 0, neutral_votes = 0;
  bool tie = false;   // majority only: as many up as down votes; probability is exactly 0.5
  std::string note;   // set when a fallback rule decided the value (tie, all-zero weights/confidence)
  std::vector<UsedVote> votes;
};

// Rules (each one tested):
//  weighted            Σ p·w / Σ w. All weights zero -> the plain average, with `note` saying so.
//  average             mean p.
//  majority            models with p > 0.5 vote up, p < 0.5 down, p == 0.5 abstain. The larger side
//                      decides the direction and the probability is the mean p of that side (so it stays
//                      on the probability scale of the models). Equal sides (including all abstaining)
//                      -> tie: probability exactly 0.5, direction neutral, tie = true, `note` says so.
//  confidence_weighted Σ p·c / Σ c with c = |p - 0.5|·2. All c zero (every model at 0.5) -> 0.5, noted.
// A single model yields its own probability under every strategy.
// Throws std::invalid_argument on no votes, a non-finite or out-of-range probability, or a negative or
// non-finite weight: the caller must never turn "no model" into a number.
Combined combine(const std::vector<ModelVote>& votes, Strategy strategy,
                 const CombineOptions& options = {});

// The votes summarised around a probability decided elsewhere (the stacked meta-learner): the same
// counts, confidence, direction, signal and agreement as combine() derives from its own probability.
// Throws std::invalid_argument on bad votes or a probability outside [0, 1].
Combined combine_at(const std::vector<ModelVote>& votes, double probability, Strategy strategy,
                    const CombineOptions& options = {});

}  // namespace tbml
