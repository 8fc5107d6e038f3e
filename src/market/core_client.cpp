#include "tbml/market/core_client.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <curl/curl.h>

namespace tbml {
namespace {

// curl_global_init is not thread-safe and must run once per process before any handle exists.
void ensure_curl_global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed");
    }
  });
}

const char* kOversized = "response body exceeds the limit of ";

struct TransferState {
  std::string* body = nullptr;
  std::size_t limit = 0;
  bool oversized = false;
  const std::atomic<bool>* stop = nullptr;
};

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* st = static_cast<TransferState*>(user);
  const size_t n = size * count;
  if (st->body->size() + n > st->limit) {
    st->oversized = true;
    return 0;  // makes curl abort the transfer with CURLE_WRITE_ERROR
  }
  st->body->append(data, n);
  return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* st = static_cast<TransferState*>(user);
  return st->stop->load() ? 1 : 0;  // non-zero aborts the transfer
}

std::string trim_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

bool is_retryable(const HttpResponse& r) {
  if (r.ok()) return false;
  if (r.error == "stopped" || r.error.rfind(kOversized, 0) == 0) return false;
  if (r.status == 0) return true;
  return r.status >= 500 || r.status == 429;
}

CoreClient::CoreClient(CoreClientOptions options)
    : options_(std::move(options)), rng_(std::random_device{}()) {
  options_.base_url = trim_trailing_slash(options_.base_url);
  if (options_.base_url.rfind("http://", 0) != 0 && options_.base_url.rfind("https://", 0) != 0) {
    throw std::invalid_argument("core base_url must start with http:// or https://, got '" +
                                options_.base_url + "'");
  }
  if (options_.connect_timeout_ms <= 0 || options_.timeout_ms <= 0) {
    throw std::invalid_argument("core client timeouts must be > 0 ms");
  }
  if (options_.retries < 0 || options_.backoff_ms < 0 || options_.max_backoff_ms < 0) {
    throw std::invalid_argument("core client retries and backoff must be >= 0");
  }
  if (options_.max_body_bytes == 0) throw std::invalid_argument("core client max_body_bytes must be > 0");

  ensure_curl_global_init();
  CURL* curl = curl_easy_init();
  if (!curl) throw std::runtime_error("curl_easy_init failed");
  curl_ = curl;
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // required with timeouts in a multi-threaded process
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options_.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
#ifdef TBML_VERSION
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "tbml/" TBML_VERSION);
#endif
  if (!options_.bearer_token.empty()) {
    curl_slist* list = curl_slist_append(nullptr, ("Authorization: Bearer " + options_.bearer_token).c_str());
    if (!list) throw std::runtime_error("curl_slist_append failed");
    headers_ = list;
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  }
}

CoreClient::~CoreClient() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
  if (headers_) curl_slist_free_all(static_cast<curl_slist*>(headers_));
}

void CoreClient::request_stop() {
  {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    stop_ = true;
  }
  sleep_cv_.notify_all();
}

void CoreClient::clear_stop() {
  std::lock_guard<std::mutex> lock(sleep_mutex_);
  stop_ = false;
}

HttpResponse CoreClient::perform(const std::string& url) {
  HttpResponse response;
  response.attempts = 1;
  if (stop_) {
    response.error = "stopped";
    return response;
  }
  CURL* curl = static_cast<CURL*>(curl_);
  TransferState st{&response.body, options_.max_body_bytes, false, &stop_};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &st);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &st);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);

  const CURLcode code = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);  // errbuf goes out of scope
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);

  if (code != CURLE_OK) {
    if (st.oversized) {
      // Core did answer (status kept, so it counts as reachable), just with something unusable.
      response.status = status;
      std::string().swap(response.body);  // drop the partial megabytes now
      response.error = kOversized + std::to_string(options_.max_body_bytes) + " bytes";
      return response;
    }
    if (code == CURLE_ABORTED_BY_CALLBACK && stop_) {
      response.error = "stopped";
    } else {
      response.error = std::string(curl_easy_strerror(code));
      if (errbuf[0] != '\0') response.error += std::string(": ") + errbuf;
    }
    return response;  // status stays 0: a partial answer is no answer
  }
  response.status = status;
  if (status < 200 || status >= 300) {
    response.error = "HTTP " + std::to_string(status);
    if (!response.body.empty()) response.error += ": " + response.body.substr(0, 200);
  }
  return response;
}

long CoreClient::backoff_delay_ms(int retry) {
  const double base = static_cast<double>(options_.backoff_ms) * static_cast<double>(1L << std::min(retry, 20));
  const double capped = std::min(base, static_cast<double>(options_.max_backoff_ms));
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return static_cast<long>(capped * jitter(rng_));
}

bool CoreClient::sleep_interruptible(long ms) {
  std::unique_lock<std::mutex> lock(sleep_mutex_);
  return !sleep_cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_.load(); });
}

HttpResponse CoreClient::get_once(const std::string& path) {
  std::lock_guard<std::mutex> lock(request_mutex_);
  return perform(options_.base_url + path);
}

HttpResponse CoreClient::get(const std::string& path) {
  std::lock_guard<std::mutex> lock(request_mutex_);
  const std::string url = options_.base_url + path;
  HttpResponse response = perform(url);
  int attempts = 1;
  for (int retry = 0; retry < options_.retries && is_retryable(response); ++retry) {
    if (!sleep_interruptible(backoff_delay_ms(retry))) {
      response.error = "stopped";
      break;
    }
    response = perform(url);
    ++attempts;
  }
  response.attempts = attempts;
  return response;
}

}  // namespace tbml
