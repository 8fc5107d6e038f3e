// FeaturePipeline: names, finiteness on hostile inputs, determinism, reset, causality, real data.
#include "tbml/features/feature_pipeline.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tbml {
namespace {

constexpr std::int64_t kHour = 3600000;
constexpr std::int64_t kStart = 1617566400000;  // 2021-04-04T20:00Z

std::vector<Candle> random_walk(std::size_t n, unsigned seed, double start = 50000.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> ret(0.0, 0.01);
  std::lognormal_distribution<double> vol(3.0, 1.0);
  std::uniform_real_distribution<double> wick(0.0, 0.005);
  std::vector<Candle> out;
  double close = start;
  for (std::size_t i = 0; i < n; ++i) {
    Candle c;
    c.timestamp = kStart + static_cast<std::int64_t>(i) * kHour;
    c.open = close;
    close *= std::exp(ret(rng));
    c.close = close;
    c.high = std::max(c.open, c.close) * (1.0 + wick(rng));
    c.low = std::min(c.open, c.close) * (1.0 - wick(rng));
    c.volume = vol(rng);
    out.push_back(c);
  }
  return out;
}

std::vector<std::vector<float>> run(const std::vector<Candle>& candles) {
  FeaturePipeline p;
  std::vector<std::vector<float>> rows;
  for (const Candle& c : candles) rows.push_back(p.push(c));
  return rows;
}

void expect_rows_finite_and_clipped(const std::vector<std::vector<float>>& rows) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), FeaturePipeline::width());
    for (std::size_t j = 0; j < rows[i].size(); ++j) {
      ASSERT_TRUE(std::isfinite(rows[i][j])) << FeaturePipeline::names()[j] << " row " << i;
      ASSERT_LE(std::fabs(rows[i][j]), 10.0f) << FeaturePipeline::names()[j] << " row " << i;
    }
  }
}

std::size_t index_of(const std::string& name) {
  const auto& names = FeaturePipeline::names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  throw std::invalid_argument("no feature " + name);
}

TEST(FeaturePipeline, NamesAreUniqueStableAndVersioned) {
  const auto& names = FeaturePipeline::names();
  EXPECT_GE(names.size(), 84u);
  EXPECT_EQ(FeaturePipeline::width(), names.size());
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  EXPECT_EQ(FeaturePipeline::version(), "tbml-features-v2-" + std::to_string(names.size()));
  EXPECT_EQ(&FeaturePipeline::names(), &names);
  // Names must not suggest raw prices or volumes.
  for (const auto& n : names) {
    EXPECT_NE(n, "close");
    EXPECT_NE(n, "volume");
  }
}

TEST(FeaturePipeline, RandomWalksAreFiniteAndClipped) {
  for (unsigned seed : {1u, 2u, 3u}) expect_rows_finite_and_clipped(run(random_walk(1500, seed)));
}

TEST(FeaturePipeline, ScaleFree) {
  // Multiplying every price (or every volume) by a constant must not change a row: no raw levels.
  auto base = random_walk(400, 11);
  auto scaled = base;
  for (auto& c : scaled) {
    c.open *= 1000.0;
    c.high *= 1000.0;
    c.low *= 1000.0;
    c.close *= 1000.0;
    c.volume *= 0.001;
  }
  const auto a = run(base), b = run(scaled);
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t j = 0; j < a[i].size(); ++j) {
      ASSERT_NEAR(a[i][j], b[i][j], 1e-3 + 1e-3 * std::fabs(a[i][j])) << FeaturePipeline::names()[j] << " " << i;
    }
  }
}

TEST(FeaturePipeline, FlatPricesZeroVolume) {
  std::vector<Candle> flat;
  for (int i = 0; i < 400; ++i) {
    Candle c;
    c.timestamp = kStart + i * kHour;
    c.open = c.high = c.low = c.close = 1.2345;
    c.volume = 0.0;
    flat.push_back(c);
  }
  const auto rows = run(flat);
  expect_rows_finite_and_clipped(rows);
  const auto& last = rows.back();
  EXPECT_EQ(last[index_of("rsi_14")], 0.0f);
  EXPECT_EQ(last[index_of("ret_log_1")], 0.0f);
  EXPECT_EQ(last[index_of("volume_log_ratio_20")], 0.0f);
  EXPECT_EQ(last[index_of("bb_percent_b")], 0.0f);
}

TEST(FeaturePipeline, HugeJumpsAndMissingFields) {
  auto candles = random_walk(600, 5);
  for (std::size_t i = 0; i < candles.size(); i += 7) {
    candles[i].close *= (i % 14 == 0) ? 1e6 : 1e-6;
    candles[i].open = 0.0;  // core has no open
    candles[i].high = std::nan("");
    candles[i].volume = (i % 21 == 0) ? -1.0 : 1e15;
  }
  expect_rows_finite_and_clipped(run(candles));
}

TEST(FeaturePipeline, SingleCandleGivesNeutralRow) {
  FeaturePipeline p;
  Candle c;
  c.timestamp = kStart;
  c.open = 100;
  c.high = 101;
  c.low = 99;
  c.close = 100.5;
  c.volume = 3;
  const auto row = p.push(c);
  ASSERT_EQ(row.size(), FeaturePipeline::width());
  EXPECT_EQ(p.count(), 1u);
  for (float x : row) EXPECT_TRUE(std::isfinite(x));
  EXPECT_EQ(row[index_of("ret_log_1")], 0.0f);
  EXPECT_EQ(row[index_of("rsi_14")], 0.0f);
  EXPECT_EQ(row[index_of("adx")], 0.0f);
  EXPECT_NEAR(row[index_of("candle_body")], 0.5 / 100.5, 1e-6);
}

TEST(FeaturePipeline, AlternatingReturnsHandValues) {
  // Closes 100, 101, 100, 101, ...: returns alternate +a, -a.
  FeaturePipeline p;
  std::vector<float> row;
  for (int i = 0; i < 120; ++i) {
    Candle c;
    c.timestamp = kStart + i * kHour;
    c.close = c.open = c.high = c.low = (i % 2 == 0) ? 100.0 : 101.0;
    c.volume = 1.0;
    row = p.push(c);
  }
  EXPECT_NEAR(row[index_of("ret_autocorr_20")], -1.0, 1e-5);
  EXPECT_NEAR(row[index_of("ret_autocorr_50")], -1.0, 1e-5);
  EXPECT_NEAR(row[index_of("efficiency_10")], 0.0, 1e-5);  // no net move over an even window
  EXPECT_NEAR(row[index_of("up_fraction_10")], 0.0, 1e-6);
  EXPECT_NEAR(row[index_of("ret_skew_20")], 0.0, 1e-3);
  EXPECT_NEAR(row[index_of("close_streak")], 0.1, 1e-6);  // last close rose
  EXPECT_NEAR(row[index_of("ret_log_1")], std::log(101.0 / 100.0), 1e-6);
  EXPECT_NEAR(row[index_of("ret_log_2")], 0.0, 1e-6);
  EXPECT_NEAR(row[index_of("vol_log_ret_20")], std::log(1.01), 1e-5);
}

TEST(FeaturePipeline, DeterministicBitIdentical) {
  const auto candles = random_walk(800, 9);
  const auto a = run(candles), b = run(candles);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)), 0) << i;
  }
}

TEST(FeaturePipeline, ResetReproducesRows) {
  const auto candles = random_walk(500, 4);
  FeaturePipeline p;
  std::vector<std::vector<float>> first;
  for (const auto& c : candles) first.push_back(p.push(c));
  p.reset();
  EXPECT_EQ(p.count(), 0u);
  std::vector<float> row(FeaturePipeline::width());
  for (std::size_t i = 0; i < candles.size(); ++i) {
    p.push(candles[i], row.data());
    ASSERT_EQ(std::memcmp(first[i].data(), row.data(), row.size() * sizeof(float)), 0) << i;
  }
  FeaturePipeline moved = std::move(p);
  EXPECT_EQ(moved.count(), candles.size());
}

TEST(FeaturePipeline, FutureCandlesDoNotChangePastRows) {
  auto a = random_walk(400, 21);
  auto b = a;
  for (std::size_t i = 250; i < b.size(); ++i) b[i].close *= 1.5;  // different future
  const auto ra = run(a), rb = run(b);
  for (std::size_t i = 0; i < 250; ++i) {
    ASSERT_EQ(std::memcmp(ra[i].data(), rb[i].data(), ra[i].size() * sizeof(float)), 0) << i;
  }
}

TEST(FeaturePipeline, RejectsNonIncreasingTimestampsWithoutSideEffects) {
  const auto candles = random_walk(50, 8);
  FeaturePipeline p, q;
  for (std::size_t i = 0; i < 30; ++i) {
    p.push(candles[i]);
    q.push(candles[i]);
  }
  EXPECT_THROW(p.push(candles[29]), std::invalid_argument);
  Candle bad = candles[30];
  bad.close = 0.0;
  EXPECT_THROW(p.push(bad), std::invalid_argument);
  EXPECT_THROW(p.push(candles[30], nullptr), std::invalid_argument);
  EXPECT_EQ(p.count(), 30u);
  for (std::size_t i = 30; i < candles.size(); ++i) ASSERT_EQ(p.push(candles[i]), q.push(candles[i]));
}

TEST(FeaturePipeline, WindowedFeaturesDependOnBoundedHistory) {
  // Structure check for O(1) pushes: window-based features see at most the last ~101 candles, so two
  // very different long prefixes followed by the same 300 candles give the same windowed values.
  auto tail = random_walk(300, 33, 1000.0);
  auto prefix_a = random_walk(3000, 34, 20000.0), prefix_b = random_walk(200, 35, 5.0);
  auto shift = [&](std::vector<Candle> prefix) {
    const std::int64_t offset = prefix.back().timestamp + kHour - tail.front().timestamp;
    for (auto c : tail) {
      c.timestamp += offset;
      prefix.push_back(c);
    }
    return prefix;
  };
  const auto ra = run(shift(prefix_a)), rb = run(shift(prefix_b));
  const std::vector<std::string> windowed{"ret_log_100", "vol_log_ret_100", "candle_body", "dist_high_100",
                                          "range_pos_50", "bb_percent_b", "stoch_d", "williams_r",
                                          "ichimoku_senkou_b_dist", "cci", "close_sma21", "ret_skew_50",
                                          "ret_autocorr_50", "efficiency_20", "volume_log_ratio_50"};
  for (const auto& name : windowed) {
    const std::size_t j = index_of(name);
    EXPECT_NEAR(ra.back()[j], rb.back()[j], 1e-4) << name;
  }
}

std::vector<Candle> read_csv(const std::string& path) {
  std::ifstream in(path);
  std::vector<Candle> out;
  std::string line;
  std::getline(in, line);  // header: timestamp,open,high,low,close,volume
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string f[6];
    for (auto& x : f) std::getline(ss, x, ',');
    Candle c;
    c.timestamp = std::stoll(f[0]);
    c.open = std::stod(f[1]);
    c.high = std::stod(f[2]);
    c.low = std::stod(f[3]);
    c.close = std::stod(f[4]);
    c.volume = std::stod(f[5]);
    out.push_back(c);
  }
  return out;
}

// ETH with BTC as the reference pair (looked up by timestamp as market does), so the cross-pair columns
// are live too.
TEST(FeaturePipeline, RealHourlyDataWithReference) {
  const std::string path = std::string(TBML_SHARED_DATA_DIR) + "/ETHUSDT_1h.csv";
  const std::string ref_path = std::string(TBML_SHARED_DATA_DIR) + "/BTCUSDT_1h.csv";
  if (!std::ifstream(path).good() || !std::ifstream(ref_path).good()) GTEST_SKIP() << "no market data at " << path;
  const auto candles = read_csv(path);
  ASSERT_GT(candles.size(), 1000u);
  const auto btc = read_csv(ref_path);
  ReturnTracker tracker;
  SummaryHistory reference(btc.size());
  for (const Candle& c : btc) reference.push(tracker.push(c));
  const std::size_t w = FeaturePipeline::width();
  FeaturePipeline p;
  std::vector<double> sum(w, 0.0), sum2(w, 0.0);
  std::vector<float> row(w);
  std::size_t used = 0;
  for (std::size_t i = 0; i < candles.size(); ++i) {
    p.push(candles[i], row.data(), reference.at(candles[i].timestamp));
    for (std::size_t j = 0; j < w; ++j) ASSERT_TRUE(std::isfinite(row[j])) << FeaturePipeline::names()[j] << " " << i;
    if (i < 200) continue;  // skip warm-up
    ++used;
    for (std::size_t j = 0; j < w; ++j) {
      sum[j] += row[j];
      sum2[j] += static_cast<double>(row[j]) * row[j];
    }
  }
  std::size_t varying = 0;
  for (std::size_t j = 0; j < w; ++j) {
    const double mean = sum[j] / used;
    const double var = sum2[j] / used - mean * mean;
    if (var > 1e-12) {
      ++varying;
    } else {
      ADD_FAILURE() << "constant feature on real data: " << FeaturePipeline::names()[j];
    }
  }
  EXPECT_EQ(varying, w);
}

}  // namespace
}  // namespace tbml
