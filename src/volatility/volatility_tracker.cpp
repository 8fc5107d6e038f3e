#include "tbml/volatility/volatility_tracker.h"

#include <algorithm>
#include <cmath>

#include "tbml/volatility/scores.h"

namespace tbml::volatility {

VolatilityTracker::VolatilityTracker(std::size_t window, std::size_t max_pending)
    : window_(std::max<std::size_t>(1, window)), max_pending_(std::max<std::size_t>(1, max_pending)) {}

void VolatilityTracker::record(const VolatilityForecast& served, double ewma_variance, double floor) {
  if (!(served.variance > 0.0) || !(ewma_variance > 0.0) || served.horizon == 0) return;  // nothing to score
  std::lock_guard lock(mutex_);
  auto& pending = pending_[served.pair];
  pending[served.timestamp] = Pending{served, ewma_variance, floor};
  while (pending.size() > max_pending_) pending.erase(pending.begin());  // oldest first: they can no longer resolve
}

std::vector<ResolvedVolatility> VolatilityTracker::resolve(const std::string& pair, const std::vector<Candle>& candles,
                                                           std::int64_t now) {
  std::vector<ResolvedVolatility> out;
  if (candles.size() < 2) return out;
  std::lock_guard lock(mutex_);
  auto it = pending_.find(pair);
  if (it == pending_.end()) return out;
  auto& pending = it->second;
  // The candles' typical spacing, so a gap inside the h candles leaves the forecast unresolved (dropped).
  std::vector<std::int64_t> steps;
  for (std::size_t i = 1; i < candles.size(); ++i) steps.push_back(candles[i].timestamp - candles[i - 1].timestamp);
  std::nth_element(steps.begin(), steps.begin() + steps.size() / 2, steps.end());
  const std::int64_t spacing = steps[steps.size() / 2];

  for (auto p = pending.begin(); p != pending.end();) {
    const Pending& f = p->second;
    const std::size_t h = f.forecast.horizon;
    auto at = std::lower_bound(candles.begin(), candles.end(), p->first,
                               [](const Candle& c, std::int64_t ts) { return c.timestamp < ts; });
    if (at == candles.end() || at->timestamp != p->first) {
      // Older than what we were given: it can never resolve from here on.
      if (p->first < candles.front().timestamp) {
        p = pending.erase(p);
      } else {
        ++p;
      }
      continue;
    }
    const std::size_t i = static_cast<std::size_t>(at - candles.begin());
    if (i + h >= candles.size()) {
      ++p;  // not yet
      continue;
    }
    bool gap = false;
    double rv = 0.0;
    for (std::size_t k = i + 1; k <= i + h; ++k) {
      if (spacing > 0 && candles[k].timestamp - candles[k - 1].timestamp > spacing * 3 / 2) gap = true;
      const double r = std::log(candles[k].close / candles[k - 1].close);
      rv += r * r;
    }
    if (!gap && std::isfinite(rv)) {
      ResolvedVolatility r;
      r.pair = pair;
      r.candle_ts = p->first;
      r.horizon = h;
      r.realised_variance = rv;
      r.realised_return = std::log(candles[i + h].close / candles[i].close);
      r.qlike_model = qlike(rv, f.forecast.variance, f.floor);
      r.qlike_ewma = qlike(rv, f.ewma_variance, f.floor);
      r.covered = r.realised_return >= f.forecast.lower && r.realised_return <= f.forecast.upper;
      r.resolved_at = now;
      auto& done = resolved_[pair];
      done.push_back(r);
      while (done.size() > window_) done.pop_front();
      out.push_back(r);
    }
    p = pending.erase(p);
  }
  return out;
}

nlohmann::json VolatilityTracker::stats(const std::string& pair) const {
  std::lock_guard lock(mutex_);
  nlohmann::json j = {{"window", window_}};
  auto pit = pending_.find(pair);
  j["pending"] = pit == pending_.end() ? 0 : pit->second.size();
  auto it = resolved_.find(pair);
  const std::size_t n = it == resolved_.end() ? 0 : it->second.size();
  j["count"] = n;
  if (n == 0) {
    for (const char* k : {"qlike", "qlikeEwma", "skillVsEwma", "coverage80", "meanRealisedVariance"}) j[k] = nullptr;
    return j;
  }
  double qm = 0, qe = 0, cov = 0, rv = 0;
  for (const auto& r : it->second) {
    qm += r.qlike_model;
    qe += r.qlike_ewma;
    cov += r.covered ? 1.0 : 0.0;
    rv += r.realised_variance;
  }
  const double dn = static_cast<double>(n);
  j["qlike"] = qm / dn;
  j["qlikeEwma"] = qe / dn;
  j["skillVsEwma"] = qe > 0.0 ? nlohmann::json(1.0 - qm / qe) : nlohmann::json(nullptr);
  j["coverage80"] = cov / dn;
  j["meanRealisedVariance"] = rv / dn;
  return j;
}

void VolatilityTracker::clear(const std::string& pair) {
  std::lock_guard lock(mutex_);
  pending_.erase(pair);
  resolved_.erase(pair);
}

}  // namespace tbml::volatility
