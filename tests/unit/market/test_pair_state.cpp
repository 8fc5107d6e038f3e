#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <thread>

#include "tbml/market/candle_csv.h"
#include "tbml/market/market_data.h"
#include "tbml/market/pair_state.h"
#include "tbml/market/series.h"

namespace tbml {
namespace {

constexpr std::int64_t kStep = 300000;  // 5 minutes
constexpr std::int64_t kT0 = 1700000000000;

// A deterministic wavy price path; candle i is at kT0 + i * kStep unless a gap is inserted.
std::vector<Candle> make_candles(std::size_t n, std::int64_t gap_after = -1) {
  std::vector<Candle> out;
  double prev = 100.0;
  std::int64_t t = kT0;
  for (std::size_t i = 0; i < n; ++i) {
    const double close = 100.0 + 5.0 * std::sin(i * 0.1) + 0.01 * static_cast<double>(i % 7);
    Candle c;
    c.timestamp = t;
    c.open = prev;
    c.high = std::max(prev, close) + 0.5;
    c.low = std::min(prev, close) - 0.5;
    c.close = close;
    c.volume = 10.0 + static_cast<double>(i % 5);
    out.push_back(c);
    prev = close;
    t += kStep;
    if (static_cast<std::int64_t>(i) == gap_after) t += 5 * kStep;
  }
  return out;
}

TEST(PairState, OneShotEqualsIncrementalAndBuildSeries) {
  const auto candles = make_candles(400, 250);
  PairState batch("BTC"), single("BTC"), chunks("BTC");
  batch.ingest(candles);
  for (const Candle& c : candles) single.ingest({c});
  // Overlapping polls of 50 with 30 new candles each, as core's growing arrays would give.
  for (std::size_t end = 50; end <= candles.size() + 29; end += 30) {
    const std::size_t e = std::min(end, candles.size());
    chunks.ingest(std::vector<Candle>(candles.begin() + (e >= 50 ? e - 50 : 0), candles.begin() + e));
  }
  const Series reference = build_series("BTC", candles);
  const Series a = batch.copy_series(1000), b = single.copy_series(1000), c = chunks.copy_series(1000);
  ASSERT_EQ(a.size(), 400u);
  ASSERT_EQ(b.size(), 400u);
  ASSERT_EQ(c.size(), 400u);
  EXPECT_EQ(a.features, reference.features);
  EXPECT_EQ(b.features, reference.features);
  EXPECT_EQ(c.features, reference.features);
  EXPECT_EQ(a.gap_before, reference.gap_before);
  EXPECT_EQ(b.gap_before, reference.gap_before);
  EXPECT_EQ(c.gap_before, reference.gap_before);
  EXPECT_EQ(reference.gap_before[251], 1);
  for (float v : a.features) ASSERT_TRUE(std::isfinite(v));
}

TEST(PairState, RingKeepsNewestAndRowsMatchFullHistory) {
  const auto candles = make_candles(300);
  PairState small("ETH", 100);
  small.ingest(std::vector<Candle>(candles.begin(), candles.begin() + 150));
  small.ingest(std::vector<Candle>(candles.begin() + 120, candles.end()));
  ASSERT_EQ(small.size(), 100u);
  EXPECT_EQ(small.last_timestamp(), candles.back().timestamp);
  const Series s = small.copy_series(100);
  EXPECT_EQ(s.candles.front().timestamp, candles[200].timestamp);
  // Rows are those of the full history (indicator state carried through), not of the last 100 alone.
  const Series full = build_series("ETH", candles);
  const std::vector<float> tail(full.features.end() - 100 * full.width, full.features.end());
  EXPECT_EQ(s.features, tail);

  PairState tiny("ETH", 10);
  tiny.ingest(candles);  // more than the capacity in one call
  EXPECT_EQ(tiny.size(), 10u);
  EXPECT_EQ(tiny.copy_series(10).features,
            std::vector<float>(full.features.end() - 10 * full.width, full.features.end()));
}

TEST(PairState, DedupesOverlapAndOutOfOrder) {
  const auto candles = make_candles(10);
  PairState s("BTC");
  auto r = s.ingest({candles[2], candles[0], candles[1]});  // sorted before ingest
  EXPECT_EQ(r.added, 3u);
  r = s.ingest({candles[1], candles[2], candles[3], candles[3], candles[4]});
  EXPECT_EQ(r.added, 2u);
  EXPECT_EQ(r.duplicates, 3u);
  r = s.ingest({candles[0]});  // older than the last accepted: never inserted behind
  EXPECT_EQ(r.added, 0u);
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_EQ(s.size(), 5u);
  const auto k = s.counters();
  EXPECT_EQ(k.total_ingested, 5u);
  EXPECT_EQ(k.total_duplicates, 4u);
  EXPECT_EQ(k.last_timestamp, candles[4].timestamp);
  EXPECT_GT(k.last_update_ms, 0);
}

TEST(PairState, RejectsBadCandles) {
  auto c = make_candles(8);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  c[1].close = nan;
  c[2].high = std::numeric_limits<double>::infinity();
  c[3].low = 0.0;
  c[4].volume = -1.0;
  c[5].close = -5.0;
  c[6].timestamp = 0;
  PairState s("BTC");
  const auto r = s.ingest(c);
  EXPECT_EQ(r.added, 2u);  // c[0] and c[7]
  EXPECT_EQ(r.rejected, 6u);
  EXPECT_EQ(s.counters().total_rejected, 6u);
  const Series out = s.copy_series(10);
  EXPECT_EQ(out.candles[0].timestamp, c[0].timestamp);
  EXPECT_EQ(out.candles[1].timestamp, c[7].timestamp);

  // A rejected candle does not advance the dedupe point: a corrected copy in the next poll is accepted.
  const auto good = make_candles(2);
  PairState t("BTC");
  auto bad = good;
  bad[1].close = nan;
  EXPECT_EQ(t.ingest(bad).rejected, 1u);
  EXPECT_EQ(t.ingest(good).added, 1u);
  EXPECT_EQ(t.last_timestamp(), good[1].timestamp);
}

TEST(PairState, FillsMissingOpenAndWidensHighLow) {
  auto c = make_candles(3);
  for (auto& x : c) x.open = 0.0;  // core sends no open
  c[1].high = c[1].close;          // 24h high below the filled open is widened
  c[1].low = c[1].close;
  PairState s("BTC");
  s.ingest(c);
  const Series out = s.copy_series(3);
  EXPECT_DOUBLE_EQ(out.candles[0].open, c[0].close);  // first candle: its own close
  EXPECT_DOUBLE_EQ(out.candles[1].open, c[0].close);
  EXPECT_DOUBLE_EQ(out.candles[2].open, c[1].close);
  EXPECT_GE(out.candles[1].high, std::max(out.candles[1].open, out.candles[1].close));
  EXPECT_LE(out.candles[1].low, std::min(out.candles[1].open, out.candles[1].close));
}

TEST(PairState, LatestFeatures) {
  PairState s("BTC");
  EXPECT_FALSE(s.latest_features().has_value());
  EXPECT_EQ(s.last_timestamp(), 0);
  const auto c = make_candles(30);
  s.ingest(c);
  const auto f = s.latest_features();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->timestamp, c.back().timestamp);
  EXPECT_EQ(f->names, FeaturePipeline::names());
  EXPECT_EQ(f->values.size(), PairState::width());
  EXPECT_EQ(f->data_points, 30u);
  const Series full = build_series("BTC", c);
  EXPECT_EQ(f->values, std::vector<float>(full.row(29), full.row(29) + full.width));
}

TEST(PairState, CopyWindowRefusesGapsAndShortHistory) {
  const std::size_t w = PairState::width();
  const auto c = make_candles(40, 29);  // gap before candle 30
  PairState s("BTC");
  std::vector<float> buf(20 * w, -7.0f);
  EXPECT_FALSE(s.copy_window(5, buf.data()));
  s.ingest(std::vector<Candle>(c.begin(), c.begin() + 25));
  EXPECT_FALSE(s.copy_window(26, buf.data()));
  EXPECT_FALSE(s.copy_window(0, buf.data()));
  std::int64_t last = 0;
  ASSERT_TRUE(s.copy_window(20, buf.data(), &last));
  EXPECT_EQ(last, c[24].timestamp);
  const Series full = build_series("BTC", c);
  EXPECT_EQ(buf, std::vector<float>(full.row(5), full.row(25)));

  s.ingest(c);  // now 40 rows, gap_before[30]
  ASSERT_EQ(full.gap_before[30], 1);
  EXPECT_FALSE(s.copy_window(11, buf.data()));  // rows 29..39 span the gap
  EXPECT_TRUE(s.copy_window(10, buf.data()));   // rows 30..39: gap only before the first row
  EXPECT_EQ(std::vector<float>(buf.begin(), buf.begin() + 10 * w), std::vector<float>(full.row(30), full.row(40)));
}

TEST(PairState, ConcurrentReadersWhileIngesting) {
  const auto c = make_candles(600);
  PairState s("BTC", 200);
  std::atomic<bool> done{false};
  std::thread reader([&] {
    std::vector<float> buf(16 * PairState::width());
    while (!done) {
      const Series snap = s.copy_series(50);
      ASSERT_EQ(snap.features.size(), snap.size() * snap.width);
      for (std::size_t i = 1; i < snap.size(); ++i) {
        ASSERT_GT(snap.candles[i].timestamp, snap.candles[i - 1].timestamp);
      }
      s.copy_window(16, buf.data());
      s.latest_features();
    }
  });
  for (const Candle& x : c) s.ingest({x});
  done = true;
  reader.join();
  EXPECT_EQ(s.size(), 200u);
}

TEST(MarketData, RegistryCreatesOnDemand) {
  MarketData m(50);
  EXPECT_EQ(m.find("BTC"), nullptr);
  auto a = m.get_or_create("btc");
  auto b = m.get_or_create("BTC");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a->pair(), "BTC");
  EXPECT_EQ(a->capacity(), 50u);
  EXPECT_EQ(m.find("Btc"), a);
  EXPECT_EQ(m.find("not a pair"), nullptr);
  m.get_or_create("ETH");
  EXPECT_EQ(m.pairs(), (std::vector<std::string>{"BTC", "ETH"}));
  EXPECT_THROW(m.get_or_create("BTC/USDT"), std::invalid_argument);
  EXPECT_THROW(MarketData(0), std::invalid_argument);

  MarketData shared;
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<PairState>> got(8);
  for (int i = 0; i < 8; ++i) threads.emplace_back([&, i] { got[i] = shared.get_or_create("SOL"); });
  for (auto& t : threads) t.join();
  for (auto& g : got) EXPECT_EQ(g, got[0]);
  EXPECT_EQ(shared.size(), 1u);
}

TEST(PairState, RealCsvIngestMatchesBuildSeries) {
  const std::string path = std::string(TBML_SHARED_DATA_DIR) + "/SOLUSDT_1h.csv";
  if (!std::ifstream(path)) GTEST_SKIP() << path << " not present";
  auto candles = load_candles_csv(path);
  candles.resize(3000);
  PairState s("SOL", 3000);
  for (std::size_t i = 0; i < candles.size(); i += 97) {
    s.ingest(std::vector<Candle>(candles.begin() + i, candles.begin() + std::min(i + 120, candles.size())));
  }
  const Series ref = build_series("SOL", candles);
  const Series got = s.copy_series(3000);
  EXPECT_EQ(got.features, ref.features);
  EXPECT_EQ(got.gap_before, ref.gap_before);
}

}  // namespace
}  // namespace tbml
