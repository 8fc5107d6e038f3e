#include "tbml/evaluation/trading_sim.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tbml::evaluation {

void CostModel::validate() const {
  if (!(fee >= 0.0 && fee < 0.1)) throw std::invalid_argument("fee must be in [0, 0.1)");
  if (!(slippage >= 0.0 && slippage < 0.1)) throw std::invalid_argument("slippage must be in [0, 0.1)");
}

nlohmann::json TradingStats::to_json(bool with_equity) const {
  nlohmann::json j{{"steps", steps},           {"netReturn", net_return}, {"costs", costs},
                   {"sharpe", sharpe},         {"maxDrawdown", max_drawdown}, {"turnover", turnover},
                   {"trades", trades},         {"activeSteps", active_steps}, {"hitRate", hit_rate},
                   {"exposure", exposure}};
  if (with_equity) j["equity"] = equity;
  return j;
}

TradingStats simulate_positions(const std::vector<double>& position, const std::vector<double>& next_return,
                                const CostModel& costs, double periods_per_year) {
  if (position.size() != next_return.size())
    throw std::invalid_argument("simulate_positions: " + std::to_string(position.size()) + " positions for " +
                                std::to_string(next_return.size()) + " returns");
  costs.validate();
  const double c = costs.per_unit();
  TradingStats s;
  s.steps = position.size();
  s.equity.reserve(position.size());
  double equity = 1.0, peak = 1.0, held = 0.0, exposure = 0.0;
  std::size_t hits = 0;
  std::vector<double> step_returns;
  step_returns.reserve(position.size());
  auto trade = [&](double target) {
    const double delta = std::abs(target - held);
    if (delta == 0.0) return;
    const double cost = equity * c * delta;
    equity -= cost;
    s.costs += cost;
    s.turnover += delta;
    ++s.trades;
    held = target;
  };
  for (std::size_t i = 0; i < position.size(); ++i) {
    if (!std::isfinite(position[i]) || !std::isfinite(next_return[i]))
      throw std::invalid_argument("simulate_positions: non-finite position or return at step " + std::to_string(i));
    const double before = equity;
    trade(position[i]);
    equity *= 1.0 + held * next_return[i];
    if (held != 0.0) {
      ++s.active_steps;
      if (held * next_return[i] > 0.0) ++hits;
    }
    exposure += std::abs(held);
    if (i + 1 == position.size()) trade(0.0);  // close what is still open
    step_returns.push_back(equity / before - 1.0);
    s.equity.push_back(equity);
    peak = std::max(peak, equity);
    s.max_drawdown = std::max(s.max_drawdown, 1.0 - equity / peak);
  }
  s.net_return = equity - 1.0;
  s.hit_rate = s.active_steps ? static_cast<double>(hits) / static_cast<double>(s.active_steps) : 0.0;
  s.exposure = s.steps ? exposure / static_cast<double>(s.steps) : 0.0;
  if (step_returns.size() >= 2) {
    double mean = 0.0;
    for (double r : step_returns) mean += r;
    mean /= static_cast<double>(step_returns.size());
    double ss = 0.0;
    for (double r : step_returns) ss += (r - mean) * (r - mean);
    const double sd = std::sqrt(ss / static_cast<double>(step_returns.size() - 1));
    s.sharpe = sd > 0.0 ? mean / sd * std::sqrt(periods_per_year) : 0.0;
  }
  return s;
}

}  // namespace tbml::evaluation
