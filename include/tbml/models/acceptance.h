#pragma once
// Whether a freshly trained model may replace the one that is serving. The rule keeps a working model
// unless the candidate is at least as good on the same unseen test data, and never lets in a model
// that is worse than always predicting the test base rate.
#include <optional>
#include <string>

#include "tbml/models/edge.h"
#include "tbml/models/model.h"

namespace tbml {

// Brier scores closer than this count as equal (float noise from different summation orders).
inline constexpr double kBrierEpsilon = 1e-9;

struct AcceptanceDecision {
  bool accept = false;
  std::string reason;  // one sentence with the numbers that decided it
};

// `candidate` is the new model's training report (its `test` part is the unseen tail of the data).
// `incumbent_on_same_test` is the serving model evaluated on exactly that test part; pass
// `has_incumbent = false` when nothing is serving (or after a rebuild), and then the candidate only
// has to beat the base rate (the training part's base rate, forecast on the test part). With an incumbent but no metrics for it the candidate is rejected,
// because nothing shows it is better.
//
// With `edge` (the block-bootstrap test of the candidate against the base-rate forecast on its test part)
// the floor is statistical: only a candidate whose whole interval lies below the base rate is rejected as
// worse. A candidate with no real edge may serve for its calibrated probability; the ensemble gives it no
// say in the signal (edge "none"). Without `edge` the plain Brier comparison with the floor applies.
AcceptanceDecision decide_replacement(const TrainingReport& candidate,
                                      const std::optional<SplitMetrics>& incumbent_on_same_test,
                                      bool has_incumbent,
                                      const std::optional<DirectionEdge>& edge = std::nullopt);

// Brier score of always predicting `base_rate`: base_rate × (1 − base_rate).
double base_rate_brier(double base_rate);
// Brier score of always forecasting `forecast` on data whose share of label 1 is `outcome_rate`.
// The acceptance floor uses forecast = the training part's base rate (known when the model is built),
// outcome_rate = the test part's.
double constant_forecast_brier(double forecast, double outcome_rate);

}  // namespace tbml
