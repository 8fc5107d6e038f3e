#pragma once
// Data of the volatility charts that are not a plain copy of a report number (issue #18): the 80 %
// interval coverage over time, one point per walk-forward fold (the folds are chronological blocks),
// so that drift in calibration shows even in a single-horizon run.
#include <string>
#include <vector>

#include "tbml/evaluation/charts.h"
#include "tbml/evaluation/volatility_evaluator.h"

namespace tbml::evaluation {

// Methods drawn on the coverage-over-time chart: the served model and the interval baselines.
std::vector<std::string> coverage_chart_methods();

// One line per method found in `pairs` (in the order of `methods`; unknown names are left out): x = fold
// number (1 = oldest block), y = % of that fold's returns inside [q10, q90], pooled over all given pairs
// (samples of fold k of every pair together). Folds without samples are left out.
std::vector<ChartLine> coverage_by_fold(const std::vector<VolatilityPairEvaluation>& pairs,
                                        const std::vector<std::string>& methods);

// The chart: the lines above plus the 80 % target and the 77 % / 83 % band as flat lines.
std::string coverage_by_fold_svg(const std::vector<VolatilityPairEvaluation>& pairs, const std::string& title);

}  // namespace tbml::evaluation
