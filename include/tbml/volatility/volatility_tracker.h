#pragma once
// Resolves served volatility forecasts against what happened, like the direction outcome tracker: a
// forecast made at candle t is resolved once the h candles after it have arrived (contiguous, no gap),
// with the realised variance Σ r² and the h-candle log return. Rolling realised skill over the last
// `window` outcomes per pair: QLIKE of the served forecast against EWMA's made at the same candle, and
// the share of returns inside the 80 % interval.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/market/candle.h"
#include "tbml/volatility/volatility_model.h"

namespace tbml::volatility {

struct ResolvedVolatility {
  std::string pair;
  std::int64_t candle_ts = 0;
  std::size_t horizon = 0;
  double realised_variance = 0.0, realised_return = 0.0;
  double qlike_model = 0.0, qlike_ewma = 0.0;
  bool covered = false;
  std::int64_t resolved_at = 0;
};

class VolatilityTracker {
 public:
  explicit VolatilityTracker(std::size_t window = 200, std::size_t max_pending = 1000);

  // `floor` is the model's variance floor (QLIKE needs one for flat candles). A second forecast for
  // the same candle replaces the first.
  void record(const VolatilityForecast& served, double ewma_variance, double floor);
  // `candles`: the pair's latest candles, oldest first. Returns what was resolved now.
  std::vector<ResolvedVolatility> resolve(const std::string& pair, const std::vector<Candle>& candles,
                                          std::int64_t now);
  // {"window","count","pending","qlike","qlikeEwma","skillVsEwma","coverage80","meanRealisedVariance"};
  // metric fields null before the first outcome.
  nlohmann::json stats(const std::string& pair) const;
  void clear(const std::string& pair);

 private:
  struct Pending {
    VolatilityForecast forecast;
    double ewma_variance = 0.0, floor = 0.0;
  };
  std::size_t window_, max_pending_;
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::int64_t, Pending>> pending_;  // by candle timestamp
  std::map<std::string, std::deque<ResolvedVolatility>> resolved_;  // newest last
};

}  // namespace tbml::volatility
