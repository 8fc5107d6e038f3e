#pragma once
// The poller: a thread that fetches every configured pair from core at a fixed rate and ingests the
// candles into MarketData. It owns its thread (start/stop/join, stop is immediate even mid-request or
// mid-sleep), survives any reply core can send (dead socket, HTTP errors, malformed or oversized JSON)
// and keeps an UpstreamHealth snapshot that /api/health reads.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tbml/market/core_client.h"
#include "tbml/market/market_data.h"

namespace tbml {

struct PollerOptions {
  std::string base_url = "http://localhost:3000";
  std::vector<std::string> pairs;  // used when auto_pairs is false; names are validated and upper-cased
  bool auto_pairs = false;         // poll every pair core lists at /api/pairs (re-read every cycle)
  long poll_interval_ms = 30000;   // from the start of one cycle to the start of the next
  long connect_timeout_ms = 2000;
  long timeout_ms = 10000;
  int retries = 2;
  long backoff_ms = 250;
  std::size_t max_body_bytes = 8u * 1024u * 1024u;
  long failure_log_interval_ms = 30000;  // while core keeps failing, at most one log line per interval
  // Pairs to fetch of those configured or listed by core (every pair when empty): a sharded replica's
  // own pairs and the reference pair (docs/scaling.md).
  std::function<bool(const std::string&)> keep;
};

struct PairPollHealth {
  std::int64_t last_data_timestamp = 0;  // newest candle held for the pair (epoch ms), 0 = none
  std::int64_t last_fetch_ms = 0;        // wall clock of the last fetch attempt
  std::int64_t last_success_ms = 0;      // wall clock of the last accepted payload
  std::string last_error;                // empty when the last fetch succeeded
  std::uint64_t rejected_payloads = 0;
  std::uint64_t rejected_points = 0;
};

// One "poll" is one request to core (a pair fetch or the pair list). An error is a poll that did not end
// with an accepted payload: transport failure, HTTP error status, or a rejected payload.
struct UpstreamHealth {
  std::string base_url;
  bool reachable = false;            // the latest poll got an HTTP answer from core (any status)
  bool ever_polled = false;
  std::int64_t last_success_ms = 0;  // wall clock of the latest accepted payload, 0 = never
  std::string last_error;            // reason of the latest failed poll, kept after recovery
  std::uint64_t consecutive_failures = 0;
  std::uint64_t total_polls = 0;
  std::uint64_t total_errors = 0;
  std::uint64_t rejected_payloads = 0;  // answered 2xx but unusable (malformed, wrong types, too large)
  std::uint64_t rejected_points = 0;    // single points dropped from otherwise accepted payloads
  std::map<std::string, PairPollHealth> pairs;
};

class Poller {
 public:
  // Called on the poller thread after an ingest that added candles. Exceptions are caught and logged.
  using NewCandlesCallback = std::function<void(const std::string& pair, std::size_t added)>;

  // Throws std::invalid_argument for invalid options (bad URL, interval <= 0, invalid pair name, no pairs
  // without auto_pairs).
  Poller(PollerOptions options, std::shared_ptr<MarketData> market, NewCandlesCallback on_new = {});
  ~Poller();  // stops and joins
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  void start();  // no-op when already running
  void stop();   // interrupts a request or sleep in progress and joins; idempotent
  bool running() const { return running_.load(); }

  // Runs one cycle on the calling thread (what the thread does every interval): MarketData's reference
  // pair first, then the others in their order. Not to be called while
  // the thread runs; meant for tests and one-shot tools.
  void poll_once();

  UpstreamHealth health() const;
  // The two fields of health() a prediction answer's "stale" needs, without copying the rest (it is read
  // on every request): whether core answered the latest poll, and the pair's last accepted payload (0 =
  // never or unknown pair).
  struct Freshness {
    bool reachable = false;
    std::int64_t last_success_ms = 0;
  };
  Freshness freshness(const std::string& pair) const;
  const PollerOptions& options() const { return options_; }

 private:
  void run();
  std::vector<std::string> pairs_for_cycle();
  void fetch_pair(const std::string& pair);
  void record_success(const std::string& pair);
  void record_failure(const std::string& pair, const std::string& reason, bool responded,
                      bool rejected_payload);

  PollerOptions options_;
  std::shared_ptr<MarketData> market_;
  NewCandlesCallback on_new_;
  CoreClient client_;

  std::thread thread_;
  std::atomic<bool> running_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  bool stop_requested_ = false;  // guarded by wake_mutex_

  mutable std::mutex health_mutex_;
  UpstreamHealth health_;
  // Failure-log rate limiting, guarded by health_mutex_. Keyed by pair for HTTP/payload errors and by
  // one shared key for "core unreachable", so a dead core gives one line per interval, not one per pair.
  struct FailureStreak {
    std::uint64_t failures = 0;
    std::uint64_t suppressed = 0;
    std::int64_t since_ms = 0;
    std::int64_t last_log_ms = 0;
  };
  std::map<std::string, FailureStreak> failure_streaks_;
};

}  // namespace tbml
