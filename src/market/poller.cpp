#include "tbml/market/poller.h"

#include <chrono>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "tbml/market/core_payload.h"
#include "tbml/market/pair_name.h"
#include "tbml/util/time.h"

namespace tbml {
namespace {

// A "poller" logger if the application registered one, otherwise the default logger.
std::shared_ptr<spdlog::logger> poller_log() {
  auto named = spdlog::get("poller");
  return named ? named : spdlog::default_logger();
}

PollerOptions validated(PollerOptions o) {
  if (o.poll_interval_ms <= 0) throw std::invalid_argument("poll_interval_ms must be > 0");
  if (o.failure_log_interval_ms < 0) throw std::invalid_argument("failure_log_interval_ms must be >= 0");
  if (!o.auto_pairs && o.pairs.empty()) {
    throw std::invalid_argument("poller needs at least one pair, or auto_pairs");
  }
  std::vector<std::string> names;
  for (const std::string& p : o.pairs) {
    std::string name = normalize_pair_name(p);
    bool seen = false;
    for (const auto& n : names) seen = seen || n == name;
    if (!seen) names.push_back(std::move(name));
  }
  o.pairs = std::move(names);
  return o;
}

CoreClientOptions client_options(const PollerOptions& o) {
  CoreClientOptions c;
  c.base_url = o.base_url;
  c.connect_timeout_ms = o.connect_timeout_ms;
  c.timeout_ms = o.timeout_ms;
  c.retries = o.retries;
  c.backoff_ms = o.backoff_ms;
  c.max_body_bytes = o.max_body_bytes;
  return c;
}

// Streak key shared by all transport failures; cannot collide with a pair name (those are A-Z0-9).
constexpr const char* kUnreachableKey = "<unreachable>";

bool is_oversized(const HttpResponse& r) { return r.error.rfind("response body exceeds", 0) == 0; }

}  // namespace

Poller::Poller(PollerOptions options, std::shared_ptr<MarketData> market, NewCandlesCallback on_new)
    : options_(validated(std::move(options))),
      market_(std::move(market)),
      on_new_(std::move(on_new)),
      client_(client_options(options_)) {
  if (!market_) throw std::invalid_argument("poller needs a MarketData");
  options_.base_url = client_.options().base_url;
  health_.base_url = options_.base_url;
}

Poller::~Poller() { stop(); }

void Poller::start() {
  if (running_.exchange(true)) return;
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    stop_requested_ = false;
  }
  client_.clear_stop();
  thread_ = std::thread([this] { run(); });
}

void Poller::stop() {
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    stop_requested_ = true;
  }
  wake_cv_.notify_all();
  client_.request_stop();
  if (thread_.joinable()) thread_.join();
  running_ = false;
}

void Poller::run() {
  using clock = std::chrono::steady_clock;
  auto next = clock::now();
  while (true) {
    {
      std::lock_guard<std::mutex> lock(wake_mutex_);
      if (stop_requested_) break;
    }
    try {
      poll_once();
    } catch (const std::exception& e) {
      // Nothing below is expected to throw; keep polling regardless, a dead poller is worse.
      poller_log()->error("poller cycle failed: {}", e.what());
    }
    next += std::chrono::milliseconds(options_.poll_interval_ms);
    if (next < clock::now()) next = clock::now();  // a slow cycle does not cause a burst of catch-up polls
    std::unique_lock<std::mutex> lock(wake_mutex_);
    if (wake_cv_.wait_until(lock, next, [this] { return stop_requested_; })) break;
  }
}

void Poller::poll_once() {
  // The reference pair first: the other pairs' rows at t read its candle at t (rows are computed once).
  for (const std::string& pair : market_->reference_first(pairs_for_cycle())) {
    if (client_.stop_requested()) return;
    if (options_.keep && !options_.keep(pair)) continue;
    fetch_pair(pair);
  }
}

std::vector<std::string> Poller::pairs_for_cycle() {
  if (!options_.auto_pairs) return options_.pairs;
  const HttpResponse r = client_.get("/api/pairs");
  if (r.error == "stopped") return {};
  if (!r.ok()) {
    record_failure("", "GET /api/pairs: " + r.error, r.responded(), is_oversized(r));
    return {};
  }
  try {
    std::vector<std::string> pairs = parse_pairs_payload(r.body);
    record_success("");
    return pairs;
  } catch (const PayloadError& e) {
    record_failure("", std::string("GET /api/pairs: rejected payload: ") + e.what(), true, true);
    return {};
  }
}

void Poller::fetch_pair(const std::string& pair) {
  const std::string path = "/api/pair/" + pair;
  const HttpResponse r = client_.get(path);
  if (r.error == "stopped") return;  // shutdown, not an upstream failure
  if (!r.ok()) {
    record_failure(pair, "GET " + path + ": " + r.error, r.responded(), is_oversized(r));
    return;
  }
  PairPayload payload;
  try {
    payload = parse_pair_payload(r.body, pair);
  } catch (const PayloadError& e) {
    record_failure(pair, "GET " + path + ": rejected payload: " + e.what(), true, true);
    return;
  }
  IngestResult ingested;
  const std::shared_ptr<PairState> state = market_->ingest(pair, payload.candles, &ingested);
  {
    std::lock_guard<std::mutex> lock(health_mutex_);
    PairPollHealth& ph = health_.pairs[pair];
    ph.rejected_points += payload.rejected_points + ingested.rejected;
    ph.last_data_timestamp = state->last_timestamp();
    health_.rejected_points += payload.rejected_points + ingested.rejected;
  }
  if (payload.rejected_points > 0) {
    poller_log()->debug("{}: dropped {} of {} points (first: {})", pair, payload.rejected_points,
                 payload.total_points, payload.first_rejection);
  }
  record_success(pair);
  if (ingested.added > 0 && on_new_) {
    try {
      on_new_(pair, ingested.added);
    } catch (const std::exception& e) {
      poller_log()->error("new-candle callback for {} threw: {}", pair, e.what());
    }
  }
}

void Poller::record_success(const std::string& pair) {
  const std::int64_t now = now_ms();
  std::vector<std::pair<std::string, FailureStreak>> ended;
  {
    std::lock_guard<std::mutex> lock(health_mutex_);
    health_.ever_polled = true;
    health_.reachable = true;
    health_.last_success_ms = now;
    health_.consecutive_failures = 0;
    ++health_.total_polls;
    if (!pair.empty()) {
      PairPollHealth& ph = health_.pairs[pair];
      ph.last_fetch_ms = now;
      ph.last_success_ms = now;
      ph.last_error.clear();
    }
    for (const std::string& key : {std::string(kUnreachableKey), pair}) {
      auto it = failure_streaks_.find(key);
      if (it == failure_streaks_.end()) continue;
      ended.emplace_back(key, it->second);
      failure_streaks_.erase(it);
    }
  }
  for (const auto& [key, streak] : ended) {
    const double seconds = (now - streak.since_ms) / 1000.0;
    if (key == kUnreachableKey) {
      poller_log()->info("core at {} is reachable again after {} failed polls ({:.1f} s)", options_.base_url,
                  streak.failures, seconds);
    } else {
      poller_log()->info("{} polls from core succeed again after {} failures ({:.1f} s)",
                  key.empty() ? std::string("pair list") : key, streak.failures, seconds);
    }
  }
}

void Poller::record_failure(const std::string& pair, const std::string& reason, bool responded,
                            bool rejected_payload) {
  const std::int64_t now = now_ms();
  bool should_log = false;
  std::uint64_t suppressed = 0;
  std::uint64_t in_a_row = 0;
  {
    std::lock_guard<std::mutex> lock(health_mutex_);
    health_.ever_polled = true;
    health_.reachable = responded;
    health_.last_error = reason;
    ++health_.consecutive_failures;
    ++health_.total_polls;
    ++health_.total_errors;
    if (rejected_payload) ++health_.rejected_payloads;
    if (!pair.empty()) {
      PairPollHealth& ph = health_.pairs[pair];
      ph.last_fetch_ms = now;
      ph.last_error = reason;
      if (rejected_payload) ++ph.rejected_payloads;
    }
    FailureStreak& streak = failure_streaks_[responded ? pair : std::string(kUnreachableKey)];
    if (streak.failures++ == 0) streak.since_ms = now;
    in_a_row = streak.failures;
    // First failure of a streak, then at most one line per interval while it lasts.
    if (streak.last_log_ms == 0 || now - streak.last_log_ms >= options_.failure_log_interval_ms) {
      should_log = true;
      suppressed = streak.suppressed;
      streak.suppressed = 0;
      streak.last_log_ms = now;
    } else {
      ++streak.suppressed;
    }
  }
  if (!should_log) return;
  if (suppressed > 0) {
    poller_log()->warn("core poll failed ({} in a row, {} lines suppressed): {}", in_a_row, suppressed, reason);
  } else {
    poller_log()->warn("core poll failed ({} in a row): {}", in_a_row, reason);
  }
}

UpstreamHealth Poller::health() const {
  std::lock_guard<std::mutex> lock(health_mutex_);
  return health_;
}

Poller::Freshness Poller::freshness(const std::string& pair) const {
  std::lock_guard<std::mutex> lock(health_mutex_);
  auto it = health_.pairs.find(pair);
  return {health_.reachable, it == health_.pairs.end() ? 0 : it->second.last_success_ms};
}

}  // namespace tbml
