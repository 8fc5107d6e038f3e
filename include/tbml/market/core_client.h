#pragma once
// HTTP GET client for core, over libcurl. One easy handle per client, reused so the connection stays
// alive between polls. Every request is bounded: connect timeout, total timeout and a maximum body size
// (the transfer is aborted as soon as the body grows past it). get() retries transport failures and
// 5xx/429 answers with exponential backoff and jitter; request_stop() interrupts both an in-flight
// transfer and a backoff sleep, so shutdown is never held up by a slow or dead core.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <random>
#include <string>

namespace tbml {

struct CoreClientOptions {
  std::string base_url = "http://localhost:3000";  // http:// or https://, no trailing path needed
  long connect_timeout_ms = 2000;
  long timeout_ms = 10000;  // whole request, connect included
  int retries = 2;          // extra attempts after the first one
  long backoff_ms = 250;    // delay before the first retry; doubles per retry, then jittered to 50-100%
  long max_backoff_ms = 5000;
  std::size_t max_body_bytes = 8u * 1024u * 1024u;
  // Sent as "Authorization: Bearer <token>" when set: a sharded tbml asking its peers (core takes none).
  std::string bearer_token;
};

struct HttpResponse {
  long status = 0;     // HTTP status, 0 when no response arrived
  std::string body;    // as received (possibly partial when error is set)
  std::string error;   // empty on a 2xx answer; otherwise why the request failed
  int attempts = 0;    // requests made, retries included
  bool ok() const { return error.empty() && status >= 200 && status < 300; }
  bool responded() const { return status != 0; }  // core answered at the HTTP level
};

class CoreClient {
 public:
  // Throws std::invalid_argument for a base_url that is not http(s) or for non-positive timeouts.
  explicit CoreClient(CoreClientOptions options);
  ~CoreClient();
  CoreClient(const CoreClient&) = delete;
  CoreClient& operator=(const CoreClient&) = delete;

  // GET base_url + path (path starts with '/'), with retries. Requests on one client are serialised.
  HttpResponse get(const std::string& path);
  // Exactly one attempt.
  HttpResponse get_once(const std::string& path);

  // Makes the current and every later request return promptly with error "stopped".
  void request_stop();
  void clear_stop();
  bool stop_requested() const { return stop_.load(); }

  const CoreClientOptions& options() const { return options_; }

 private:
  HttpResponse perform(const std::string& url);
  long backoff_delay_ms(int retry);
  bool sleep_interruptible(long ms);  // false when woken by request_stop()

  CoreClientOptions options_;
  void* curl_ = nullptr;  // CURL*, kept opaque so this header does not pull in curl.h
  void* headers_ = nullptr;  // curl_slist* of the request headers, or null
  std::mutex request_mutex_;
  std::atomic<bool> stop_{false};
  std::mutex sleep_mutex_;
  std::condition_variable sleep_cv_;
  std::mt19937 rng_;
};

// Retry policy, exposed for tests: transport failures (not stop, not an oversized body) and 5xx/429.
bool is_retryable(const HttpResponse& response);

}  // namespace tbml
