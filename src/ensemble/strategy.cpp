#include "tbml/ensemble/strategy.h"

#include <cmath>
#include <stdexcept>

namespace tbml {

const std::vector<Strategy>& all_strategies() {
  static const std::vector<Strategy> kAll = {Strategy::kWeighted, Strategy::kMajority,
                                             Strategy::kAverage, Strategy::kConfidenceWeighted};
  return kAll;
}

const std::vector<Strategy>& servable_strategies() {
  static const std::vector<Strategy> kServable = [] {
    std::vector<Strategy> all = all_strategies();
    all.push_back(Strategy::kStacked);
    return all;
  }();
  return kServable;
}

std::string to_string(Strategy strategy) {
  switch (strategy) {
    case Strategy::kWeighted: return "weighted";
    case Strategy::kMajority: return "majority";
    case Strategy::kAverage: return "average";
    case Strategy::kConfidenceWeighted: return "confidence_weighted";
    case Strategy::kStacked: return "stacked";
  }
  return "weighted";  // unreachable: every enumerator is handled above
}

const std::vector<std::string>& valid_strategy_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (Strategy s : servable_strategies()) names.push_back(to_string(s));
    return names;
  }();
  return kNames;
}

std::string valid_strategy_list() {
  std::string out;
  for (const auto& name : valid_strategy_names()) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::optional<Strategy> try_parse_strategy(std::string_view name) {
  for (Strategy s : servable_strategies()) {
    if (name == to_string(s)) return s;
  }
  return std::nullopt;
}

Strategy parse_strategy(std::string_view name) {
  if (auto s = try_parse_strategy(name)) return *s;
  throw std::invalid_argument("invalid strategy '" + std::string(name) +
                              "'; valid strategies: " + valid_strategy_list());
}

double confidence_of(double probability) { return std::fabs(probability - 0.5) * 2.0; }

std::string direction_of(double probability) {
  if (probability > 0.5) return "up";
  if (probability < 0.5) return "down";
  return "neutral";
}

std::string signal_of(double probability, double confidence, double signal_threshold) {
  // A tolerance so that p = 0.6 (confidence 0.19999999999999996 in binary) meets a 0.2 threshold.
  const bool strong = confidence >= signal_threshold - 1e-9;
  if (probability > 0.5 && strong) return "BUY";
  if (probability < 0.5 && strong) return "SELL";
  return "HOLD";
}

namespace {

void check_votes(const std::vector<ModelVote>& votes) {
  if (votes.empty()) throw std::invalid_argument("cannot combine zero model predictions");
  for (const auto& v : votes) {
    if (!std::isfinite(v.probability) || v.probability < 0.0 || v.probability > 1.0) {
      throw std::invalid_argument("model '" + v.name + "' probability must be a finite number in [0, 1]");
    }
    if (!std::isfinite(v.weight) || v.weight < 0.0) {
      throw std::invalid_argument("model '" + v.name + "' weight must be a finite number >= 0");
    }
  }
}

double mean_probability(const std::vector<ModelVote>& votes) {
  double sum = 0.0;
  for (const auto& v : votes) sum += v.probability;
  return sum / static_cast<double>(votes.size());
}

// The votes as used, counted by side; the probability is still to be decided.
Combined tally(const std::vector<ModelVote>& votes, Strategy strategy) {
  check_votes(votes);
  Combined out;
  out.strategy = strategy;
  for (const auto& v : votes) {
    out.votes.push_back(UsedVote{v.name, v.probability, confidence_of(v.probability), v.weight});
    if (v.probability > 0.5) {
      ++out.up_votes;
    } else if (v.probability < 0.5) {
      ++out.down_votes;
    } else {
      ++out.neutral_votes;
    }
  }
  return out;
}

// Everything that follows from the probability: confidence, direction, signal, agreement.
void finish(Combined& out, const CombineOptions& options) {
  // Guard against rounding drift outside [0, 1] (e.g. Σp·w/Σw with tiny weights).
  if (out.probability < 0.0) out.probability = 0.0;
  if (out.probability > 1.0) out.probability = 1.0;

  out.confidence = confidence_of(out.probability);
  out.direction = direction_of(out.probability);
  out.signal = signal_of(out.probability, out.confidence, options.signal_threshold);
  std::size_t agreeing = 0;
  for (const auto& u : out.votes) {
    if (direction_of(u.probability) == out.direction) ++agreeing;
  }
  out.agreement = static_cast<double>(agreeing) / static_cast<double>(out.votes.size());
}

}  // namespace

Combined combine_at(const std::vector<ModelVote>& votes, double probability, Strategy strategy,
                    const CombineOptions& options) {
  if (!std::isfinite(probability) || probability < 0.0 || probability > 1.0)
    throw std::invalid_argument("combined probability must be a finite number in [0, 1]");
  Combined out = tally(votes, strategy);
  out.probability = probability;
  finish(out, options);
  return out;
}

Combined combine(const std::vector<ModelVote>& votes, Strategy strategy, const CombineOptions& options) {
  Combined out = tally(votes, strategy);
  double up_sum = 0.0, down_sum = 0.0;
  for (const auto& v : votes) {
    if (v.probability > 0.5) up_sum += v.probability;
    else if (v.probability < 0.5) down_sum += v.probability;
  }

  switch (strategy) {
    case Strategy::kStacked:
      throw std::invalid_argument("combine: 'stacked' needs its fitted meta-learner (see decide())");
    case Strategy::kAverage:
      out.probability = mean_probability(votes);
      break;
    case Strategy::kWeighted: {
      double num = 0.0, den = 0.0;
      for (const auto& v : votes) {
        num += v.probability * v.weight;
        den += v.weight;
      }
      if (den > 0.0) {
        out.probability = num / den;
      } else {
        out.probability = mean_probability(votes);
        out.note = "all weights are zero; used the plain average";
      }
      break;
    }
    case Strategy::kMajority:
      if (out.up_votes > out.down_votes) {
        out.probability = up_sum / static_cast<double>(out.up_votes);
      } else if (out.down_votes > out.up_votes) {
        out.probability = down_sum / static_cast<double>(out.down_votes);
      } else {
        out.probability = 0.5;
        out.tie = true;
        out.note = "tie: " + std::to_string(out.up_votes) + " up vs " + std::to_string(out.down_votes) +
                   " down votes; neutral";
      }
      break;
    case Strategy::kConfidenceWeighted: {
      double num = 0.0, den = 0.0;
      for (const auto& u : out.votes) {
        num += u.probability * u.confidence;
        den += u.confidence;
      }
      if (den > 0.0) {
        out.probability = num / den;
      } else {
        out.probability = 0.5;
        out.note = "every model is at exactly 0.5 (zero confidence); neutral";
      }
      break;
    }
  }
  finish(out, options);
  return out;
}

}  // namespace tbml
