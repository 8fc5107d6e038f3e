#include "tbml/evaluation/trading_report.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "tbml/ensemble/ensemble_decision.h"
#include "tbml/ensemble/weights.h"
#include "tbml/evaluation/charts.h"
#include "tbml/util/atomic_file.h"

namespace tbml::evaluation {
namespace {

constexpr const char* kBaseRate = "running base rate";
constexpr const char* kServiceSized = "service: edge-gated ensemble, sized";
constexpr const char* kServiceSignal = "service: edge-gated ensemble, signal";
constexpr const char* kWhatIf = "ensemble weighted, sized (edge gate off)";
constexpr const char* kHold = "buy & hold";

double position_of(const std::string& signal, bool allow_short) {
  if (signal == "BUY") return 1.0;
  if (signal == "SELL") return allow_short ? -1.0 : 0.0;
  return 0.0;
}

// Probabilities that are a constant hit rate or share, not a confidence: they trade their direction.
bool trades_direction(const std::string& name) { return name == "persistence" || name == kBaseRate; }

const MethodPredictions* method_named(const PairEvaluation& e, const std::string& name) {
  for (const auto& m : e.methods)
    if (m.name == name) return &m;
  return nullptr;
}

// The resolved h-candle moves known at scored window i: windows whose label candle is at or before "now",
// the newest `window` of them.
class ResolvedMoves {
 public:
  ResolvedMoves(const PairEvaluation& e, std::size_t window) : e_(e), window_(window) {}
  decision::RealisedMoves at(std::size_t i) {
    while (next_ < i && e_.last[next_] + e_.horizon <= e_.last[i]) ++next_;
    const std::size_t begin = next_ > window_ ? next_ - window_ : 0;
    return decision::realised_moves(std::vector<double>(e_.horizon_log_return.begin() + static_cast<std::ptrdiff_t>(begin),
                                                        e_.horizon_log_return.begin() + static_cast<std::ptrdiff_t>(next_)));
  }

 private:
  const PairEvaluation& e_;
  std::size_t window_;
  std::size_t next_ = 0;
};

decision::SizingInputs sizing_inputs(const PairEvaluation& e, std::size_t i, double p, const std::string& signal,
                                     bool edge, bool calibrated, const decision::RealisedMoves& moves,
                                     const TradingOptions& o) {
  decision::SizingInputs in;
  in.p_up = p;
  in.signal = signal;
  in.edge_real = edge;
  in.calibration_checked = calibrated;
  in.moves = moves;
  in.volatility_available = i < e.sigma.size() && std::isfinite(e.sigma[i]) && e.sigma[i] > 0.0;
  in.sigma = in.volatility_available ? e.sigma[i] : 0.0;
  in.horizon_hours = static_cast<double>(e.horizon) * o.hours_per_candle;
  return in;
}

PairTrading trade_pair(const PairEvaluation& e, const TradingOptions& o) {
  const std::size_t n = e.label.size();
  if (e.next_return.size() != n || e.horizon_log_return.size() != n || e.last.size() != n)
    throw std::invalid_argument(e.pair + ": evaluation vectors differ in length");
  PairTrading t;
  t.pair = e.pair;
  const double periods = 8760.0 / o.hours_per_candle;
  auto add = [&](const std::string& name, const std::string& rule, const std::vector<double>& pos) {
    t.methods.push_back(TradingMethod{name, rule, simulate_positions(pos, e.next_return, o.costs, periods)});
  };
  add(kHold, "benchmark", std::vector<double>(n, 1.0));

  // The service's decision per window, from the members as their fold's training judged them.
  std::vector<const MethodPredictions*> members;
  for (const auto& m : e.methods)
    if (m.group == "model") members.push_back(&m);
  const MethodPredictions* base = method_named(e, kBaseRate);
  const MethodPredictions* weighted = method_named(e, "ensemble weighted");
  const CombineOptions combine{o.signal_threshold};
  const Strategy strategy = o.strategy == Strategy::kStacked ? Strategy::kWeighted : o.strategy;
  std::vector<double> sized(n, 0.0), signal(n, 0.0), what_if(n, 0.0);
  std::map<std::string, std::size_t> zero_reasons;
  std::size_t sized_steps = 0;
  double sized_abs = 0.0;
  ResolvedMoves resolved(e, o.outcome_window);
  for (std::size_t i = 0; i < n; ++i) {
    const FoldRecord* fold = e.fold_of.size() == n && e.fold_of[i] < e.folds.size() ? &e.folds[e.fold_of[i]] : nullptr;
    PredictionSnapshot snap;
    snap.pair = e.pair;
    snap.horizon = e.horizon;
    snap.base_rate = base ? base->p[i] : 0.5;
    for (const MethodPredictions* m : members) {
      ModelPrediction mp;
      mp.model = m->name;
      mp.probability = m->p[i];
      if (fold && fold->members.count(m->name)) mp.edge = fold->members.at(m->name).edge;
      snap.models.push_back(std::move(mp));
    }
    const decision::RealisedMoves moves = resolved.at(i);
    bool calibrated = !members.empty();
    if (!snap.models.empty()) {
      const EnsembleDecision d = decide(snap, strategy, default_weights(), combine);
      for (const auto& name : d.voting)
        calibrated = calibrated && fold && fold->members.count(name) && fold->members.at(name).calibration_checked;
      signal[i] = position_of(d.signal, o.sizing.allow_short);
      const decision::Sizing s =
          decision::size_position(sizing_inputs(e, i, d.probability, d.signal, d.has_edge, calibrated, moves, o), o.sizing);
      sized[i] = s.position;
      if (s.position == 0.0) ++zero_reasons[s.zero_reason];
      else ++sized_steps, sized_abs += std::abs(s.position);
    }
    if (weighted) {
      bool all_checked = fold != nullptr && !members.empty();
      for (const MethodPredictions* m : members)
        all_checked = all_checked && fold->members.count(m->name) && fold->members.at(m->name).calibration_checked;
      const double p = weighted->p[i];
      const std::string sig = signal_of(p, confidence_of(p), o.signal_threshold);
      what_if[i] = decision::size_position(sizing_inputs(e, i, p, sig, true, all_checked, moves, o), o.sizing).position;
    }
  }
  if (!members.empty()) {
    add(kServiceSized, "service", sized);
    add(kServiceSignal, "service", signal);
    nlohmann::json zeros = nlohmann::json::object();
    for (const auto& [code, count] : zero_reasons) zeros[code] = count;
    t.sizing = {{"steps", n}, {"sizedSteps", sized_steps}, {"zeroSteps", zeros},
                {"meanAbsPositionWhenSized", sized_steps ? sized_abs / static_cast<double>(sized_steps) : 0.0}};
  }
  if (weighted) add(kWhatIf, "what-if", what_if);
  for (const auto& m : e.methods) {
    if (m.group == "uncalibrated") continue;
    const double threshold = trades_direction(m.name) ? 0.0 : o.signal_threshold;
    std::vector<double> pos(n);
    for (std::size_t i = 0; i < n; ++i)
      pos[i] = position_of(signal_of(m.p[i], confidence_of(m.p[i]), threshold), o.sizing.allow_short);
    add(m.name + ", signal", m.group == "baseline" ? "baseline" : "signal", pos);
  }
  return t;
}

std::string pct(double v) { return fmt::format("{:+.2f}%", 100.0 * v); }

std::string table(const std::vector<TradingMethod>& methods) {
  std::ostringstream out;
  out << "| rule | net return | Sharpe | max drawdown | turnover | trades | hit rate | exposure | costs |\n";
  out << "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& m : methods) {
    const TradingStats& s = m.stats;
    out << fmt::format("| {} | {} | {:.2f} | {:.1f}% | {:.1f} | {} | {:.1f}% | {:.2f} | {:.2f}% |\n", m.name,
                       pct(s.net_return), s.sharpe, 100.0 * s.max_drawdown, s.turnover, s.trades, 100.0 * s.hit_rate,
                       s.exposure, 100.0 * s.costs);
  }
  return out.str();
}

}  // namespace

void TradingOptions::validate() const {
  costs.validate();
  sizing.validate();
  if (!(signal_threshold >= 0.0 && signal_threshold <= 1.0)) throw std::invalid_argument("signal threshold must be in [0, 1]");
  if (outcome_window == 0) throw std::invalid_argument("outcome window must be at least 1");
  if (!(hours_per_candle > 0.0)) throw std::invalid_argument("hours per candle must be positive");
}

const TradingMethod* PairTrading::find(const std::string& name) const {
  for (const auto& m : methods)
    if (m.name == name) return &m;
  return nullptr;
}

TradingReport build_trading_report(const std::vector<PairEvaluation>& pairs, const TradingOptions& options) {
  options.validate();
  TradingReport r;
  r.options = options;
  for (const auto& e : pairs) r.pairs.push_back(trade_pair(e, options));
  if (r.pairs.empty()) return r;
  for (const auto& m : r.pairs.front().methods) {
    TradingMethod pooled{m.name, m.rule, {}};
    std::size_t k = 0;
    for (const auto& p : r.pairs) {
      const TradingMethod* x = p.find(m.name);
      if (!x) continue;
      ++k;
      TradingStats& s = pooled.stats;
      s.steps += x->stats.steps;
      s.trades += x->stats.trades;
      s.active_steps += x->stats.active_steps;
      s.net_return += x->stats.net_return;
      s.costs += x->stats.costs;
      s.sharpe += x->stats.sharpe;
      s.max_drawdown += x->stats.max_drawdown;
      s.turnover += x->stats.turnover;
      s.hit_rate += x->stats.hit_rate * static_cast<double>(x->stats.active_steps);  // hits
      s.exposure += x->stats.exposure;
    }
    TradingStats& s = pooled.stats;
    for (double* v : {&s.net_return, &s.costs, &s.sharpe, &s.max_drawdown, &s.turnover, &s.exposure})
      *v /= static_cast<double>(k);
    s.hit_rate = s.active_steps ? s.hit_rate / static_cast<double>(s.active_steps) : 0.0;
    r.pooled.push_back(std::move(pooled));
  }
  return r;
}

std::string trading_markdown(const TradingReport& r) {
  const TradingOptions& o = r.options;
  std::ostringstream out;
  out << "# Trading report\n\n";
  out << fmt::format(
      "Costs: fee {:.3f}% + slippage {:.3f}% per unit of position changed (Binance spot taker fee, VIP 0). "
      "Signal threshold {:.2f} (confidence |p − 0.5| · 2); ensemble strategy {}. Sizing: {:.2f} Kelly, volatility "
      "target {:.0f}% a year, cap ±{:.2f}, at least {} resolved outcomes from the last {}; shorting {}. Volatility: "
      "EWMA (λ 0.94) seeded on each fold's training returns.\n\n",
      100 * o.costs.fee, 100 * o.costs.slippage, o.signal_threshold, to_string(o.strategy), o.sizing.kelly_fraction,
      100 * o.sizing.volatility_target, o.sizing.max_position, o.sizing.min_outcomes, o.outcome_window,
      o.sizing.allow_short ? "on" : "off (SELL = flat)");
  out << "Positions are re-decided every candle and held one candle (each hour's return is earned once); a "
         "position still open at the end is closed and pays. Sharpe: mean / standard deviation of the hourly "
         "equity returns × √8760 (crypto trades every hour; no risk-free rate). Pooled: the mean of the pairs' "
         "numbers (trades: the sum; hit rate: over every positioned hour of every pair), an equal-weight portfolio "
         "that is never rebalanced.\n\n";
  out << "## Pooled (all pairs)\n\n" << table(r.pooled) << "\n";
  for (const auto& p : r.pairs) {
    out << "## " << p.pair << "\n\n" << table(p.methods) << "\n";
    if (!p.sizing.is_null()) out << "Service sizing: `" << p.sizing.dump() << "`\n\n";
  }
  return out.str();
}

nlohmann::json trading_json(const TradingReport& r) {
  const TradingOptions& o = r.options;
  nlohmann::json j;
  j["settings"] = {{"fee", o.costs.fee},
                   {"slippage", o.costs.slippage},
                   {"signalThreshold", o.signal_threshold},
                   {"strategy", to_string(o.strategy)},
                   {"kellyFraction", o.sizing.kelly_fraction},
                   {"volatilityTarget", o.sizing.volatility_target},
                   {"maxPosition", o.sizing.max_position},
                   {"minOutcomes", o.sizing.min_outcomes},
                   {"allowShort", o.sizing.allow_short},
                   {"outcomeWindow", o.outcome_window}};
  auto list = [](const std::vector<TradingMethod>& methods, bool equity) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& m : methods) {
      nlohmann::json x = m.stats.to_json(equity);
      x["name"] = m.name;
      x["rule"] = m.rule;
      a.push_back(std::move(x));
    }
    return a;
  };
  j["pooled"] = list(r.pooled, false);
  j["pairs"] = nlohmann::json::array();
  for (const auto& p : r.pairs) j["pairs"].push_back({{"pair", p.pair}, {"sizing", p.sizing}, {"methods", list(p.methods, false)}});
  return j;
}

std::vector<std::string> write_trading_charts(const std::string& dir, const TradingReport& r) {
  std::filesystem::create_directories(dir);
  std::vector<std::string> written;
  for (const auto& p : r.pairs) {
    std::vector<ChartLine> lines;
    for (const auto& m : p.methods) {
      if (m.rule != "service" && m.rule != "benchmark" && m.rule != "what-if" && m.name != "ensemble weighted, signal" &&
          m.name != "logistic regression, signal" && m.name != "persistence, signal")
        continue;
      ChartLine l{m.name, {}, {}};
      for (std::size_t i = 0; i < m.stats.equity.size(); ++i) {
        l.x.push_back(static_cast<double>(i));
        l.y.push_back(m.stats.equity[i]);
      }
      lines.push_back(std::move(l));
    }
    const std::string path = (std::filesystem::path(dir) / ("equity_" + p.pair + ".svg")).string();
    write_file_atomic(path, line_chart_svg({"Equity after fees and slippage: " + p.pair, "scored hour",
                                            "equity (start = 1)", false},
                                           lines));
    written.push_back(path);
  }
  return written;
}

}  // namespace tbml::evaluation
