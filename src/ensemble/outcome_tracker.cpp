#include "tbml/ensemble/outcome_tracker.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "tbml/util/time.h"

namespace tbml {

TrackedPrediction tracked_from_snapshot(const PredictionSnapshot& snapshot, double close,
                                        const WeightMap& weights) {
  if (snapshot.models.empty()) {
    throw std::invalid_argument("snapshot for " + snapshot.pair + " has no successful model prediction");
  }
  TrackedPrediction p;
  p.pair = snapshot.pair;
  p.candle_ts = snapshot.data_timestamp;
  p.close = close;
  p.horizon = snapshot.horizon;
  p.made_at = snapshot.computed_at;
  std::vector<ModelVote> votes;
  for (const auto& m : snapshot.models) {
    p.models[m.model] = m.probability;
    votes.push_back(ModelVote{m.model, m.probability, weight_for(weights, m.model)});
  }
  for (Strategy s : all_strategies()) p.ensemble[to_string(s)] = combine(votes, s).probability;
  return p;
}

namespace {

bool valid_probability(double p) { return std::isfinite(p) && p >= 0.0 && p <= 1.0; }

std::string check_record(const TrackedPrediction& p) {
  if (p.pair.empty()) return "prediction has no pair";
  if (p.horizon == 0) return "horizon must be at least 1";
  if (!std::isfinite(p.close)) return "close at the prediction candle must be finite";
  if (p.models.empty()) return "prediction has no model probabilities";
  for (const auto& [name, prob] : p.models) {
    if (!valid_probability(prob)) return "probability of '" + name + "' must be finite and in [0, 1]";
  }
  for (const auto& [name, prob] : p.ensemble) {
    if (!valid_probability(prob)) return "ensemble probability for '" + name + "' must be finite and in [0, 1]";
  }
  return {};
}

// Running sums for RollingStats.
struct Accumulator {
  std::size_t count = 0, correct = 0, ups = 0;
  double brier = 0.0, log_loss = 0.0, p_sum = 0.0;

  void add(double p, int y) {
    ++count;
    if ((p > 0.5 ? 1 : 0) == y) ++correct;
    ups += static_cast<std::size_t>(y);
    brier += (p - y) * (p - y);
    const double q = std::clamp(p, 1e-7, 1.0 - 1e-7);
    log_loss += -(y * std::log(q) + (1 - y) * std::log(1.0 - q));
    p_sum += p;
  }

  RollingStats finish() const {
    RollingStats s;
    s.count = count;
    if (count == 0) return s;
    const double n = static_cast<double>(count);
    s.accuracy = static_cast<double>(correct) / n;
    s.brier = brier / n;
    s.log_loss = log_loss / n;
    s.base_rate = static_cast<double>(ups) / n;
    s.baseline_brier = s.base_rate * (1.0 - s.base_rate);
    s.mean_probability = p_sum / n;
    return s;
  }
};

}  // namespace

OutcomeTracker::OutcomeTracker(OutcomeTrackerOptions options) : options_(options) {
  if (options_.window == 0) throw std::invalid_argument("outcome tracker window must be at least 1");
  if (options_.max_pending == 0) throw std::invalid_argument("outcome tracker max_pending must be at least 1");
  if (!std::isfinite(options_.weight_floor) || options_.weight_floor < 0.0 || options_.weight_floor > 1.0) {
    throw std::invalid_argument("outcome tracker weight_floor must be in [0, 1]");
  }
  if (!std::isfinite(options_.skill_temperature) || options_.skill_temperature <= 0.0) {
    throw std::invalid_argument("outcome tracker skill_temperature must be positive");
  }
}

bool OutcomeTracker::outcome_known(const PairState& state, const TrackedPrediction& p) const {
  auto it = state.candles.upper_bound(p.candle_ts);
  std::size_t later = 0;
  for (; it != state.candles.end() && later < p.horizon; ++it) ++later;
  return later >= p.horizon;
}

void OutcomeTracker::add_pending(PairState& state, const TrackedPrediction& p) {
  auto [it, inserted] = state.pending.insert_or_assign(p.candle_ts, p);
  if (!inserted) ++state.replaced;
  while (state.pending.size() > options_.max_pending) {
    state.pending.erase(state.pending.begin());
    ++state.dropped;
  }
}

RecordResult OutcomeTracker::record(const TrackedPrediction& prediction) {
  std::lock_guard lock(mutex_);
  const std::string problem = check_record(prediction);
  if (prediction.pair.empty()) return {false, problem};
  PairState& state = pairs_[prediction.pair];
  if (!problem.empty()) {
    ++state.rejected;
    return {false, problem};
  }
  if (outcome_known(state, prediction)) {
    ++state.rejected;
    return {false, fmt::format("outcome of candle {} is already known ({} later candles seen); not scored",
                               prediction.candle_ts, prediction.horizon)};
  }
  // The candle itself anchors the step count; remember it if the poller has not delivered it yet.
  state.candles.emplace(prediction.candle_ts, prediction.close);
  ++state.recorded;
  add_pending(state, prediction);
  return {true, {}};
}

void OutcomeTracker::push_resolved(PairState& state, ResolvedPrediction r) {
  state.window.push_back(std::move(r));
  while (state.window.size() > options_.window) state.window.pop_front();
}

std::vector<ResolvedPrediction> OutcomeTracker::resolve(PairState& state, std::int64_t now_ms) {
  std::vector<ResolvedPrediction> out;
  for (auto it = state.pending.begin(); it != state.pending.end();) {
    const TrackedPrediction& p = it->second;
    auto anchor = state.candles.find(p.candle_ts);
    if (anchor == state.candles.end()) {
      ++it;  // its candle has not been seen: cannot count steps from it yet
      continue;
    }
    auto target = anchor;
    std::size_t steps = 0;
    while (steps < p.horizon && std::next(target) != state.candles.end()) {
      ++target;
      ++steps;
    }
    if (steps < p.horizon) {
      ++it;
      continue;
    }
    ResolvedPrediction r;
    r.prediction = p;
    r.outcome_ts = target->first;
    r.outcome_close = target->second;
    r.outcome = target->second > anchor->second ? 1 : 0;
    r.resolved_at = now_ms;
    ++state.resolved;
    out.push_back(r);
    push_resolved(state, std::move(r));
    it = state.pending.erase(it);
  }
  return out;
}

void OutcomeTracker::trim_candles(PairState& state) {
  // Keep every candle from the oldest pending prediction on, plus a recent tail.
  if (state.candles.size() <= options_.keep_candles) return;
  std::int64_t keep_from = state.pending.empty() ? INT64_MAX : state.pending.begin()->first;
  if (options_.keep_candles > 0) {
    auto tail = std::prev(state.candles.end(), static_cast<std::ptrdiff_t>(options_.keep_candles));
    keep_from = std::min(keep_from, tail->first);
  }
  state.candles.erase(state.candles.begin(), state.candles.lower_bound(keep_from));
}

std::vector<ResolvedPrediction> OutcomeTracker::on_candles(const std::string& pair,
                                                           const std::vector<CandleClose>& candles,
                                                           std::int64_t now_ms) {
  if (now_ms == 0) now_ms = tbml::now_ms();
  std::lock_guard lock(mutex_);
  PairState& state = pairs_[pair];
  for (const auto& c : candles) {
    if (std::isfinite(c.close)) state.candles[c.timestamp] = c.close;
  }
  auto out = resolve(state, now_ms);
  trim_candles(state);
  return out;
}

std::vector<ResolvedPrediction> OutcomeTracker::on_candles(const std::string& pair,
                                                           const std::vector<Candle>& candles,
                                                           std::int64_t now_ms) {
  std::vector<CandleClose> closes;
  closes.reserve(candles.size());
  for (const auto& c : candles) closes.push_back(CandleClose{c.timestamp, c.close});
  return on_candles(pair, closes, now_ms);
}

PairStats OutcomeTracker::stats(const std::string& pair, Strategy reference) const {
  std::lock_guard lock(mutex_);
  PairStats out;
  out.pair = pair;
  out.window = options_.window;
  auto found = pairs_.find(pair);
  if (found == pairs_.end()) return out;
  const PairState& state = found->second;
  out.recorded = state.recorded;
  out.resolved = state.resolved;
  out.pending = state.pending.size();
  out.replaced = state.replaced;
  out.dropped = state.dropped;
  out.rejected = state.rejected;

  const std::string ref = to_string(reference);
  std::map<std::string, Accumulator> models, ensemble;
  std::map<std::string, std::pair<std::size_t, std::size_t>> agree;  // agreeing, compared
  for (const auto& r : state.window) {
    const auto ref_it = r.prediction.ensemble.find(ref);
    for (const auto& [name, p] : r.prediction.models) {
      models[name].add(p, r.outcome);
      if (ref_it != r.prediction.ensemble.end()) {
        auto& a = agree[name];
        a.second++;
        if (direction_of(p) == direction_of(ref_it->second)) a.first++;
      }
    }
    for (const auto& [name, p] : r.prediction.ensemble) ensemble[name].add(p, r.outcome);
  }
  for (const auto& [name, acc] : models) {
    ModelStats m;
    m.realised = acc.finish();
    const auto& a = agree[name];
    m.agreement_count = a.second;
    m.agreement = a.second ? static_cast<double>(a.first) / static_cast<double>(a.second) : 0.0;
    out.models[name] = m;
  }
  for (const auto& [name, acc] : ensemble) out.ensemble[name] = acc.finish();
  return out;
}

std::vector<std::string> OutcomeTracker::pairs() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [pair, state] : pairs_) out.push_back(pair);
  std::sort(out.begin(), out.end());
  return out;
}

WeightDecision OutcomeTracker::decide_weights(const std::string& pair, const WeightMap& configured,
                                              bool auto_update) const {
  const PairStats s = stats(pair);
  WeightDecision d;
  d.weights = configured;
  for (const auto& [name, m] : s.models) d.outcomes = std::max(d.outcomes, m.realised.count);
  if (!auto_update) {
    d.reason = "auto-update off: configured weights";
    return d;
  }
  struct Skill {
    std::string name;
    double skill;
    RollingStats st;
    bool coin_flip;  // scored against 0.25 because the window is one-sided
  };
  std::vector<std::string> names;
  std::vector<std::string> waiting;
  for (const auto& [name, m] : s.models) {
    if (m.realised.count < options_.min_outcomes) {
      waiting.push_back(fmt::format("{} has {} outcomes (< {}), keeps configured weight {:.2f}", name,
                                    m.realised.count, options_.min_outcomes, weight_for(configured, name)));
      continue;
    }
    names.push_back(name);
  }
  // Models served since different times saw different stretches of the market; they are compared on the
  // outcomes they all saw, or on their own when fewer than min_outcomes are shared.
  std::map<std::string, RollingStats> scored = shared_stats(pair, names);
  const std::size_t shared = scored.empty() ? 0 : scored.begin()->second.count;
  const bool on_shared = names.size() > 1 && shared >= options_.min_outcomes;
  std::vector<Skill> eligible;
  for (const auto& name : names) {
    const RollingStats st = on_shared ? scored.at(name) : s.models.at(name).realised;
    const double base = st.baseline_brier;
    // A window with only ups (or only downs) has a base-rate Brier of 0: no model can beat it, and the
    // ratio is undefined, so the skill is then measured against the coin flip's 0.25 instead.
    const bool coin_flip = base <= 1e-9;
    const double reference = coin_flip ? 0.25 : base;
    const double skill = std::max(-1.0, 1.0 - st.brier / reference);
    eligible.push_back(Skill{name, skill, st, coin_flip});
  }
  if (eligible.empty()) {
    d.reason = fmt::format("auto-update on but no model has {} resolved outcomes yet (most: {}); configured weights",
                           options_.min_outcomes, d.outcomes);
    return d;
  }
  const auto best = std::max_element(eligible.begin(), eligible.end(),
                                     [](const Skill& a, const Skill& b) { return a.skill < b.skill; });
  std::string detail;
  for (const auto& e : eligible) {
    const double w = std::max(options_.weight_floor, std::exp((e.skill - best->skill) / options_.skill_temperature));
    d.weights[e.name] = w;
    if (!detail.empty()) detail += "; ";
    const std::string reference = e.coin_flip ? std::string("coin-flip 0.250 (one-sided window)")
                                              : fmt::format("base-rate {:.3f}", e.st.baseline_brier);
    detail += fmt::format("{} Brier {:.3f} vs {} over {} outcomes, skill {:+.3f} -> weight {:.2f}", e.name,
                          e.st.brier, reference, e.st.count, e.skill, w);
  }
  for (const auto& w : waiting) detail += "; " + w;
  d.dynamic = true;
  const std::string bar = best->coin_flip ? "the coin flip" : "the base rate";
  const std::string verdict =
      best->skill > 0.0
          ? fmt::format("{} leads with skill {:+.3f} over {}", best->name, best->skill, bar)
          : fmt::format("no model beats {} (best: {} at {:+.3f}), weights still follow relative skill", bar,
                        best->name, best->skill);
  const std::string basis =
      names.size() < 2 ? std::string()
      : on_shared      ? fmt::format(", scored on the {} outcomes all {} models saw", shared, names.size())
                       : fmt::format(", scored on each model's own outcomes (only {} shared)", shared);
  d.reason = fmt::format("dynamic weights from realised skill (weight = exp((skill - best) / {:g}), floor {:g}{}); {}: {}",
                         options_.skill_temperature, options_.weight_floor, basis, verdict, detail);
  return d;
}

std::map<std::string, RollingStats> OutcomeTracker::shared_stats(const std::string& pair,
                                                                 const std::vector<std::string>& names) const {
  std::lock_guard lock(mutex_);
  std::map<std::string, Accumulator> acc;
  for (const auto& name : names) acc[name];
  auto found = pairs_.find(pair);
  if (found != pairs_.end() && !names.empty()) {
    for (const auto& r : found->second.window) {
      const auto& m = r.prediction.models;
      if (!std::all_of(names.begin(), names.end(), [&m](const std::string& n) { return m.count(n) > 0; })) continue;
      for (const auto& name : names) acc[name].add(m.at(name), r.outcome);
    }
  }
  std::map<std::string, RollingStats> out;
  for (const auto& [name, a] : acc) out[name] = a.finish();
  return out;
}

void OutcomeTracker::restore(const std::vector<ResolvedPrediction>& resolved) {
  std::vector<ResolvedPrediction> sorted = resolved;
  std::stable_sort(sorted.begin(), sorted.end(), [](const ResolvedPrediction& a, const ResolvedPrediction& b) {
    return a.prediction.candle_ts < b.prediction.candle_ts;
  });
  std::lock_guard lock(mutex_);
  for (auto& r : sorted) {
    if (!check_record(r.prediction).empty()) continue;
    PairState& state = pairs_[r.prediction.pair];
    const bool duplicate = std::any_of(state.window.begin(), state.window.end(), [&](const ResolvedPrediction& w) {
      return w.prediction.candle_ts == r.prediction.candle_ts;
    });
    if (duplicate) continue;
    state.pending.erase(r.prediction.candle_ts);
    ++state.resolved;
    ++state.recorded;
    auto pos = std::upper_bound(state.window.begin(), state.window.end(), r.prediction.candle_ts,
                                [](std::int64_t ts, const ResolvedPrediction& w) { return ts < w.prediction.candle_ts; });
    state.window.insert(pos, std::move(r));
    while (state.window.size() > options_.window) state.window.pop_front();
  }
}

void OutcomeTracker::restore_pending(const std::vector<TrackedPrediction>& pending) {
  std::lock_guard lock(mutex_);
  for (const auto& p : pending) {
    if (!check_record(p).empty()) continue;
    PairState& state = pairs_[p.pair];
    if (state.pending.count(p.candle_ts)) continue;
    state.candles.emplace(p.candle_ts, p.close);
    ++state.recorded;
    add_pending(state, p);
  }
}

std::vector<ResolvedPrediction> OutcomeTracker::window(const std::string& pair) const {
  std::lock_guard lock(mutex_);
  auto it = pairs_.find(pair);
  if (it == pairs_.end()) return {};
  return {it->second.window.begin(), it->second.window.end()};
}

}  // namespace tbml
