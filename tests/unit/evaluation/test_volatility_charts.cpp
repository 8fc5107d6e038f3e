#include "tbml/evaluation/volatility_charts.h"

#include <gtest/gtest.h>

namespace tbml::evaluation {
namespace {

// Hand-made evaluation: every method has the interval [−0.015, 0.015]; `ret` decides what is covered.
VolatilityPairEvaluation pair_with(const std::string& name, std::vector<double> ret, std::vector<std::size_t> fold_of) {
  VolatilityPairEvaluation e;
  e.pair = name;
  e.horizon = 5;
  const std::size_t n = ret.size();
  for (std::size_t i = 0; i < n; ++i) e.now.push_back(10 + i);
  e.timestamp.assign(n, 0);
  e.rv.assign(n, 1e-4);
  e.floor.assign(n, 1e-8);
  e.ret = std::move(ret);
  e.fold_of = std::move(fold_of);
  for (const auto& m : volatility_method_names())
    e.methods.push_back(VolatilityPath{m, std::vector<double>(n, 1e-4), std::vector<double>(n, -0.015),
                                       std::vector<double>(n, 0.0), std::vector<double>(n, 0.015)});
  return e;
}

TEST(VolatilityCharts, CoveragePerFoldIsPooledOverPairsInFoldOrder) {
  // A: fold 0 → 2 of 2 inside, fold 1 → 0 of 2. B: fold 0 → 1 of 2, fold 1 → 2 of 2 (the bound is inside).
  const auto a = pair_with("A", {0.01, -0.01, 0.02, -0.03}, {0, 0, 1, 1});
  auto b = pair_with("B", {0.0, 0.05, 0.015, -0.015}, {0, 0, 1, 1});
  // In B the served model's fold-1 interval is narrower: nothing of fold 1 inside.
  auto& served = b.methods.back();
  ASSERT_EQ(served.name, "served");
  served.q10[2] = served.q10[3] = -0.001;
  served.q90[2] = served.q90[3] = 0.001;

  const auto lines = coverage_by_fold({a, b}, {"served", "garch", "no such method"});
  ASSERT_EQ(lines.size(), 2u);  // the unknown name is left out
  EXPECT_EQ(lines[0].name, "served");
  EXPECT_EQ(lines[0].x, (std::vector<double>{1.0, 2.0}));
  EXPECT_DOUBLE_EQ(lines[0].y[0], 75.0);  // (2 + 1) / 4
  EXPECT_DOUBLE_EQ(lines[0].y[1], 0.0);   // (0 + 0) / 4
  EXPECT_EQ(lines[1].name, "garch");
  EXPECT_DOUBLE_EQ(lines[1].y[0], 75.0);
  EXPECT_DOUBLE_EQ(lines[1].y[1], 50.0);  // (0 + 2) / 4

  // One pair alone: its own per-fold coverage.
  const auto only_a = coverage_by_fold({a}, {"garch"});
  ASSERT_EQ(only_a.size(), 1u);
  EXPECT_EQ(only_a[0].y, (std::vector<double>{100.0, 0.0}));
}

TEST(VolatilityCharts, FoldsWithoutSamplesAreLeftOut) {
  const auto a = pair_with("A", {0.0, 0.05}, {0, 2});
  const auto lines = coverage_by_fold({a}, {"ewma"});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].x, (std::vector<double>{1.0, 3.0}));
  EXPECT_EQ(lines[0].y, (std::vector<double>{100.0, 0.0}));
}

TEST(VolatilityCharts, SvgDrawsTheServedModelTheBaselinesAndTheTargetBand) {
  const auto a = pair_with("A", {0.01, -0.01, 0.02, -0.03}, {0, 0, 1, 1});
  const std::string svg = coverage_by_fold_svg({a}, "A: coverage per fold");
  EXPECT_NE(svg.find("A: coverage per fold"), std::string::npos);
  for (const char* name : {"target 80%", "band 77%", "band 83%", "served", "garch", "ewma", "historical"})
    EXPECT_NE(svg.find(std::string(">") + name + "<"), std::string::npos) << name;
  EXPECT_EQ(svg.find(">trees<"), std::string::npos);  // members other than the served one are not drawn
  // Three flat reference lines and four methods.
  std::size_t polylines = 0;
  for (std::size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) ++polylines;
  EXPECT_EQ(polylines, 7u);
}

}  // namespace
}  // namespace tbml::evaluation
