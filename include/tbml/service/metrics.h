#pragma once
// Prometheus text exposition for the few series the service keeps: counters and latency histograms with
// labels. Lock-free enough for the request path: one mutex per family, held for a map lookup and adds.
#include <array>
#include <atomic>
#include <map>
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
  // server.maxConnections (being refused with 503).
  void set_http_connections(std::size_t serving, std::size_t queued, std::size_t overflow);
  std::string render_http_and_inference() const;  // the families above, in Prometheus text format

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, Histogram> requests_;
  std::map<std::string, Histogram> inference_;
  std::atomic<std::size_t> connections_serving_{0};
  std::atomic<std::size_t> connections_queued_{0};
  std::atomic<std::size_t> connections_overflow_{0};
};

// Escapes a label value for Prometheus text format.
std::string prometheus_label(const std::string& value);

}  // namespace tbml
