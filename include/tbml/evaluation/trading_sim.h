#pragma once
// Equity of a sequence of positions, net of costs. Pure function over plain vectors, so a hand-made
// series checks every number.
//
// Holding rule: the position is re-decided at every scored candle ("now") and held for exactly one
// candle, earning next_return (close[now + 1] / close[now] − 1), even though the signal looks `horizon`
// candles ahead. Every hour's return is earned once (no overlapping bets), and a signal that persists
// simply keeps the position without trading. Changing the position by Δ (in units of equity) costs
// (fee + slippage) · |Δ| of equity; a position still open after the last step is closed and pays too.
#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml::evaluation {

struct CostModel {
  // Binance spot taker fee for a regular (VIP 0) account without the BNB discount: 0.1 % per side
  // (https://www.binance.com/en/fee/schedule). Slippage: half a typical spread plus impact for small
  // orders on the major pairs; configurable because it depends on size and pair.
  double fee = 0.001;
  double slippage = 0.0005;
  double per_unit() const { return fee + slippage; }
  void validate() const;  // throws std::invalid_argument
};

struct TradingStats {
  std::size_t steps = 0;
  double net_return = 0.0;     // final equity − 1, after every cost
  double costs = 0.0;          // total cost paid, in units of the starting equity
  double sharpe = 0.0;         // annualised: mean / sd of the per-step returns × √periods_per_year
  double max_drawdown = 0.0;   // largest fall from a running peak, as a share of the peak (start = 1)
  double turnover = 0.0;       // Σ |Δ position| including the final exit (2 = one full round trip)
  std::size_t trades = 0;      // steps at which the position changed, including the final exit
  std::size_t active_steps = 0;  // steps with a position
  double hit_rate = 0.0;       // share of active steps whose position earned a positive return
  double exposure = 0.0;       // mean |position|
  std::vector<double> equity;  // after each step (the last one after the exit), starting from 1
  nlohmann::json to_json(bool with_equity = false) const;
};

// Throws std::invalid_argument on mismatched sizes or a non-finite position or return.
TradingStats simulate_positions(const std::vector<double>& position, const std::vector<double>& next_return,
                                const CostModel& costs, double periods_per_year = 8760.0);

}  // namespace tbml::evaluation
