#include "tbml/evaluation/volatility_evaluator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "tbml/volatility/realised.h"

namespace tbml::evaluation {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

constexpr const char* kServed = "served";

double mean_of(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

struct Losses {
  std::vector<double> qlike, sq_log, covered, pin10, pin50, pin90;
};

Losses losses_of(const VolatilityPairEvaluation& e, std::size_t m) {
  Losses l;
  const auto& p = e.methods.at(m);
  for (std::size_t i = 0; i < e.now.size(); ++i) {
    const VolatilityLoss x = volatility_loss(e.rv[i], e.ret[i], p.variance[i], p.q10[i], p.q50[i], p.q90[i], e.floor[i]);
    l.qlike.push_back(x.qlike);
    l.sq_log.push_back(x.sq_log);
    l.covered.push_back(x.covered);
    l.pin10.push_back(x.pinball10);
    l.pin50.push_back(x.pinball50);
    l.pin90.push_back(x.pinball90);
  }
  return l;
}

void append(Losses& to, const Losses& from) {
  auto cat = [](std::vector<double>& a, const std::vector<double>& b) { a.insert(a.end(), b.begin(), b.end()); };
  cat(to.qlike, from.qlike);
  cat(to.sq_log, from.sq_log);
  cat(to.covered, from.covered);
  cat(to.pin10, from.pin10);
  cat(to.pin50, from.pin50);
  cat(to.pin90, from.pin90);
}

std::size_t index_of(const std::vector<std::string>& names, const std::string& name) {
  return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

}  // namespace

void VolatilityEvaluationOptions::validate() const {
  walk.validate();
  train.validate();
  if (bootstrap_resamples == 0) throw std::invalid_argument("bootstrap_resamples must be positive");
}

std::vector<std::string> volatility_method_names() {
  std::vector<std::string> out;
  for (volatility::Member m : volatility::all_members()) out.push_back(volatility::to_string(m));
  out.push_back(kServed);
  return out;
}

VolatilityLoss volatility_loss(double rv, double ret, double variance, double q10, double q50, double q90,
                               double floor) {
  VolatilityLoss l;
  l.qlike = volatility::qlike(rv, variance, floor);
  const double d = std::log(std::max(rv, floor)) - std::log(std::max(variance, floor));
  l.sq_log = d * d;
  l.covered = (ret >= q10 && ret <= q90) ? 1.0 : 0.0;
  auto pin = [&](double q, double p) { return std::max(p * (ret - q), (p - 1.0) * (ret - q)); };
  l.pinball10 = pin(q10, 0.1);
  l.pinball50 = pin(q50, 0.5);
  l.pinball90 = pin(q90, 0.9);
  return l;
}

VolatilityPairEvaluation evaluate_volatility_pair(const Series& series, std::size_t horizon,
                                                  const VolatilityEvaluationOptions& options,
                                                  const EvaluationProgress& progress) {
  const auto started = Clock::now();
  VolatilityEvaluationOptions o = options;
  o.walk.horizon = horizon;
  o.train.horizon = horizon;
  o.train.max_candles = 0;
  o.validate();
  const std::vector<Fold> folds = plan_folds(series.size(), o.walk);
  const std::vector<double> returns = volatility::log_returns(series);
  const volatility::Targets targets = volatility::realised_targets(series, returns, horizon);
  const std::vector<std::string> names = volatility_method_names();

  VolatilityPairEvaluation e;
  e.pair = series.pair;
  e.horizon = horizon;
  for (const auto& n : names) e.methods.push_back(VolatilityPath{n, {}, {}, {}, {}});
  for (const Fold& fold : folds) {
    const auto fold_started = Clock::now();
    const std::size_t k = &fold - folds.data();
    if (progress)
      progress(fmt::format("{} volatility h={} fold {}/{}: training", series.pair, horizon, k + 1, folds.size()));
    const Series train_part = slice_series(series, fold.train_begin, fold.train_end);
    const volatility::VolatilityTrainResult trained = volatility::train_volatility_model(train_part, o.train);
    const volatility::VolatilityModel& model = *trained.model;
    std::map<std::string, std::size_t> replaced;
    std::vector<volatility::Member> use;
    for (volatility::Member m : volatility::all_members()) {
      if (model.has(m)) {
        use.push_back(m);
      } else {
        use.push_back(volatility::Member::kGarch);
        replaced[volatility::to_string(m)] = 1;
      }
    }
    use.push_back(model.served());
    FoldRecord record;
    record.fold = fold;
    std::size_t scored = 0;
    for (std::size_t t = fold.test_begin; t < fold.test_end; ++t) {
      if (!targets.valid[t]) {
        ++e.skipped;
        continue;
      }
      std::vector<volatility::VolatilityForecast> f;
      try {
        for (volatility::Member m : use) f.push_back(model.forecast_at(series, t, m));
      } catch (const std::invalid_argument&) {  // inputs too close after a gap
        ++e.skipped;
        continue;
      }
      for (std::size_t m = 0; m < f.size(); ++m) {
        e.methods[m].variance.push_back(f[m].variance);
        e.methods[m].q10.push_back(f[m].q10);
        e.methods[m].q50.push_back(f[m].q50);
        e.methods[m].q90.push_back(f[m].q90);
      }
      e.now.push_back(t);
      e.timestamp.push_back(series.candles[t].timestamp);
      e.rv.push_back(targets.rv[t]);
      e.ret.push_back(targets.ret[t]);
      e.floor.push_back(model.parts().spec.floor);
      e.fold_of.push_back(e.folds.size());
      if (scored == 0) record.test_from = series.candles[t].timestamp;
      record.test_to = series.candles[t].timestamp;
      ++scored;
    }
    if (scored == 0) continue;
    record.scored = scored;
    record.train_from = series.candles[fold.train_begin].timestamp;
    record.train_to = series.candles[fold.train_end - 1].timestamp;
    record.seconds = seconds_since(fold_started);
    record.details = {{"served", volatility::to_string(model.served())},
                      {"replacedByGarch", replaced},
                      {"rvFloor", model.parts().spec.floor},
                      {"innerReport", trained.report}};
    record.details["innerReport"].erase("parameters");  // the fitted parameters are kept below, compactly
    record.details["garch"] = model.parts().garch.to_json();
    record.details["network"] = trained.report.at("parameters").value("network", nlohmann::json());
    if (progress)
      progress(fmt::format("{} volatility h={} fold {}/{}: {} forecasts in {:.1f} s (serves {})", series.pair, horizon,
                           k + 1, folds.size(), scored, record.seconds, volatility::to_string(model.served())));
    e.folds.push_back(std::move(record));
  }
  if (e.now.empty()) throw std::invalid_argument(series.pair + ": no volatility forecast could be scored (gaps?)");
  e.seconds = seconds_since(started);
  return e;
}

nlohmann::json VolatilityMethodScore::to_json() const {
  return {{"name", name},
          {"samples", samples},
          {"qlike", qlike},
          {"mseLogVar", mse_log_var},
          {"coverage80", coverage80},
          {"pinball", {{"q10", pinball10}, {"q50", pinball50}, {"q90", pinball90}, {"mean", pinball_mean()}}},
          {"folds", {{"qlike", qlike_folds.to_json()}, {"coverage80", coverage_folds.to_json()}}},
          {"qlikeMinusEwma", vs_ewma.to_json()},
          {"qlikeMinusGarch", vs_garch.to_json()}};
}

const VolatilityMethodScore* VolatilityScores::find(const std::string& name) const {
  for (const auto& m : methods)
    if (m.name == name) return &m;
  return nullptr;
}

VolatilityScores score_volatility(const std::vector<VolatilityPairEvaluation>& pairs, const std::string& name,
                                  const VolatilityEvaluationOptions& options) {
  VolatilityScores s;
  s.pair = name;
  if (pairs.empty()) return s;
  s.horizon = pairs.front().horizon;
  const std::vector<std::string> names = volatility_method_names();
  std::vector<Losses> all(names.size());
  std::vector<std::size_t> fold;
  for (const auto& e : pairs) {
    if (e.methods.size() != names.size() || e.horizon != s.horizon)
      throw std::invalid_argument("score_volatility: pairs evaluated differently");
    for (std::size_t m = 0; m < names.size(); ++m) append(all[m], losses_of(e, m));
    fold.insert(fold.end(), e.fold_of.begin(), e.fold_of.end());
  }
  const std::size_t n = fold.size();
  std::size_t folds = 0;
  for (std::size_t f : fold) folds = std::max(folds, f + 1);
  const std::size_t block = volatility::default_block_length(n, s.horizon);
  const std::size_t ewma = index_of(names, "ewma"), garch = index_of(names, "garch");
  for (std::size_t m = 0; m < names.size(); ++m) {
    const Losses& l = all[m];
    VolatilityMethodScore ms;
    ms.name = names[m];
    ms.samples = n;
    ms.qlike = mean_of(l.qlike);
    ms.mse_log_var = mean_of(l.sq_log);
    ms.coverage80 = mean_of(l.covered);
    ms.pinball10 = mean_of(l.pin10);
    ms.pinball50 = mean_of(l.pin50);
    ms.pinball90 = mean_of(l.pin90);
    std::vector<double> q(folds, 0.0), c(folds, 0.0), count(folds, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      q[fold[i]] += l.qlike[i];
      c[fold[i]] += l.covered[i];
      count[fold[i]] += 1.0;
    }
    std::vector<double> qf, cf;
    for (std::size_t k = 0; k < folds; ++k)
      if (count[k] > 0) {
        qf.push_back(q[k] / count[k]);
        cf.push_back(c[k] / count[k]);
      }
    ms.qlike_folds = fold_spread(qf);
    ms.coverage_folds = fold_spread(cf);
    if (n >= 2) {
      ms.vs_ewma = volatility::paired_block_bootstrap(l.qlike, all[ewma].qlike, block, options.bootstrap_resamples,
                                                      options.bootstrap_seed);
      ms.vs_garch = volatility::paired_block_bootstrap(l.qlike, all[garch].qlike, block, options.bootstrap_resamples,
                                                       options.bootstrap_seed);
    }
    s.methods.push_back(std::move(ms));
  }
  return s;
}

VolatilityReport build_volatility_report(const std::vector<std::vector<VolatilityPairEvaluation>>& by_horizon,
                                         const VolatilityEvaluationOptions& options) {
  VolatilityReport r;
  for (const auto& pairs : by_horizon) {
    if (pairs.empty()) continue;
    r.horizons.push_back(pairs.front().horizon);
    std::vector<VolatilityScores> per;
    for (const auto& e : pairs) {
      per.push_back(score_volatility({e}, e.pair, options));
      r.seconds += e.seconds;
    }
    r.pairs.push_back(std::move(per));
    r.pooled.push_back(score_volatility(pairs, "pooled", options));
  }
  const auto& w = options.walk;
  r.settings = {{"trainWindow", w.train_window},
                {"block", w.block},
                {"blocks", w.blocks},
                {"retrainEvery", w.retrain_every},
                {"horizons", r.horizons},
                {"lookbacks", options.train.lookbacks},
                {"window", options.train.window},
                {"ewmaLambda", options.train.ewma_lambda},
                {"innerSplit", {{"train", options.train.split.train_fraction},
                                {"validation", options.train.split.validation_fraction}}},
                {"treeTarget", volatility::to_string(options.train.tree_target)},
                {"network", !options.train.fit_network ? nlohmann::json("off")
                            : options.train.network   ? nlohmann::json(options.train.network->name)
                                                      : nlohmann::json("registered candidate, if any")},
                {"bootstrapResamples", options.bootstrap_resamples},
                {"bootstrapSeed", options.bootstrap_seed}};
  return r;
}

namespace {

std::string interval_text(const volatility::BootstrapInterval& b) {
  const char* verdict = b.a_better() ? "**better**" : b.b_better() ? "worse" : "no difference";
  return fmt::format("{:+.4f} ({:+.4f} to {:+.4f}) {}", b.mean_difference, b.low, b.high, verdict);
}

std::string vol_table(const VolatilityScores& s) {
  std::ostringstream out;
  out << "| method | n | QLIKE | fold 95% CI | MSE log var | 80% coverage | fold 95% CI | pinball 10/50/90 (×1e3) | "
         "QLIKE − EWMA (95% CI) | QLIKE − GARCH (95% CI) |\n";
  out << "|---|---:|---:|---|---:|---:|---|---|---|---|\n";
  for (const auto& m : s.methods) {
    out << fmt::format("| {} | {} | {:.4f} | {:.4f}–{:.4f} | {:.3f} | {:.1f}% | {:.1f}%–{:.1f}% | {:.3f} / {:.3f} / {:.3f} | "
                       "{} | {} |\n",
                       m.name, m.samples, m.qlike, m.qlike_folds.low, m.qlike_folds.high, m.mse_log_var,
                       100.0 * m.coverage80, 100.0 * m.coverage_folds.low, 100.0 * m.coverage_folds.high,
                       1e3 * m.pinball10, 1e3 * m.pinball50, 1e3 * m.pinball90,
                       m.name == "ewma" ? "—" : interval_text(m.vs_ewma),
                       m.name == "garch" ? "—" : interval_text(m.vs_garch));
  }
  return out.str();
}

std::string vol_verdict(const VolatilityScores& s) {
  const auto* ewma = s.find("ewma");
  const auto* garch = s.find("garch");
  const VolatilityMethodScore* best = nullptr;
  for (const auto& m : s.methods)
    if (!best || m.qlike < best->qlike) best = &m;
  if (!ewma || !garch || !best) return s.pair + ": not enough methods.";
  std::string text = fmt::format("**h={} {}**: lowest QLIKE {:.4f} ({}) vs EWMA {:.4f} and GARCH {:.4f}", s.horizon,
                                 s.pair, best->qlike, best->name, ewma->qlike, garch->qlike);
  std::vector<std::string> beats_both, beats_ewma;
  for (const auto& m : s.methods) {
    if (m.name == "ewma" || m.name == "garch") continue;
    if (m.vs_ewma.a_better() && m.vs_garch.a_better()) beats_both.push_back(m.name);
    else if (m.vs_ewma.a_better()) beats_ewma.push_back(m.name);
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string o;
    for (const auto& x : v) o += (o.empty() ? "" : ", ") + x;
    return o;
  };
  text += beats_both.empty() ? "; no method beats both EWMA and GARCH outside the bootstrap interval"
                             : "; beat both EWMA and GARCH (interval below 0): " + join(beats_both);
  if (!beats_ewma.empty()) text += "; beat EWMA only: " + join(beats_ewma);
  if (garch->vs_ewma.a_better()) text += "; GARCH beats EWMA";
  else if (garch->vs_ewma.b_better()) text += "; EWMA beats GARCH";
  text += fmt::format(". 80% coverage: {}.", [&] {
    std::string c;
    for (const auto& m : s.methods) c += (c.empty() ? "" : ", ") + fmt::format("{} {:.1f}%", m.name, 100.0 * m.coverage80);
    return c;
  }());
  return text;
}

}  // namespace

std::string volatility_markdown(const VolatilityReport& report) {
  std::ostringstream out;
  out << "# Volatility: walk-forward evaluation\n\n";
  const auto& s = report.settings;
  out << fmt::format(
      "Settings: train window {} candles per fold (inside it a 60/20/20 chronological split with embargo: fit / "
      "calibrate quantiles and choose / inner test), {} blocks of {} target candles, retrain every {} block(s), "
      "EWMA λ {}, horizons {}. Compute time {:.0f} s.\n\n",
      s.at("trainWindow").get<std::size_t>(), s.at("blocks").get<std::size_t>(), s.at("block").get<std::size_t>(),
      s.at("retrainEvery").get<std::size_t>(), s.at("ewmaLambda").get<double>(), s.at("horizons").dump(),
      report.seconds);
  out << "QLIKE = RV/σ̂² − log(RV/σ̂²) − 1 (0 = perfect; floored at 1e-3 × the fold's mean training RV); MSE of "
         "log variance; coverage of the 80% interval [q10, q90] of the h-candle log return; pinball loss ×1e3. "
         "Fold CI: mean over folds ± Student-t. QLIKE − baseline: mean difference with a paired circular block "
         "bootstrap 95% interval (block max(h, √n)); negative = the method has the lower loss, **better** only "
         "when the whole interval is below 0. \"served\" is the member the service's rule picks in each fold; "
         "a member a fold did not fit is replaced by GARCH there (counted in the JSON).\n\n";
  out << "## Verdict\n\n";
  for (std::size_t h = 0; h < report.horizons.size(); ++h) out << "- " << vol_verdict(report.pooled[h]) << "\n";
  out << "\n";
  for (std::size_t h = 0; h < report.horizons.size(); ++h) {
    out << fmt::format("## Horizon {} h: pooled (all pairs)\n\n", report.horizons[h]) << vol_table(report.pooled[h])
        << "\n";
    for (const auto& p : report.pairs[h])
      out << fmt::format("### Horizon {} h: {}\n\n", report.horizons[h], p.pair) << vol_table(p) << "\n";
  }
  return out.str();
}

nlohmann::json volatility_json(const VolatilityReport& report,
                               const std::vector<std::vector<VolatilityPairEvaluation>>& by_horizon) {
  nlohmann::json j;
  j["settings"] = report.settings;
  j["computeSeconds"] = report.seconds;
  j["horizons"] = nlohmann::json::array();
  for (std::size_t h = 0; h < report.horizons.size(); ++h) {
    nlohmann::json hj;
    hj["horizon"] = report.horizons[h];
    hj["verdict"] = vol_verdict(report.pooled[h]);
    auto methods = [](const VolatilityScores& s) {
      nlohmann::json m = nlohmann::json::array();
      for (const auto& x : s.methods) m.push_back(x.to_json());
      return m;
    };
    hj["pooled"] = methods(report.pooled[h]);
    hj["pairs"] = nlohmann::json::array();
    for (std::size_t p = 0; p < report.pairs[h].size(); ++p) {
      nlohmann::json pj{{"pair", report.pairs[h][p].pair}, {"methods", methods(report.pairs[h][p])}};
      if (h < by_horizon.size() && p < by_horizon[h].size()) {
        const auto& e = by_horizon[h][p];
        pj["seconds"] = e.seconds;
        pj["scored"] = e.now.size();
        pj["skipped"] = e.skipped;
        nlohmann::json folds = nlohmann::json::array();
        for (const auto& f : e.folds) folds.push_back(f.to_json());
        pj["folds"] = folds;
      }
      hj["pairs"].push_back(std::move(pj));
    }
    j["horizons"].push_back(std::move(hj));
  }
  return j;
}

}  // namespace tbml::evaluation
