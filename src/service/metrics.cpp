#include "tbml/service/metrics.h"

#include <cmath>
#include <sstream>

namespace tbml {

const std::vector<double>& Histogram::bounds() {
  static const std::vector<double> b = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                        0.01,    0.025,  0.05,    0.1,    0.25,  0.5,   1.0,
                                        2.5,     5.0,    10.0};
  return b;
}

void Histogram::observe(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  const auto& b = bounds();
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (seconds <= b[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::bucket_counts() const {
  std::vector<std::uint64_t> out;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < bounds().size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out.push_back(running);
  }
  return out;
}

double Histogram::sum() const { return static_cast<double>(sum_ns_.load()) / 1e9; }

std::string prometheus_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Metrics::observe_request(const std::string& route, int status, double seconds) {
  auto find = [&](const RequestTable* table) -> Histogram* {
    if (table == nullptr) return nullptr;
    for (const auto& row : *table)
      if (row.status == status && row.route == route) return row.histogram;
    return nullptr;
  };
  Histogram* h = find(requests_.load(std::memory_order_acquire));
  if (h == nullptr) {
    std::lock_guard lock(mutex_);
    const RequestTable* current = requests_.load(std::memory_order_acquire);
    h = find(current);  // another thread may have added it meanwhile
    if (h == nullptr) {
      auto next = std::make_unique<RequestTable>(current ? *current : RequestTable{});
      h = &request_histograms_.emplace_back();
      next->push_back({route, status, h});
      requests_.store(next.get(), std::memory_order_release);
      request_tables_.push_back(std::move(next));
    }
  }
  h->observe(seconds);
}

void Metrics::observe_inference(const std::string& model, double seconds) {
  std::lock_guard lock(mutex_);
  inference_[model].observe(seconds);
}

void Metrics::set_http_connections(std::size_t serving, std::size_t queued, std::size_t overflow,
                                   std::size_t workers) {
  connections_serving_.store(serving, std::memory_order_relaxed);
  connections_queued_.store(queued, std::memory_order_relaxed);
  connections_overflow_.store(overflow, std::memory_order_relaxed);
  http_workers_.store(workers, std::memory_order_relaxed);
}

namespace {

void render_histogram(std::ostringstream& os, const std::string& name, const std::string& labels,
                      const Histogram& h) {
  auto counts = h.bucket_counts();
  const auto& b = Histogram::bounds();
  for (std::size_t i = 0; i < b.size(); ++i)
    os << name << "_bucket{" << labels << ",le=\"" << b[i] << "\"} " << counts[i] << "\n";
  os << name << "_bucket{" << labels << ",le=\"+Inf\"} " << h.count() << "\n";
  os << name << "_sum{" << labels << "} " << h.sum() << "\n";
  os << name << "_count{" << labels << "} " << h.count() << "\n";
}

}  // namespace

std::string Metrics::render_http_and_inference() const {
  std::ostringstream os;
  std::lock_guard lock(mutex_);
  // By route, then code, as Prometheus clients and the tests read them.
  std::map<std::pair<std::string, int>, const Histogram*> by_key;
  if (const RequestTable* table = requests_.load(std::memory_order_acquire))
    for (const auto& row : *table) by_key[{row.route, row.status}] = row.histogram;
  os << "# HELP tbml_http_requests_total HTTP requests by route and status code.\n"
     << "# TYPE tbml_http_requests_total counter\n";
  for (const auto& [key, h] : by_key)
    os << "tbml_http_requests_total{route=\"" << prometheus_label(key.first) << "\",code=\"" << key.second
       << "\"} " << h->count() << "\n";
  os << "# HELP tbml_http_request_duration_seconds HTTP request latency.\n"
     << "# TYPE tbml_http_request_duration_seconds histogram\n";
  for (const auto& [key, h] : by_key)
    render_histogram(os, "tbml_http_request_duration_seconds",
                     "route=\"" + prometheus_label(key.first) + "\",code=\"" + std::to_string(key.second) + "\"",
                     *h);
  os << "# HELP tbml_inference_duration_seconds Model forward pass latency.\n"
     << "# TYPE tbml_inference_duration_seconds histogram\n";
  for (const auto& [model, h] : inference_)
    render_histogram(os, "tbml_inference_duration_seconds", "model=\"" + prometheus_label(model) + "\"", h);
  os << "# HELP tbml_http_connections Open HTTP connections: being served, waiting for a worker, and over "
        "server.maxConnections (being refused).\n"
     << "# TYPE tbml_http_connections gauge\n"
     << "tbml_http_connections{state=\"serving\"} " << connections_serving_.load(std::memory_order_relaxed) << "\n"
     << "tbml_http_connections{state=\"queued\"} " << connections_queued_.load(std::memory_order_relaxed) << "\n"
     << "tbml_http_connections{state=\"overflow\"} " << connections_overflow_.load(std::memory_order_relaxed)
     << "\n"
     << "# HELP tbml_http_worker_threads HTTP worker threads alive, busy or idle (server.minThreads up to "
        "server.threads; idle ones beyond the minimum exit after server.threadIdleTimeoutMs).\n"
     << "# TYPE tbml_http_worker_threads gauge\n"
     << "tbml_http_worker_threads " << http_workers_.load(std::memory_order_relaxed) << "\n";
  return os.str();
}

}  // namespace tbml
