#include "tbml/evaluation/volatility_charts.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "tbml/util/atomic_file.h"

namespace tbml::evaluation {

std::vector<std::string> coverage_chart_methods() { return {"served", "garch", "ewma", "historical"}; }

std::vector<ChartLine> coverage_by_fold(const std::vector<VolatilityPairEvaluation>& pairs,
                                        const std::vector<std::string>& methods) {
  std::size_t folds = 0;
  for (const auto& e : pairs)
    for (std::size_t f : e.fold_of) folds = std::max(folds, f + 1);
  std::vector<ChartLine> lines;
  for (const auto& name : methods) {
    std::vector<double> inside(folds, 0.0), count(folds, 0.0);
    bool found = false;
    for (const auto& e : pairs) {
      const auto p = std::find_if(e.methods.begin(), e.methods.end(),
                                  [&](const VolatilityPath& m) { return m.name == name; });
      if (p == e.methods.end()) continue;
      found = true;
      for (std::size_t i = 0; i < e.now.size(); ++i) {
        // The same rule as the report's coverage80 (volatility_loss), so the chart and the tables agree.
        const VolatilityLoss l =
            volatility_loss(e.rv[i], e.ret[i], p->variance[i], p->q10[i], p->q50[i], p->q90[i], e.floor[i]);
        inside[e.fold_of[i]] += l.covered;
        count[e.fold_of[i]] += 1.0;
      }
    }
    if (!found) continue;
    ChartLine line{name, {}, {}};
    for (std::size_t k = 0; k < folds; ++k)
      if (count[k] > 0) {
        line.x.push_back(static_cast<double>(k + 1));
        line.y.push_back(100.0 * inside[k] / count[k]);
      }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string coverage_by_fold_svg(const std::vector<VolatilityPairEvaluation>& pairs, const std::string& title) {
  std::vector<ChartLine> lines = coverage_by_fold(pairs, coverage_chart_methods());
  double x0 = 1, x1 = 1;
  for (const auto& l : lines)
    if (!l.x.empty()) x1 = std::max(x1, l.x.back());
  auto flat = [&](const std::string& name, double y) { return ChartLine{name, {x0, x1}, {y, y}}; };
  lines.insert(lines.begin(), {flat("target 80%", 80.0), flat("band 77%", 77.0), flat("band 83%", 83.0)});
  return line_chart_svg({title, "walk-forward fold (chronological blocks, 1 = oldest)",
                         "share of returns inside [q10, q90] (%)", false},
                        lines);
}

std::vector<std::string> write_volatility_charts(const std::string& dir, const VolatilityReport& report,
                                                 const std::vector<std::vector<VolatilityPairEvaluation>>& by_horizon) {
  ChartFolder folder(dir);
  auto save = [&](const std::string& name, const std::string& svg) { folder.save(name, svg); };
  // Forecast vs realised σ for the first pair, daily means (24 forecasts) so the chart stays readable.
  for (const auto& pairs : by_horizon) {
    if (pairs.empty()) continue;
    const auto& e = pairs.front();
    const std::vector<std::string> shown{"trees", "garch", "ewma"};
    std::vector<ChartLine> lines;
    auto daily = [&](const std::string& name, const std::vector<double>& var) {
      ChartLine l{name, {}, {}};
      const double t0 = static_cast<double>(e.timestamp.front());
      for (std::size_t b = 0; b < var.size(); b += 24) {
        const std::size_t end = std::min(var.size(), b + 24);
        double s = 0.0;
        for (std::size_t i = b; i < end; ++i) s += std::sqrt(std::max(var[i], 0.0));
        l.x.push_back((static_cast<double>(e.timestamp[b]) - t0) / 86'400'000.0);
        l.y.push_back(100.0 * s / static_cast<double>(end - b));
      }
      return l;
    };
    lines.push_back(daily("realised", e.rv));
    for (const auto& p : e.methods)
      if (std::find(shown.begin(), shown.end(), p.name) != shown.end()) lines.push_back(daily(p.name, p.variance));
    save(fmt::format("forecast_vs_realised_{}_h{}.svg", e.pair, e.horizon),
         line_chart_svg({fmt::format("{}: {}-hour volatility, forecast vs realised (daily means, out of sample)", e.pair,
                                     e.horizon),
                         "days since the first forecast", "σ of the h-hour log return (%)", false},
                        lines));
  }
  // 80 % coverage over time per horizon: pooled over pairs, then per pair (drift in calibration).
  for (const auto& pairs : by_horizon) {
    if (pairs.empty()) continue;
    const std::size_t h = pairs.front().horizon;
    save(fmt::format("coverage80_by_fold_h{}.svg", h),
         coverage_by_fold_svg(pairs, fmt::format("{}-hour 80% interval coverage per fold, pooled over {} pairs "
                                                 "(out of sample)",
                                                 h, pairs.size())));
    for (const auto& e : pairs)
      save(fmt::format("coverage80_by_fold_{}_h{}.svg", e.pair, h),
           coverage_by_fold_svg({e}, fmt::format("{}: {}-hour 80% interval coverage per fold (out of sample)",
                                                 e.pair, h)));
  }
  // Coverage against horizon: only meaningful with several horizons in one run.
  if (report.horizons.size() > 1) {
    std::vector<ChartLine> lines;
    ChartLine target{"target 80%", {}, {}};
    for (std::size_t h = 0; h < report.horizons.size(); ++h) {
      target.x.push_back(static_cast<double>(report.horizons[h]));
      target.y.push_back(80.0);
    }
    lines.push_back(target);
    for (std::size_t m = 0; m < report.pooled.front().methods.size(); ++m) {
      ChartLine l{report.pooled.front().methods[m].name, {}, {}};
      for (std::size_t h = 0; h < report.horizons.size(); ++h) {
        l.x.push_back(static_cast<double>(report.horizons[h]));
        l.y.push_back(100.0 * report.pooled[h].methods.at(m).coverage80);
      }
      lines.push_back(std::move(l));
    }
    save("coverage80.svg", line_chart_svg({"Coverage of the 80% interval, pooled over pairs (out of sample)",
                                           "horizon (hours)", "share of returns inside [q10, q90] (%)", false},
                                          lines));
  }
  return folder.written;
}

}  // namespace tbml::evaluation
