#pragma once
// Walk-forward evaluation of the volatility forecasters (issue #18): the same folds as the direction
// evaluation (plan_folds, with the volatility horizon), for each fold train_volatility_model on the fold's
// training candles only (its own 60/20/20 split inside: trees, HAR, GARCH(1,1), EWMA and the historical
// distribution, quantiles calibrated on its validation part), then forecast every "now" of the fold's
// block strictly out of sample with every member and with the member the service would serve.
//
// Scores per sample, then pooled: QLIKE, squared error of log variance, coverage of the 80 % interval
// [q10, q90] of the h-candle log return, and pinball loss at 10/50/90 %; across-fold Student-t intervals;
// and a paired circular block bootstrap (volatility/scores.h) of QLIKE(method) − QLIKE(EWMA) and
// − QLIKE(GARCH).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/evaluation/evaluator.h"
#include "tbml/evaluation/report.h"
#include "tbml/evaluation/walk_forward.h"
#include "tbml/market/series.h"
#include "tbml/volatility/scores.h"
#include "tbml/volatility/volatility_model.h"

namespace tbml::evaluation {

struct VolatilityEvaluationOptions {
  WalkForwardOptions walk;                     // horizon is replaced by each evaluated horizon
  volatility::VolatilityTrainOptions train;    // horizon is replaced; max_candles ignored (the fold decides)
  std::size_t bootstrap_resamples = 1000;
  std::uint64_t bootstrap_seed = 42;
  void validate() const;  // throws std::invalid_argument
};

// Methods, in this order for every pair and fold: the members, then "served" (the service's choice for
// that fold). A member the fold did not fit (HAR or trees can be missing) is replaced by GARCH for that
// fold; FoldRecord::details counts it.
std::vector<std::string> volatility_method_names();

struct VolatilityPath {
  std::string name;
  std::vector<double> variance, q10, q50, q90;
};

struct VolatilityPairEvaluation {
  std::string pair;
  std::size_t horizon = 0;
  std::vector<std::size_t> now;          // forecast rows, oldest first
  std::vector<std::int64_t> timestamp;
  std::vector<double> rv, ret;           // realised variance and log return over the next `horizon` candles
  std::vector<double> floor;             // the fold model's variance floor for each sample
  std::vector<std::size_t> fold_of;
  std::vector<VolatilityPath> methods;   // aligned with `now`
  std::vector<FoldRecord> folds;
  std::size_t skipped = 0;               // "now" rows without target or without inputs (gaps)
  double seconds = 0.0;
};

// Throws std::invalid_argument on bad options or a series too short for them.
VolatilityPairEvaluation evaluate_volatility_pair(const Series& series, std::size_t horizon,
                                                  const VolatilityEvaluationOptions& options,
                                                  const EvaluationProgress& progress = {});

// Per-sample losses of one forecast (hand-checkable): QLIKE and squared log error with both values
// floored at `floor`, 1/0 for ret inside [q10, q90], pinball at 10/50/90 %.
struct VolatilityLoss {
  double qlike = 0.0, sq_log = 0.0, covered = 0.0, pinball10 = 0.0, pinball50 = 0.0, pinball90 = 0.0;
};
VolatilityLoss volatility_loss(double rv, double ret, double variance, double q10, double q50, double q90,
                               double floor);

struct VolatilityMethodScore {
  std::string name;
  std::size_t samples = 0;
  double qlike = 0.0, mse_log_var = 0.0, coverage80 = 0.0, pinball10 = 0.0, pinball50 = 0.0, pinball90 = 0.0;
  FoldSpread qlike_folds, coverage_folds;
  volatility::BootstrapInterval vs_ewma, vs_garch;  // QLIKE(method) − QLIKE(baseline): negative = method better
  double pinball_mean() const { return (pinball10 + pinball50 + pinball90) / 3.0; }
  nlohmann::json to_json() const;
};

struct VolatilityScores {
  std::string pair;  // "pooled" for all pairs together
  std::size_t horizon = 0;
  std::vector<VolatilityMethodScore> methods;
  const VolatilityMethodScore* find(const std::string& name) const;
};

// Pools every given pair (one pair: that pair's scores). The pooled bootstrap runs over the pairs'
// samples one after another (blocks of default_block_length(n, horizon)).
VolatilityScores score_volatility(const std::vector<VolatilityPairEvaluation>& pairs, const std::string& name,
                                  const VolatilityEvaluationOptions& options);

struct VolatilityReport {
  std::vector<std::size_t> horizons;
  std::vector<std::vector<VolatilityScores>> pairs;  // [horizon][pair]
  std::vector<VolatilityScores> pooled;              // [horizon]
  nlohmann::json settings;
  double seconds = 0.0;
};

VolatilityReport build_volatility_report(const std::vector<std::vector<VolatilityPairEvaluation>>& by_horizon,
                                         const VolatilityEvaluationOptions& options);
std::string volatility_markdown(const VolatilityReport& report);
nlohmann::json volatility_json(const VolatilityReport& report,
                               const std::vector<std::vector<VolatilityPairEvaluation>>& by_horizon);

// forecast_vs_realised_<PAIR>_h<H>.svg for the first pair (daily means of σ forecasts of trees, GARCH,
// EWMA and the realised σ); per horizon coverage80_by_fold_h<H>.svg (80 % coverage per walk-forward fold,
// pooled over pairs) and coverage80_by_fold_<PAIR>_h<H>.svg (volatility_charts.h); and, when the run has
// more than one horizon, coverage80.svg (coverage per method against horizon, pooled). In
// volatility_charts.cpp.
std::vector<std::string> write_volatility_charts(const std::string& dir, const VolatilityReport& report,
                                                 const std::vector<std::vector<VolatilityPairEvaluation>>& by_horizon);

}  // namespace tbml::evaluation
