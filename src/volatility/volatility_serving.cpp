#include "tbml/volatility/volatility_serving.h"

#include "tbml/util/heap.h"
#include "tbml/util/logging.h"
#include "tbml/util/thread_priority.h"
#include "tbml/util/time.h"

namespace tbml::volatility {

VolatilityServing::VolatilityServing(VolatilityServingOptions options, VolatilityHooks hooks)
    : options_(std::move(options)), hooks_(std::move(hooks)), tracker_(options_.window) {
  if (!hooks_.series) throw std::invalid_argument("volatility serving: the series hook is required");
}

VolatilityServing::~VolatilityServing() { stop(); }

void VolatilityServing::start() {
  std::lock_guard lock(mutex_);
  if (worker_.joinable() || stopping_) return;
  worker_ = std::thread([this] { worker_loop(); });
}

void VolatilityServing::request_stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void VolatilityServing::stop() {
  request_stop();
  if (worker_.joinable()) worker_.join();
  // Release the models (and their XGBoost boosters) here rather than in static destruction.
  std::lock_guard lock(mutex_);
  pairs_.clear();
}

bool VolatilityServing::load(const std::string& pair, ServedVolatility served) {
  if (!served.model || served.model->horizon() != options_.horizon) return false;
  std::lock_guard lock(mutex_);
  PairEntry& e = pairs_[pair];
  e.served = std::move(served);
  e.state = "ready";
  e.reason = "loaded from storage";
  e.attempted = true;
  e.last_attempt = std::chrono::steady_clock::now();
  return true;
}

void VolatilityServing::request(const std::string& pair) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || !queued_.insert(pair).second) return;
    queue_.push_back(pair);
    PairEntry& e = pairs_[pair];
    if (!e.served.model) e.state = "queued";
  }
  cv_.notify_one();
}

void VolatilityServing::ensure(const std::string& pair, std::size_t candles) {
  if (candles < options_.min_candles) return;
  bool want = false;
  {
    std::lock_guard lock(mutex_);
    PairEntry& e = pairs_[pair];
    const auto since = std::chrono::steady_clock::now() - e.last_attempt;
    if (!e.attempted) want = true;
    else if (!e.served.model) want = since >= options_.retry_after;
    else want = options_.retrain_interval.count() > 0 && since >= options_.retrain_interval;
  }
  if (want) request(pair);
}

void VolatilityServing::drop(const std::string& pair) {
  {
    std::lock_guard lock(mutex_);
    pairs_.erase(pair);
  }
  tracker_.clear(pair);
}

ServedVolatility VolatilityServing::served(const std::string& pair) const {
  std::lock_guard lock(mutex_);
  auto it = pairs_.find(pair);
  return it == pairs_.end() ? ServedVolatility{} : it->second.served;
}

std::optional<VolatilityServing::Forecast> VolatilityServing::forecast(const std::string& pair, const Series& recent) {
  const ServedVolatility s = served(pair);
  if (!s.model) return std::nullopt;
  try {
    Forecast f{s.model->forecast(recent), s.model->forecast(recent, Member::kEwma).variance};
    tracker_.record(f.served, f.ewma_variance, s.model->parts().spec.floor);
    return f;
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    pairs_[pair].reason = std::string("cannot forecast now: ") + e.what();
    return std::nullopt;
  }
}

std::vector<ResolvedVolatility> VolatilityServing::resolve(const std::string& pair, const std::vector<Candle>& candles,
                                                           std::int64_t now) {
  return tracker_.resolve(pair, candles, now);
}

nlohmann::json VolatilityServing::status(const std::string& pair) const {
  std::lock_guard lock(mutex_);
  auto it = pairs_.find(pair);
  if (it == pairs_.end())
    return {{"state", "untrained"}, {"reason", "no volatility model yet"}, {"horizon", options_.horizon},
            {"version", 0}, {"served", nullptr}, {"report", nullptr}};
  const PairEntry& e = it->second;
  return {{"state", e.state},
          {"reason", e.reason},
          {"horizon", options_.horizon},
          {"version", e.served.version},
          {"served", e.served.model ? nlohmann::json(to_string(e.served.model->served())) : nlohmann::json(nullptr)},
          {"report", e.served.report.is_null() ? nlohmann::json(nullptr) : e.served.report}};
}

void VolatilityServing::worker_loop() {
  if (options_.niceness > 0) {
    try {
      lower_current_thread_priority(options_.niceness);
    } catch (const std::exception& e) {
      get_logger("volatility")->warn("training thread keeps its priority: {}", e.what());
    }
  }
  while (true) {
    std::string pair;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      pair = queue_.front();
      queue_.pop_front();
      queued_.erase(pair);
      PairEntry& e = pairs_[pair];
      if (!e.served.model) e.state = "training";
      e.attempted = true;
      e.last_attempt = std::chrono::steady_clock::now();
    }
    train(pair);
    release_free_heap();  // as after a training job: the fit's freed arrays would stay resident
  }
}

void VolatilityServing::train(const std::string& pair) {
  auto log = get_logger("volatility");
  std::optional<Series> series = hooks_.series(pair, options_.max_candles);
  if (!series) return;
  VolatilityTrainOptions to;
  to.horizon = options_.horizon;
  to.cancelled = [this] {
    std::lock_guard lock(mutex_);
    return stopping_;
  };
  try {
    VolatilityTrainResult r = train_volatility_model(*series, to);
    ServedVolatility s;
    s.model = r.model;
    s.report = r.report;
    if (hooks_.save) {
      try {
        s.version = hooks_.save(pair, r.model->to_json(), r.model->weights(), r.report);
      } catch (const std::exception& e) {
        log->error("{} volatility: saving the model failed: {}", pair, e.what());
      }
    }
    if (hooks_.trained) hooks_.trained(pair, r.report);
    log->info("{} volatility h={}: serving {} ({:.1f} s): {}", pair, options_.horizon, to_string(r.model->served()),
              r.seconds, r.report.value("reason", std::string()));
    std::lock_guard lock(mutex_);
    PairEntry& e = pairs_[pair];
    e.served = std::move(s);
    e.state = "ready";
    e.reason = r.report.value("reason", std::string("trained"));
  } catch (const VolatilityTrainCancelled&) {
    log->info("{} volatility h={}: training cancelled (stopping)", pair, options_.horizon);
  } catch (const std::exception& e) {
    log->warn("{} volatility: training failed: {}", pair, e.what());
    std::lock_guard lock(mutex_);
    PairEntry& entry = pairs_[pair];
    if (!entry.served.model) entry.state = "failed";
    entry.reason = std::string("training failed: ") + e.what();
  }
}

}  // namespace tbml::volatility
