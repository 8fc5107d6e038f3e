#pragma once
// Shared by the bench programs (not a test): timing, order statistics and the JSON they print.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <fstream>
#include <string>
#include <vector>

#include <cmath>
#include <cstdint>
#include <random>

#include <nlohmann/json.hpp>

#include "tbml/market/candle.h"

namespace tbml::bench {

using Clock = std::chrono::steady_clock;

// Seeded hourly random walk, for runs without ../shared/data/market.
inline std::vector<Candle> random_walk(std::size_t n, std::uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> step(0.0, 0.01);
  std::vector<Candle> out(n);
  double close = 100.0;
  for (std::size_t i = 0; i < n; ++i) {
    Candle& c = out[i];
    c.timestamp = 1'600'000'000'000LL + static_cast<std::int64_t>(i) * 3'600'000LL;
    c.open = close;
    close *= std::exp(step(rng));
    c.close = close;
    c.high = std::max(c.open, c.close) * (1.0 + std::abs(step(rng)) / 4);
    c.low = std::min(c.open, c.close) * (1.0 - std::abs(step(rng)) / 4);
    c.volume = 1000.0 * std::exp(step(rng) * 20);
  }
  return out;
}

inline double micros_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

// min / median / p99 / mean of repeated measurements, in the unit they were taken in.
inline nlohmann::json summary(std::vector<double> samples, const std::string& unit) {
  nlohmann::json j = {{"unit", unit}, {"runs", samples.size()}};
  if (samples.empty()) return j;
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    const std::size_t i = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1) + 0.5);
    return samples[std::min(i, samples.size() - 1)];
  };
  double sum = 0.0;
  for (double s : samples) sum += s;
  j["min"] = samples.front();
  j["median"] = at(0.5);
  j["p99"] = at(0.99);
  j["max"] = samples.back();
  j["mean"] = sum / static_cast<double>(samples.size());
  return j;
}

// Resident set size now and at its peak (VmRSS / VmHWM of /proc/self/status), in MiB.
inline nlohmann::json rss_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  nlohmann::json j = nlohmann::json::object();
  while (std::getline(in, line)) {
    auto take = [&](const char* key, const char* name) {
      if (line.rfind(key, 0) == 0) j[name] = std::stod(line.substr(std::string(key).size())) / 1024.0;
    };
    take("VmRSS:", "rss");
    take("VmHWM:", "peak");
  }
  return j;
}

}  // namespace tbml::bench
