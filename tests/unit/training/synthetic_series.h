#pragma once
// Hand-built Series for training tests, independent of the feature pipeline.
#include <cmath>
#include <random>

#include "tbml/market/series.h"

namespace tbml::test {

// Prices move in regimes (up or down for 15..40 candles). Feature 0 at row t is +1 when the close rises
// over the next `horizon` candles and -1 otherwise (plus small noise), so the label of a window is
// decided by feature 0 at its last step; features 1.. are pure noise. With `informative` false, feature
// 0 is noise too (nothing to learn).
inline Series regime_series(std::size_t n, std::size_t horizon, std::size_t width = 3, bool informative = true,
                            unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_int_distribution<int> block(15, 40);
  Series s;
  s.pair = "TEST";
  s.width = width;
  s.candles.resize(n);
  s.gap_before.assign(n, 0);
  s.features.assign(n * width, 0.0f);
  double close = 100.0;
  int direction = 1, left = block(rng);
  for (std::size_t i = 0; i < n; ++i) {
    if (--left <= 0) {
      direction = -direction;
      left = block(rng);
    }
    close *= 1.0 + 0.01 * direction + 0.001 * noise(rng);
    Candle& c = s.candles[i];
    c.timestamp = 1'600'000'000'000 + static_cast<std::int64_t>(i) * 3'600'000;
    c.open = c.high = c.low = c.close = close;
    c.volume = 1.0;
  }
  for (std::size_t i = 0; i < n; ++i) {
    float* row = s.features.data() + i * width;
    if (informative) {
      const double up = i + horizon < n ? (s.candles[i + horizon].close > s.candles[i].close ? 1.0 : -1.0) : 0.0;
      row[0] = static_cast<float>(up + 0.1 * noise(rng));
    } else {
      row[0] = static_cast<float>(noise(rng));
    }
    for (std::size_t f = 1; f < width; ++f) row[f] = static_cast<float>(noise(rng));
  }
  return s;
}

// Features are noise and prices a random walk: validation loss cannot keep improving.
inline Series noise_series(std::size_t n, std::size_t width = 3, unsigned seed = 11) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  Series s;
  s.pair = "NOISE";
  s.width = width;
  s.candles.resize(n);
  s.gap_before.assign(n, 0);
  s.features.resize(n * width);
  double close = 100.0;
  for (std::size_t i = 0; i < n; ++i) {
    close *= 1.0 + 0.01 * noise(rng);
    s.candles[i].timestamp = 1'600'000'000'000 + static_cast<std::int64_t>(i) * 3'600'000;
    s.candles[i].close = s.candles[i].open = s.candles[i].high = s.candles[i].low = close;
  }
  for (auto& v : s.features) v = static_cast<float>(noise(rng));
  return s;
}

inline std::vector<std::string> names(std::size_t width) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < width; ++i) out.push_back("f" + std::to_string(i));
  return out;
}

}  // namespace tbml::test
