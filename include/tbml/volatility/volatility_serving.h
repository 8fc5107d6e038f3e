#pragma once
// The volatility target's life in the daemon, beside the direction members' lifecycle: one model per
// pair, trained on a worker thread of its own (a few seconds on one thread, at low priority), loaded
// from storage at start, forecasting on every new candle, its forecasts resolved against what happened.
// Storage and the pair's history come in through hooks, so this stage sees neither SQLite nor HTTP.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "tbml/market/series.h"
#include "tbml/volatility/volatility_model.h"
#include "tbml/volatility/volatility_tracker.h"

namespace tbml::volatility {

struct VolatilityServingOptions {
  std::size_t horizon = 5;
  std::size_t min_candles = 400;     // fewer: no model is trained (the split needs samples in each part)
  std::size_t max_candles = 5000;    // history handed to training
  std::chrono::milliseconds retrain_interval{std::chrono::hours(6)};
  std::chrono::milliseconds retry_after{std::chrono::minutes(10)};  // after a failed training
  std::size_t window = 200;          // resolved outcomes the realised stats cover
  int niceness = 10;
};

struct VolatilityHooks {
  std::function<std::optional<Series>(const std::string& pair, std::size_t max_candles)> series;
  // Stores the model; returns its version. Throws on a storage failure (the model still serves).
  std::function<int(const std::string& pair, const nlohmann::json& model, const std::string& weights,
                    const nlohmann::json& report)>
      save;
  std::function<void(const std::string& pair, const nlohmann::json& report)> trained;  // every finished run
};

struct ServedVolatility {
  std::shared_ptr<const VolatilityModel> model;
  int version = 0;
  nlohmann::json report;  // the training report (test scores of every candidate, the serving rule)
};

class VolatilityServing {
 public:
  VolatilityServing(VolatilityServingOptions options, VolatilityHooks hooks);
  ~VolatilityServing();  // stops and joins the worker
  VolatilityServing(const VolatilityServing&) = delete;
  VolatilityServing& operator=(const VolatilityServing&) = delete;

  void start();
  // Tells the worker to stop without waiting: the service signals every horizon's worker first, so a
  // worker still waiting for stop() cannot start another training run (shutdown's 10 s bound).
  void request_stop();
  void stop();  // request_stop(), then joins the worker (after the run in progress, if any)

  // A stored model (start-up). Ignored when its horizon differs from the configured one.
  bool load(const std::string& pair, ServedVolatility served);
  // Queues training when the pair has no model (and did not fail recently) or the interval passed.
  void ensure(const std::string& pair, std::size_t candles);
  void request(const std::string& pair);  // queue training now (de-duplicated)
  void drop(const std::string& pair);     // rebuild: forget the pair's model and outcomes

  ServedVolatility served(const std::string& pair) const;
  // Forecast at the latest row of `recent` (null without a model or when the model cannot forecast
  // here: the reason is in status()), recorded for resolution together with EWMA's forecast on the same
  // candle, the reference its realised skill is measured against.
  struct Forecast {
    VolatilityForecast served;
    double ewma_variance = 0.0;
  };
  std::optional<Forecast> forecast(const std::string& pair, const Series& recent);
  std::vector<ResolvedVolatility> resolve(const std::string& pair, const std::vector<Candle>& candles,
                                          std::int64_t now);
  // {"state","reason","horizon","version","served","report"}: for the status and stats routes.
  nlohmann::json status(const std::string& pair) const;
  nlohmann::json realised(const std::string& pair) const { return tracker_.stats(pair); }

 private:
  struct PairEntry {
    ServedVolatility served;
    std::string state = "untrained";  // untrained, queued, training, ready, failed
    std::string reason;
    std::chrono::steady_clock::time_point last_attempt{};
    bool attempted = false;
  };
  void worker_loop();
  void train(const std::string& pair);

  VolatilityServingOptions options_;
  VolatilityHooks hooks_;
  VolatilityTracker tracker_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, PairEntry> pairs_;
  std::deque<std::string> queue_;
  std::set<std::string> queued_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace tbml::volatility
