#pragma once
// The trading report of `tbml evaluate --trading`: the walk-forward predictions turned into positions by
// the service's own rules, net of fees and slippage, next to buy-and-hold and the baselines' signals.
//
// Rules simulated per scored candle (positions held one candle, see trading_sim.h):
//   service, sized     ensemble_decision's decide() exactly as the service answers (only members whose
//                      fold training showed a real edge vote; none: base rate, HOLD), then
//                      decision::size_position with the pair's resolved outcomes so far and the EWMA σ
//   service, signal    the same decision, full size: BUY +1, SELL −1 (or 0 without shorting), HOLD 0
//   <method>, signal   every model, ensemble and baseline through the signal rule of ensemble/strategy.h
//                      (signal_of at the signal threshold) with the edge gate off; persistence and the
//                      running base rate trade their direction (threshold 0), because their probability
//                      is a constant hit rate or share that any threshold would silence
//   ensemble weighted, sized (edge gate off)   what sizing would do if the ensemble's edge were real
//   buy & hold         +1 throughout
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/decision/sizing.h"
#include "tbml/ensemble/strategy.h"
#include "tbml/evaluation/evaluator.h"
#include "tbml/evaluation/trading_sim.h"

namespace tbml::evaluation {

struct TradingOptions {
  CostModel costs;
  double signal_threshold = 0.2;      // ensemble.signalThreshold
  Strategy strategy = Strategy::kWeighted;  // the service's ensemble.strategy (stacked: weighted here)
  decision::SizingOptions sizing;     // decision.sizing.*
  std::size_t outcome_window = 200;   // resolved outcomes the average moves come from (ensemble.window)
  double hours_per_candle = 1.0;
  void validate() const;              // throws std::invalid_argument
};

struct TradingMethod {
  std::string name;
  std::string rule;  // "service", "signal", "what-if", "benchmark"
  TradingStats stats;
};

struct PairTrading {
  std::string pair;
  std::vector<TradingMethod> methods;
  nlohmann::json sizing;  // the service rule's positions: why zero, how often; mean |position| when sized
  const TradingMethod* find(const std::string& name) const;
};

struct TradingReport {
  TradingOptions options;
  std::vector<PairTrading> pairs;
  // Per method: the mean of the pairs' numbers; trades, steps and active steps summed; the hit rate over
  // every positioned hour of every pair.
  std::vector<TradingMethod> pooled;
};

TradingReport build_trading_report(const std::vector<PairEvaluation>& pairs, const TradingOptions& options);
std::string trading_markdown(const TradingReport& report);
nlohmann::json trading_json(const TradingReport& report);
// equity_<PAIR>.svg per pair into `dir`; returns the paths written.
std::vector<std::string> write_trading_charts(const std::string& dir, const TradingReport& report);

}  // namespace tbml::evaluation
