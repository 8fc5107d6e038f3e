#include <cmath>
#include <stdexcept>

#include <gtest/gtest.h>

#include "tbml/evaluation/trading_report.h"
#include "tbml/evaluation/trading_sim.h"

using namespace tbml;
using namespace tbml::evaluation;

namespace {

CostModel one_percent() {
  CostModel c;
  c.fee = 0.01;
  c.slippage = 0.0;
  return c;
}

// Six hourly windows at horizon 1 with one member, "xgboost", whose fold reports `edge`.
PairEvaluation hand_series(bool edge) {
  PairEvaluation e;
  e.pair = "T";
  e.horizon = 1;
  e.next_return = {0.02, -0.01, 0.03, -0.02, 0.01, 0.02};
  for (std::size_t i = 0; i < 6; ++i) {
    e.last.push_back(10 + i);
    e.timestamp.push_back(static_cast<std::int64_t>(i) * 3'600'000);
    e.label.push_back(e.next_return[i] > 0 ? 1 : 0);
    e.horizon_log_return.push_back(std::log1p(e.next_return[i]));
    e.sigma.push_back(0.01);
    e.fold_of.push_back(0);
  }
  FoldRecord f;
  DirectionEdge d;
  d.verdict = edge ? EdgeVerdict::kReal : EdgeVerdict::kNone;
  f.members["xgboost"] = MemberCheck{d, true};
  e.folds.push_back(f);
  const std::vector<double> p = {0.7, 0.3, 0.7, 0.55, 0.2, 0.9};  // threshold 0.2: BUY SELL BUY HOLD SELL BUY
  e.methods = {{"xgboost", "model", p},
               {"ensemble weighted", "ensemble", p},
               {"always-up", "baseline", std::vector<double>(6, 1.0)},
               {"running base rate", "baseline", std::vector<double>(6, 0.52)},
               {"persistence", "baseline", {0.51, 0.49, 0.51, 0.49, 0.51, 0.49}}};
  return e;
}

TradingOptions options() {
  TradingOptions o;
  o.costs = one_percent();
  o.sizing.min_outcomes = 2;
  return o;
}

}  // namespace

TEST(TradingSim, HandComputedLongFlatShort) {
  const std::vector<double> pos = {1, 1, 0, -1}, r = {0.10, -0.05, 0.02, -0.10};
  const TradingStats s = simulate_positions(pos, r, one_percent());
  // Entry 0 → 1 costs 1 %, then +10 %; hold through −5 %; exit costs 1 %; flat; short entry costs 1 %,
  // the −10 % move earns +10 %, and the final exit costs 1 %.
  double e = 0.99 * 1.10;
  const double e0 = e;
  e *= 0.95;
  const double e1 = e;
  e *= 0.99;
  const double e2 = e;
  e = e * 0.99 * 1.10 * 0.99;
  EXPECT_NEAR(s.net_return, e - 1.0, 1e-12);
  ASSERT_EQ(s.equity.size(), 4u);
  EXPECT_NEAR(s.equity[0], e0, 1e-12);
  EXPECT_NEAR(s.equity[1], e1, 1e-12);
  EXPECT_NEAR(s.equity[2], e2, 1e-12);
  EXPECT_EQ(s.trades, 4u);
  EXPECT_NEAR(s.turnover, 4.0, 1e-12);
  EXPECT_EQ(s.active_steps, 3u);
  EXPECT_NEAR(s.hit_rate, 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(s.exposure, 0.75, 1e-12);
  EXPECT_NEAR(s.max_drawdown, 1.0 - e2 / e0, 1e-12);
  EXPECT_NEAR(s.costs, 0.01 + e1 * 0.01 + e2 * 0.01 + e2 * 0.99 * 1.10 * 0.01, 1e-12);
  // Sharpe: mean / sd of the step returns × √8760.
  const std::vector<double> step = {e0 - 1, e1 / e0 - 1, e2 / e1 - 1, e / e2 - 1};
  double mean = 0, ss = 0;
  for (double x : step) mean += x / 4;
  for (double x : step) ss += (x - mean) * (x - mean);
  EXPECT_NEAR(s.sharpe, mean / std::sqrt(ss / 3) * std::sqrt(8760.0), 1e-9);
}

TEST(TradingSim, NoPositionNoCostAndBadInput) {
  const TradingStats s = simulate_positions({0, 0, 0}, {0.1, -0.1, 0.2}, one_percent());
  EXPECT_EQ(s.net_return, 0.0);
  EXPECT_EQ(s.trades, 0u);
  EXPECT_EQ(s.max_drawdown, 0.0);
  EXPECT_EQ(s.sharpe, 0.0);
  EXPECT_THROW(simulate_positions({1}, {0.1, 0.2}, one_percent()), std::invalid_argument);
  EXPECT_THROW(simulate_positions({NAN}, {0.1}, one_percent()), std::invalid_argument);
  CostModel bad;
  bad.fee = -0.1;
  EXPECT_THROW(simulate_positions({1}, {0.1}, bad), std::invalid_argument);
}

TEST(TradingReport, WithoutEdgeTheServiceHoldsAndSizesZero) {
  const TradingReport r = build_trading_report({hand_series(false)}, options());
  const PairTrading& p = r.pairs.at(0);
  const TradingMethod* signal = p.find("service: edge-gated ensemble, signal");
  const TradingMethod* sized = p.find("service: edge-gated ensemble, sized");
  ASSERT_TRUE(signal && sized);
  EXPECT_EQ(signal->stats.trades, 0u);
  EXPECT_EQ(signal->stats.net_return, 0.0);
  EXPECT_EQ(sized->stats.trades, 0u);
  EXPECT_EQ(p.sizing.at("zeroSteps").at("no-edge"), 6);
  // Buy & hold pays one entry and one exit.
  double hold = 0.99;
  for (double x : hand_series(false).next_return) hold *= 1 + x;
  hold *= 0.99;
  EXPECT_NEAR(p.find("buy & hold")->stats.net_return, hold - 1, 1e-12);
  EXPECT_NEAR(p.find("always-up, signal")->stats.net_return, hold - 1, 1e-12);
}

TEST(TradingReport, WithEdgeTheServiceTradesTheMembersSignal) {
  const PairEvaluation e = hand_series(true);
  const TradingReport r = build_trading_report({e}, options());
  const PairTrading& p = r.pairs.at(0);
  // BUY SELL BUY HOLD SELL BUY, long-only: 1 0 1 0 0 1.
  const TradingStats expected = simulate_positions({1, 0, 1, 0, 0, 1}, e.next_return, one_percent());
  const TradingMethod* signal = p.find("service: edge-gated ensemble, signal");
  ASSERT_TRUE(signal);
  EXPECT_NEAR(signal->stats.net_return, expected.net_return, 1e-12);
  EXPECT_EQ(signal->stats.trades, 6u);  // in, out, in, out, in, final exit
  EXPECT_NEAR(p.find("xgboost, signal")->stats.net_return, expected.net_return, 1e-12);
  // With shorting, SELL is −1.
  TradingOptions shorting = options();
  shorting.sizing.allow_short = true;
  const TradingStats ls = simulate_positions({1, -1, 1, 0, -1, 1}, e.next_return, one_percent());
  EXPECT_NEAR(build_trading_report({e}, shorting).pairs[0].find("xgboost, signal")->stats.net_return, ls.net_return, 1e-12);
  // Persistence trades its direction (threshold 0): up, down, up, down, up, down → long every other hour.
  const TradingStats pers = simulate_positions({1, 0, 1, 0, 1, 0}, e.next_return, one_percent());
  EXPECT_NEAR(p.find("persistence, signal")->stats.net_return, pers.net_return, 1e-12);
  // Sizing only uses outcomes resolved before each window: the first two lack outcomes of both kinds.
  const auto& zeros = p.sizing.at("zeroSteps");
  EXPECT_EQ(zeros.at("too-few-outcomes"), 2);
  EXPECT_GE(p.sizing.at("sizedSteps").get<std::size_t>(), 1u);
  // Pooled over one pair is the pair.
  EXPECT_NEAR(r.pooled.at(0).stats.net_return, p.methods.at(0).stats.net_return, 1e-12);
  EXPECT_NE(trading_markdown(r).find("Trading report"), std::string::npos);
  // Two pairs: returns are averaged, trades summed, the hit rate taken over every positioned hour.
  const TradingReport two = build_trading_report({e, hand_series(false)}, options());
  const TradingMethod* pooled = nullptr;
  for (const auto& m : two.pooled)
    if (m.name == "service: edge-gated ensemble, signal") pooled = &m;
  ASSERT_TRUE(pooled);
  EXPECT_NEAR(pooled->stats.net_return, expected.net_return / 2, 1e-12);
  EXPECT_EQ(pooled->stats.trades, 6u);
  EXPECT_NEAR(pooled->stats.hit_rate, expected.hit_rate, 1e-12);
  EXPECT_EQ(trading_json(r).at("pairs").at(0).at("pair"), "T");
}
