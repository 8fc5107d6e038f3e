#include "tbml/models/acceptance.h"

#include <cmath>

#include <fmt/format.h>

namespace tbml {
namespace {

AcceptanceDecision reject(std::string reason) { return {false, std::move(reason)}; }
AcceptanceDecision accept(std::string reason) { return {true, std::move(reason)}; }

bool finite_metrics(const SplitMetrics& m) {
  return std::isfinite(m.brier) && std::isfinite(m.loss) && std::isfinite(m.accuracy) &&
         std::isfinite(m.base_rate);
}

}  // namespace

double base_rate_brier(double base_rate) { return base_rate * (1.0 - base_rate); }

double constant_forecast_brier(double forecast, double outcome_rate) {
  return outcome_rate * (1.0 - forecast) * (1.0 - forecast) + (1.0 - outcome_rate) * forecast * forecast;
}

AcceptanceDecision decide_replacement(const TrainingReport& candidate,
                                      const std::optional<SplitMetrics>& incumbent_on_same_test,
                                      bool has_incumbent, const std::optional<DirectionEdge>& edge) {
  const SplitMetrics& test = candidate.test;
  if (candidate.cancelled) return reject("training was cancelled before it finished");
  if (test.samples == 0) return reject("candidate has an empty test set, so it cannot be judged");
  if (!finite_metrics(test)) {
    return reject(fmt::format("candidate test metrics are not finite (brier {}, loss {}, base rate {})",
                              test.brier, test.loss, test.base_rate));
  }
  if (test.base_rate < 0.0 || test.base_rate > 1.0 || test.brier < 0.0 || test.brier > 1.0) {
    return reject(fmt::format("candidate test metrics are out of range (brier {}, base rate {})",
                              test.brier, test.base_rate));
  }

  // The no-skill baseline is the forecast one could have made when training: always the training
  // part's base rate, scored on the test part. (The test part's own base rate would be hindsight.)
  const bool has_train_rate = candidate.train.samples > 0 && std::isfinite(candidate.train.base_rate) &&
                              candidate.train.base_rate >= 0.0 && candidate.train.base_rate <= 1.0;
  const double climatology = has_train_rate ? candidate.train.base_rate : test.base_rate;
  const double floor = constant_forecast_brier(climatology, test.base_rate);
  if (edge) {
    if (edge->verdict == EdgeVerdict::kWorse) return reject("candidate " + edge->reason);
  } else if (test.brier > floor + kBrierEpsilon) {
    return reject(fmt::format(
        "candidate test Brier {:.5f} is worse than the base-rate forecast (always {:.4f}, Brier "
        "{:.5f}; test base rate {:.4f}, {} test samples)",
        test.brier, climatology, floor, test.base_rate, test.samples));
  }

  if (!has_incumbent) {
    if (edge) return accept("no model is serving; candidate " + edge->reason);
    return accept(fmt::format(
        "no model is serving; candidate test Brier {:.5f} beats the base-rate forecast (always "
        "{:.4f}, Brier {:.5f}) on {} test samples",
        test.brier, climatology, floor, test.samples));
  }
  if (!incumbent_on_same_test) {
    return reject("the serving model was not evaluated on the candidate's test data, so the "
                  "candidate is not shown to be better; keeping the serving model");
  }

  const SplitMetrics& inc = *incumbent_on_same_test;
  if (inc.samples != test.samples) {
    return reject(fmt::format(
        "serving model was evaluated on {} samples but the candidate's test set has {}; not the same "
        "test data, keeping the serving model",
        inc.samples, test.samples));
  }
  if (!std::isfinite(inc.brier)) {
    return accept(fmt::format(
        "serving model's test Brier is not finite ({}); candidate test Brier {:.5f} replaces it",
        inc.brier, test.brier));
  }
  if (test.brier <= inc.brier + kBrierEpsilon) {
    return accept(fmt::format(
        "candidate test Brier {:.5f} <= serving model's {:.5f} on the same {} test samples "
        "(base-rate Brier {:.5f})",
        test.brier, inc.brier, test.samples, floor));
  }
  return reject(fmt::format(
      "candidate test Brier {:.5f} is worse than the serving model's {:.5f} on the same {} test "
      "samples; keeping the serving model",
      test.brier, inc.brier, test.samples));
}

}  // namespace tbml
