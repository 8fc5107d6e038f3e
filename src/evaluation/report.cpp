#include "tbml/evaluation/report.h"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include <ctime>
#include <cmath>

#include "tbml/models/edge.h"
#include "tbml/training/metrics.h"

namespace tbml::evaluation {
namespace {

constexpr const char* kBaseRate = "running base rate";

// Two-sided 97.5 % Student-t quantile for df = 1..30 (then 1.96).
double t975(std::size_t df) {
  static const double q[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                             2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                             2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (df == 0) return 0.0;
  return df <= 30 ? q[df - 1] : 1.96;
}

// One series (or pairs concatenated): p, base, y, and the fold of each row.
struct Rows {
  std::vector<double> p, base;
  std::vector<std::uint8_t> y;
  std::vector<std::size_t> fold;
};

void add_edge_and_folds(MethodScore& ms, const Rows& r, std::size_t horizon) {
  const std::size_t n = r.y.size();
  if (n == 0) return;
  std::vector<double> d(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double y = r.y[i] ? 1.0 : 0.0;
    d[i] = (r.base[i] - y) * (r.base[i] - y) - (r.p[i] - y) * (r.p[i] - y);
  }
  ms.edge.block = std::max<std::size_t>(2 * horizon, 1);
  if (n >= 2) {
    const BootstrapInterval b = block_bootstrap_mean(d, std::min(ms.edge.block, n), 1000, 0.95, 42);
    ms.edge.improvement = b.mean;
    ms.edge.low = b.lower;
    ms.edge.high = b.upper;
  }
  ms.edge.verdict = ms.edge.low > 0.0 ? "real" : ms.edge.high < 0.0 ? "worse" : "none";
  std::size_t folds = 0;
  for (std::size_t f : r.fold) folds = std::max(folds, f + 1);
  std::vector<double> brier, aucs, gain;
  for (std::size_t k = 0; k < folds; ++k) {
    std::vector<double> p, b;
    std::vector<std::uint8_t> y;
    for (std::size_t i = 0; i < n; ++i)
      if (r.fold[i] == k) {
        p.push_back(r.p[i]);
        b.push_back(r.base[i]);
        y.push_back(r.y[i]);
      }
    if (y.empty()) continue;
    brier.push_back(brier_score(p, y));
    aucs.push_back(tbml::auc(p, y));
    gain.push_back(brier_score(b, y) - brier.back());
  }
  ms.brier_folds = fold_spread(brier);
  ms.auc_folds = fold_spread(aucs);
  ms.brier_gain_folds = fold_spread(gain);
}

const std::vector<double>* base_rate_of(const PairEvaluation& e) {
  for (const auto& m : e.methods)
    if (m.name == kBaseRate) return &m.p;
  return nullptr;
}

std::vector<std::size_t> folds_of(const PairEvaluation& e) {
  if (e.fold_of.size() == e.label.size()) return e.fold_of;
  return std::vector<std::size_t>(e.label.size(), 0);
}

PairScores score_pair(const PairEvaluation& e, const EvaluationOptions& o) {
  PairScores s;
  s.pair = e.pair;
  const std::vector<double>* base = base_rate_of(e);
  for (const auto& m : e.methods) {
    MethodScore ms{m.name, m.group, score(m.p, e.label, e.next_return, e.horizon, o.cost), {}, {}, {}, {}};
    add_edge_and_folds(ms, Rows{m.p, base ? *base : m.p, e.label, folds_of(e)}, e.horizon);
    s.methods.push_back(std::move(ms));
  }
  return s;
}

PairScores pool(const std::vector<PairEvaluation>& pairs, const std::vector<PairScores>& scored,
                const EvaluationOptions& o) {
  PairScores s;
  s.pair = "pooled";
  if (pairs.empty()) return s;
  for (std::size_t k = 0; k < pairs.front().methods.size(); ++k) {
    const auto& first = pairs.front().methods[k];
    std::vector<double> p, r;
    std::vector<std::uint8_t> y;
    Rows rows;
    TradingResult trade;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      const auto& m = pairs[i].methods.at(k);
      p.insert(p.end(), m.p.begin(), m.p.end());
      const std::vector<double>* base = base_rate_of(pairs[i]);
      rows.base.insert(rows.base.end(), base ? base->begin() : m.p.begin(), base ? base->end() : m.p.end());
      const std::vector<std::size_t> f = folds_of(pairs[i]);
      rows.fold.insert(rows.fold.end(), f.begin(), f.end());
      y.insert(y.end(), pairs[i].label.begin(), pairs[i].label.end());
      r.insert(r.end(), pairs[i].next_return.begin(), pairs[i].next_return.end());
      const TradingResult& t = scored[i].methods.at(k).card.trading;
      const double share = 1.0 / static_cast<double>(pairs.size());
      trade.strategy_return += share * t.strategy_return;
      trade.buy_and_hold_return += share * t.buy_and_hold_return;
      trade.exposure += share * t.exposure;
      trade.trades += t.trades;
    }
    MethodScore ms{first.name, first.group, score(p, y, r, pairs.front().horizon, o.cost), {}, {}, {}, {}};
    ms.card.trading = trade;
    rows.p = p;
    rows.y = y;
    add_edge_and_folds(ms, rows, pairs.front().horizon);
    s.methods.push_back(std::move(ms));
  }
  return s;
}

std::string utc_text(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%MZ", &tm);
  return buf;
}

std::string pct(double v) { return fmt::format("{:.1f}%", 100.0 * v); }

std::string table(const PairScores& s) {
  std::ostringstream out;
  out << "| method | n | accuracy | 95% CI | Brier | log loss | AUC | ECE | top 10% acc | top 20% acc | mean p | "
         "long/flat | trades | buy & hold |\n";
  out << "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& m : s.methods) {
    const ScoreCard& c = m.card;
    out << fmt::format("| {} | {} | {} | {}–{} | {:.4f} | {:.4f} | {:.3f} | {:.3f} | {} | {} | {:.3f} | {} | {} | {} |\n",
                       m.name, c.samples, pct(c.accuracy), pct(c.accuracy_ci.low), pct(c.accuracy_ci.high), c.brier,
                       c.log_loss, c.auc, c.ece, pct(c.top10_accuracy), pct(c.top20_accuracy), c.mean_probability,
                       pct(c.trading.strategy_return), c.trading.trades, pct(c.trading.buy_and_hold_return));
  }
  return out.str();
}

std::string edge_table(const PairScores& s) {
  std::ostringstream out;
  out << "| method | Brier gain vs base rate | bootstrap 95% CI | edge | folds | Brier (fold mean) | fold 95% CI | "
         "AUC (fold mean) | fold 95% CI |\n";
  out << "|---|---:|---|---|---:|---:|---|---:|---|\n";
  for (const auto& m : s.methods) {
    if (m.group == "uncalibrated" || m.name == kBaseRate) continue;
    out << fmt::format("| {} | {:+.5f} | {:+.5f} to {:+.5f} | {} | {} | {:.4f} | {:.4f}–{:.4f} | {:.3f} | {:.3f}–{:.3f} |\n",
                       m.name, m.edge.improvement, m.edge.low, m.edge.high, m.edge.verdict, m.brier_folds.folds,
                       m.brier_folds.mean, m.brier_folds.low, m.brier_folds.high, m.auc_folds.mean, m.auc_folds.low,
                       m.auc_folds.high);
  }
  return out.str();
}

const MethodScore* best_of(const PairScores& s, bool baseline, bool by_accuracy) {
  const MethodScore* best = nullptr;
  for (const auto& m : s.methods) {
    const bool is_baseline = m.group == "baseline";
    if (is_baseline != baseline || m.group == "uncalibrated") continue;
    // always-up's probability is a hard 1: its Brier score is not a fair bar for probabilities.
    if (!by_accuracy && m.name == "always-up") continue;
    if (!best || (by_accuracy ? m.card.accuracy > best->card.accuracy : m.card.brier < best->card.brier))
      best = &m;
  }
  return best;
}

const MethodScore* best_return(const PairScores& s, bool baseline) {
  const MethodScore* best = nullptr;
  for (const auto& m : s.methods) {
    if ((m.group == "baseline") != baseline || m.group == "uncalibrated") continue;
    if (!best || m.card.trading.strategy_return > best->card.trading.strategy_return) best = &m;
  }
  return best;
}

std::string verdict(const PairScores& s) {
  const auto* acc_m = best_of(s, false, true);
  const auto* acc_b = best_of(s, true, true);
  const auto* bri_m = best_of(s, false, false);
  const auto* bri_b = best_of(s, true, false);
  const auto* ret_m = best_return(s, false);
  if (!acc_m || !acc_b || !bri_m || !bri_b || !ret_m) return s.pair + ": not enough methods to compare.";
  const double bh = ret_m->card.trading.buy_and_hold_return;
  const bool acc_clear = acc_m->card.accuracy_ci.low > acc_b->card.accuracy;
  std::string text = fmt::format("**{}**: best model/ensemble accuracy {} ({}) vs best baseline {} ({}) — ", s.pair,
                                 pct(acc_m->card.accuracy), acc_m->name, pct(acc_b->card.accuracy), acc_b->name);
  if (acc_m->card.accuracy <= acc_b->card.accuracy)
    text += "the models do **not** beat the baseline on accuracy";
  else if (!acc_clear)
    text += "higher, but inside the 95% interval (not a demonstrated edge)";
  else
    text += "higher, with the 95% interval above the baseline";
  text += fmt::format("; Brier {:.4f} ({}) vs {:.4f} ({}) — {}", bri_m->card.brier, bri_m->name, bri_b->card.brier,
                      bri_b->name, bri_m->card.brier < bri_b->card.brier ? "better" : "**not better**");
  text += fmt::format("; best long/flat return {} ({}) vs buy & hold {} — {}.", pct(ret_m->card.trading.strategy_return),
                      ret_m->name, pct(bh), ret_m->card.trading.strategy_return > bh ? "ahead" : "**behind**");
  return text;
}

}  // namespace

nlohmann::json EdgeScore::to_json() const {
  return {{"brierImprovement", improvement}, {"low", low}, {"high", high}, {"block", block}, {"verdict", verdict}};
}

nlohmann::json FoldSpread::to_json() const { return {{"folds", folds}, {"mean", mean}, {"low", low}, {"high", high}}; }

FoldSpread fold_spread(const std::vector<double>& v) {
  FoldSpread f;
  f.folds = v.size();
  if (v.empty()) return f;
  for (double x : v) f.mean += x;
  f.mean /= static_cast<double>(v.size());
  if (v.size() < 2) {
    f.low = f.high = f.mean;
    return f;
  }
  double ss = 0.0;
  for (double x : v) ss += (x - f.mean) * (x - f.mean);
  const double se = std::sqrt(ss / static_cast<double>(v.size() - 1) / static_cast<double>(v.size()));
  const double t = t975(v.size() - 1);
  f.low = f.mean - t * se;
  f.high = f.mean + t * se;
  return f;
}

const MethodScore* PairScores::find(const std::string& name) const {
  for (const auto& m : methods)
    if (m.name == name) return &m;
  return nullptr;
}

EvaluationReport build_report(const std::vector<PairEvaluation>& pairs, const EvaluationOptions& options) {
  EvaluationReport r;
  for (const auto& e : pairs) {
    r.pairs.push_back(score_pair(e, options));
    r.seconds += e.seconds;
  }
  r.pooled = pool(pairs, r.pairs, options);
  const auto& w = options.walk;
  nlohmann::json models = nlohmann::json::array();
  for (auto t : options.models) models.push_back(to_string(t));
  r.settings = {{"trainWindow", w.train_window},     {"block", w.block},
                {"blocks", w.blocks},                {"retrainEvery", w.retrain_every},
                {"sequenceLength", w.sequence_length}, {"horizon", w.horizon},
                {"validationFraction", options.validation_fraction},
                {"costPerTrade", options.cost},      {"models", models},
                {"epochs", options.train.epochs},    {"patience", options.train.patience},
                {"batchSize", options.train.batch_size}, {"learningRate", options.train.learning_rate},
                {"seed", options.train.seed},        {"torchThreads", options.train.torch_threads}};
  nlohmann::json arch;
  for (auto t : options.models)
    arch[to_string(t)] = options.train.architecture.empty() ? small_architecture(t) : options.train.architecture;
  r.settings["architecture"] = arch;
  return r;
}

std::vector<std::string> verdicts(const EvaluationReport& report) {
  std::vector<std::string> out;
  for (const auto& p : report.pairs) out.push_back(verdict(p));
  out.push_back(verdict(report.pooled));
  return out;
}

std::string to_markdown(const EvaluationReport& report, const std::vector<PairEvaluation>& pairs) {
  std::ostringstream out;
  out << "# Walk-forward evaluation\n\n";
  if (!report.command.empty()) out << "Command:\n\n```\n" << report.command << "\n```\n\n";
  const auto& s = report.settings;
  out << fmt::format(
      "Settings: train window {} candles (last {:.0f}% of its windows for validation: early stopping, "
      "calibration, logistic L2), {} blocks of {} label candles, retrain every {} block(s), sequence {} , "
      "horizon {}, cost {:.2f}% per trade. Compute time {:.0f} s.\n\n",
      s.at("trainWindow").get<std::size_t>(), 100.0 * s.at("validationFraction").get<double>(),
      s.at("blocks").get<std::size_t>(), s.at("block").get<std::size_t>(), s.at("retrainEvery").get<std::size_t>(),
      s.at("sequenceLength").get<std::size_t>(), s.at("horizon").get<std::size_t>(),
      100.0 * s.at("costPerTrade").get<double>(), report.seconds);
  out << "Accuracy interval: Wilson 95% on n / horizon effective samples (neighbouring labels overlap). "
         "Long/flat: long while p > 0.5, flat otherwise, one-candle steps, cost on every entry and exit; "
         "buy & hold pays one entry and one exit. always-up predicts p = 1 (its Brier/log loss show the "
         "cost of false certainty).\n\n";
  out << "## Verdict\n\n";
  for (const auto& v : verdicts(report)) out << "- " << v << "\n";
  out << "\n## Pooled (all pairs)\n\n" << table(report.pooled) << "\n";
  out << "### Edge over the running base rate, and spread across folds (pooled)\n\n"
         "Brier gain = running base rate's Brier − the method's, per window (positive: better than the base rate); "
         "interval: circular block bootstrap of its mean (blocks of 2 × horizon windows, 1,000 resamples); "
         "the edge is *real* only when the whole interval lies above zero. Fold columns: the metric in each "
         "fold (all pairs together), mean and Student-t 95% interval across folds. \"ensemble stacked\" uses "
         "the weighted ensemble in the first fold (no earlier out-of-fold predictions).\n\n"
      << edge_table(report.pooled) << "\n";
  for (std::size_t i = 0; i < report.pairs.size(); ++i) {
    const auto& p = report.pairs[i];
    out << "## " << p.pair << "\n\n";
    if (i < pairs.size() && !pairs[i].timestamp.empty())
      out << fmt::format("Scored windows from {} to {} ({} folds).\n\n", utc_text(pairs[i].timestamp.front()),
                         utc_text(pairs[i].timestamp.back()), pairs[i].folds.size());
    out << table(p) << "\n";
    out << "Edge over the running base rate (" << p.pair << "):\n\n" << edge_table(p) << "\n";
  }
  return out.str();
}

nlohmann::json to_json(const EvaluationReport& report, const std::vector<PairEvaluation>& pairs) {
  nlohmann::json j;
  j["command"] = report.command;
  j["settings"] = report.settings;
  j["computeSeconds"] = report.seconds;
  j["verdicts"] = verdicts(report);
  auto methods_json = [](const PairScores& s, bool equity) {
    nlohmann::json m = nlohmann::json::array();
    for (const auto& x : s.methods) {
      auto c = x.card.to_json(equity);
      c["name"] = x.name;
      c["group"] = x.group;
      c["edgeVsBaseRate"] = x.edge.to_json();
      c["folds"] = {{"brier", x.brier_folds.to_json()}, {"auc", x.auc_folds.to_json()},
                    {"brierGainVsBaseRate", x.brier_gain_folds.to_json()}};
      m.push_back(std::move(c));
    }
    return m;
  };
  j["pooled"] = {{"methods", methods_json(report.pooled, false)}};
  j["pairs"] = nlohmann::json::array();
  for (std::size_t i = 0; i < report.pairs.size(); ++i) {
    nlohmann::json p{{"pair", report.pairs[i].pair}, {"methods", methods_json(report.pairs[i], false)}};
    if (i < pairs.size()) {
      const auto& e = pairs[i];
      p["seconds"] = e.seconds;
      p["scored"] = e.label.size();
      nlohmann::json folds = nlohmann::json::array();
      for (const auto& f : e.folds) folds.push_back(f.to_json());
      p["folds"] = folds;
    }
    j["pairs"].push_back(std::move(p));
  }
  return j;
}

}  // namespace tbml::evaluation
