// The Prometheus families the service keeps itself: cumulative histogram buckets, label escaping, and the
// open-connection gauges the HTTP layer reports.
#include "tbml/service/metrics.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace tbml {
namespace {

TEST(Histogram, BucketsAreCumulativeAndSumIsKept) {
  Histogram h;
  h.observe(0.00004);  // first bucket (50 µs)
  h.observe(0.003);    // 5 ms bucket
  h.observe(20.0);     // beyond the last bound: only in +Inf
  const auto counts = h.bucket_counts();
  const auto& bounds = Histogram::bounds();
  ASSERT_EQ(counts.size(), bounds.size());
  EXPECT_EQ(counts.front(), 1u);
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    const std::uint64_t expected = bounds[i] < 0.003 ? 1u : 2u;
    EXPECT_EQ(counts[i], expected) << "le=" << bounds[i];
  }
  EXPECT_EQ(h.count(), 3u);
  EXPECT_NEAR(h.sum(), 20.00304, 1e-6);
}

TEST(Histogram, NonFiniteOrNegativeDurationsCountAsZero) {
  Histogram h;
  h.observe(-1.0);
  h.observe(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(h.bucket_counts().front(), 2u);
  EXPECT_EQ(h.sum(), 0.0);
}

TEST(Metrics, LabelsAreEscaped) {
  EXPECT_EQ(prometheus_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  Metrics m;
  m.observe_request("route\"x", 404, 0.001);
  const std::string text = m.render_http_and_inference();
  EXPECT_NE(text.find("tbml_http_requests_total{route=\"route\\\"x\",code=\"404\"} 1\n"), std::string::npos)
      << text;
}

TEST(Metrics, ConnectionGaugesShowTheLatestCounts) {
  Metrics m;
  std::string text = m.render_http_and_inference();
  EXPECT_NE(text.find("# TYPE tbml_http_connections gauge\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tbml_http_connections{state=\"serving\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE tbml_http_worker_threads gauge\ntbml_http_worker_threads 0\n"), std::string::npos)
      << text;
  m.set_http_connections(3, 2, 1, 8);
  m.set_http_connections(5, 4, 7, 12);
  text = m.render_http_and_inference();
  EXPECT_NE(text.find("tbml_http_connections{state=\"serving\"} 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tbml_http_connections{state=\"queued\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tbml_http_connections{state=\"overflow\"} 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tbml_http_worker_threads 12\n"), std::string::npos) << text;
}

TEST(Metrics, ConcurrentRequestsOnNewAndKnownKeysAreAllCounted) {
  // Keys first seen by several threads at once publish one table row each, and no observation is lost.
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&m] {
      for (int i = 0; i < 2000; ++i) m.observe_request("/r" + std::to_string(i % 5), 200 + i % 3, 0.001);
    });
  for (auto& t : threads) t.join();
  const std::string text = m.render_http_and_inference();
  std::size_t rows = 0;
  for (std::size_t at = text.find("tbml_http_requests_total{"); at != std::string::npos;
       at = text.find("tbml_http_requests_total{", at + 1))
    ++rows;
  EXPECT_EQ(rows, 15u) << text;  // 5 routes x 3 codes, each once
  // i % 5 == 0 and i % 3 == 0: i % 15 == 0, 134 of 2000 per thread.
  EXPECT_NE(text.find("tbml_http_requests_total{route=\"/r0\",code=\"200\"} 536\n"), std::string::npos) << text;
  // Sorted by route, then code, whatever order the keys arrived in.
  EXPECT_LT(text.find("route=\"/r0\",code=\"202\"} "), text.find("route=\"/r1\",code=\"200\"} "));
}

}  // namespace
}  // namespace tbml
