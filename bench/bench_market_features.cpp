// Feature pipeline cost: one push per new candle (the serving path), and a full recompute of a Series
// (FeaturePipeline over every candle plus gap detection, what training and start-up do) for 1,440 and
// 20,000 candles. Prints one JSON object. Input: a real candle CSV (--csv), or with --synthetic a
// seeded random walk of hourly candles (for machines without ../shared/data/market).
//   bench_market_features --csv ../shared/data/market/BTCUSDT_1h.csv [--repeats 30]
#include <cmath>
#include <cstring>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>

#include "bench_util.h"
#include "tbml/features/feature_pipeline.h"
#include "tbml/market/candle_csv.h"
#include "tbml/market/series.h"

using namespace tbml;
using namespace tbml::bench;

namespace {

std::vector<Candle> last(const std::vector<Candle>& all, std::size_t n) {
  if (all.size() < n) throw std::invalid_argument("need " + std::to_string(n) + " candles, have " +
                                                  std::to_string(all.size()));
  return std::vector<Candle>(all.end() - static_cast<std::ptrdiff_t>(n), all.end());
}

// Per-candle push times (ns) over the candles after a warm-up, so indicators are in steady state.
nlohmann::json push_per_candle(const std::vector<Candle>& candles, std::size_t warmup) {
  FeaturePipeline pipeline;
  std::vector<float> row(FeaturePipeline::width());
  std::vector<double> ns;
  ns.reserve(candles.size());
  for (std::size_t i = 0; i < candles.size(); ++i) {
    const auto a = Clock::now();
    pipeline.push(candles[i], row.data());
    const auto b = Clock::now();
    if (i >= warmup) ns.push_back(micros_between(a, b) * 1000.0);
  }
  return summary(std::move(ns), "ns");
}

nlohmann::json full_recompute(const std::vector<Candle>& candles, int repeats, bool with_gaps) {
  std::vector<double> ms;
  std::vector<float> row(FeaturePipeline::width());
  for (int r = 0; r < repeats; ++r) {
    const auto a = Clock::now();
    if (with_gaps) {
      Series s = build_series("BENCH", candles);
      if (s.size() != candles.size()) throw std::runtime_error("series size");
    } else {
      FeaturePipeline p;
      for (const auto& c : candles) p.push(c, row.data());
    }
    ms.push_back(micros_between(a, Clock::now()) / 1000.0);
  }
  return summary(std::move(ms), "ms");
}

}  // namespace

int main(int argc, char** argv) {
  std::string csv;
  bool synthetic = false;
  int repeats = 30;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--csv") && i + 1 < argc) csv = argv[++i];
    else if (!std::strcmp(argv[i], "--synthetic")) synthetic = true;
    else if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = std::stoi(argv[++i]);
    else {
      std::cerr << "usage: bench_market_features (--csv FILE | --synthetic) [--repeats N]\n";
      return 2;
    }
  }
  if (csv.empty() && !synthetic) {
    std::cerr << "bench_market_features: give --csv FILE or --synthetic\n";
    return 2;
  }
  try {
    const std::vector<Candle> all = csv.empty() ? bench::random_walk(20'000) : load_candles_csv(csv);
    const auto c20k = last(all, 20'000);
    const auto c1440 = last(all, 1'440);
    nlohmann::json out;
    out["input"] = csv.empty() ? "synthetic random walk (seed 7)" : csv;
    out["featureWidth"] = FeaturePipeline::width();
    out["repeats"] = repeats;
    // Every candle of the 20,000 after the first 1,440 (steady state), timed one by one.
    out["pushPerCandle"] = push_per_candle(c20k, 1'440);
    out["recompute1440"] = full_recompute(c1440, repeats, false);
    out["recompute20000"] = full_recompute(c20k, std::max(3, repeats / 3), false);
    out["buildSeries1440"] = full_recompute(c1440, repeats, true);
    out["buildSeries20000"] = full_recompute(c20k, std::max(3, repeats / 3), true);
    out["memory"] = rss_mib();
    std::cout << out.dump(2) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "bench_market_features: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
