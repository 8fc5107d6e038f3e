#pragma once
// Prometheus text exposition for the few series the service keeps: counters and latency histograms with
// labels. The request path takes no lock: the (route, code) histograms are found in a table published
// through an atomic pointer, and only a key seen for the first time takes the mutex to publish a longer
// table (issue #13: with hundreds of workers on 2 cores, a worker preempted inside a lock stalls the
// others).
#include <array>
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tbml {

class Histogram {
 public:
  // Bucket upper bounds in seconds, from 50 µs to 10 s.
  static const std::vector<double>& bounds();
  void observe(double seconds);
  std::vector<std::uint64_t> bucket_counts() const;  // cumulative per bound
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;

 private:
  std::array<std::atomic<std::uint64_t>, 20> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

class Metrics {
 public:
  void observe_request(const std::string& route, int status, double seconds);
  void observe_inference(const std::string& model, double seconds);
  // HTTP connections right now: being served, admitted and waiting for a worker, and beyond
  // server.maxConnections (being refused with 503); and the worker threads alive (server.minThreads up
  // to server.threads).
  void set_http_connections(std::size_t serving, std::size_t queued, std::size_t overflow, std::size_t workers);
  std::string render_http_and_inference() const;  // the families above, in Prometheus text format

 private:
  struct RequestRow {
    std::string route;
    int status = 0;
    Histogram* histogram = nullptr;
  };
  using RequestTable = std::vector<RequestRow>;  // immutable once published

  mutable std::mutex mutex_;  // adding a request key; the inference family
  std::deque<Histogram> request_histograms_;  // never moved: the tables point into it
  // Every table published, the current one last: a reader may still hold an older one, and there are
  // only as many as keys (routes x codes seen), so they live as long as the Metrics.
  std::vector<std::unique_ptr<const RequestTable>> request_tables_;
  std::atomic<const RequestTable*> requests_{nullptr};
  std::map<std::string, Histogram> inference_;
  std::atomic<std::size_t> connections_serving_{0};
  std::atomic<std::size_t> connections_queued_{0};
  std::atomic<std::size_t> connections_overflow_{0};
  std::atomic<std::size_t> http_workers_{0};
};

// Escapes a label value for Prometheus text format.
std::string prometheus_label(const std::string& value);

}  // namespace tbml
