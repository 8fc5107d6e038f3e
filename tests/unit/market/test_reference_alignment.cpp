// Cross-pair columns end to end in market: exact-timestamp alignment, "not available" with its reason, no
// look-ahead, and the live path (MarketData + PairState::ingest) equal to the offline one (build_series_set).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "tbml/features/feature_pipeline.h"
#include "tbml/market/market_data.h"
#include "tbml/market/series.h"

namespace tbml {
namespace {

constexpr std::int64_t kHour = 3600000;
constexpr std::int64_t kT0 = 1700000000000;

std::vector<Candle> hourly(std::size_t n, double phase, double scale) {
  std::vector<Candle> out;
  double prev = scale;
  for (std::size_t i = 0; i < n; ++i) {
    Candle c;
    c.timestamp = kT0 + static_cast<std::int64_t>(i) * kHour;
    c.close = scale * (1.0 + 0.05 * std::sin(0.3 * static_cast<double>(i) + phase) + 0.001 * static_cast<double>(i % 3));
    c.open = prev;
    c.high = std::max(prev, c.close) * 1.002;
    c.low = std::min(prev, c.close) * 0.998;
    c.volume = 5.0 + static_cast<double>(i % 4);
    out.push_back(c);
    prev = c.close;
  }
  return out;
}

std::size_t flag_column() { return FeaturePipeline::width() - 1; }
std::size_t first_reference_column() { return FeaturePipeline::width() - FeaturePipeline::reference_names().size(); }

std::vector<float> row_of(const Series& s, std::size_t i) { return {s.row(i), s.row(i) + s.width}; }

TEST(ReferenceAlignment, MarketDataRolesAndOrder) {
  MarketData market(100, "btc");
  EXPECT_EQ(market.reference_pair(), "BTC");
  EXPECT_EQ(market.reference_for("btc")(kT0).status, ReferenceStatus::kIsReference);
  EXPECT_EQ(market.reference_for("ETH")(kT0).status, ReferenceStatus::kNoCandle);  // BTC not tracked yet
  EXPECT_EQ(MarketData(100).reference_for("ETH")(kT0).status, ReferenceStatus::kNotConfigured);
  EXPECT_EQ(market.reference_first({"ETH", "SOL", "BTC", "ADA"}),
            (std::vector<std::string>{"BTC", "ETH", "SOL", "ADA"}));
  EXPECT_EQ(MarketData(100).reference_first({"ETH", "BTC"}), (std::vector<std::string>{"ETH", "BTC"}));
}

TEST(ReferenceAlignment, ExactTimestampAndMissingCandle) {
  MarketData market(500, "BTC");
  std::vector<Candle> btc = hourly(80, 0.0, 40000.0);
  const std::int64_t missing = btc[50].timestamp;
  btc.erase(btc.begin() + 50);
  std::vector<Candle> eth = hourly(80, 1.0, 2000.0);
  eth.push_back(eth.back());
  eth.back().timestamp += kHour / 2;  // off the hourly grid: no BTC candle there
  market.ingest("BTC", btc);
  market.ingest("ETH", eth);
  const Series s = market.find("ETH")->copy_series(1000);
  ASSERT_EQ(s.size(), 81u);
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool expect = i >= 24 && s.candles[i].timestamp != missing && i != 80;
    EXPECT_EQ(s.row(i)[flag_column()], expect ? 1.0f : 0.0f) << "row " << i;
  }
  // The row at the missing timestamp: every reference column 0, and the reason kept.
  for (std::size_t j = first_reference_column(); j < s.width; ++j) EXPECT_EQ(s.row(50)[j], 0.0f);
  EXPECT_EQ(market.find("ETH")->latest_features()->reference, ReferenceStatus::kNoCandle);
  EXPECT_EQ(market.find("BTC")->latest_features()->reference, ReferenceStatus::kIsReference);
  // Row 60 reads the BTC candle at its own timestamp (BTC index 59 after the erase).
  ReturnTracker t;
  ReturnSummary at60;
  for (const Candle& c : btc)
    if (c.timestamp <= s.candles[60].timestamp) at60 = t.push(c);
  ASSERT_EQ(at60.timestamp, s.candles[60].timestamp);
  EXPECT_FLOAT_EQ(s.row(60)[first_reference_column()], static_cast<float>(at60.ret1));
}

TEST(ReferenceAlignment, NotEnoughReferenceHistory) {
  MarketData market(500, "BTC");
  market.ingest("BTC", hourly(40, 0.0, 40000.0));
  market.ingest("ETH", hourly(10, 1.0, 2000.0));  // ETH at t = 9 h: BTC has only 10 candles up to t
  EXPECT_EQ(market.find("ETH")->latest_features()->reference, ReferenceStatus::kNotEnoughHistory);
}

TEST(ReferenceAlignment, NoLookAhead) {
  const std::vector<Candle> eth = hourly(200, 1.0, 2000.0);
  std::vector<Candle> btc = hourly(200, 0.0, 40000.0);
  const std::vector<Series> before = build_series_set({{"BTC", btc}, {"ETH", eth}}, "BTC");
  const std::size_t cut = 120;
  for (std::size_t i = cut + 1; i < btc.size(); ++i) btc[i].close *= 1.0 + 0.03 * std::cos(static_cast<double>(i));
  btc.erase(btc.begin() + 150);
  const std::vector<Series> after = build_series_set({{"BTC", btc}, {"ETH", eth}}, "BTC");
  for (std::size_t i = 0; i <= cut; ++i) EXPECT_EQ(row_of(before[1], i), row_of(after[1], i)) << "row " << i;
  bool changed = false;
  for (std::size_t i = cut + 1; i < eth.size(); ++i) changed = changed || row_of(before[1], i) != row_of(after[1], i);
  EXPECT_TRUE(changed) << "later BTC candles must reach later ETH rows";
  EXPECT_EQ(after[1].row(150)[flag_column()], 0.0f);
}

TEST(ReferenceAlignment, LiveIngestEqualsOffline) {
  const std::vector<Candle> btc = hourly(300, 0.0, 40000.0), eth = hourly(300, 1.0, 2000.0);
  std::vector<Candle> sol = hourly(300, 2.0, 20.0);
  sol.erase(sol.begin() + 100, sol.begin() + 103);  // a gap of its own
  const std::vector<Series> offline = build_series_set({{"ETH", eth}, {"BTC", btc}, {"SOL", sol}}, "BTC");
  EXPECT_EQ(offline[1].row(299)[flag_column()], 0.0f);  // BTC itself: is_reference
  EXPECT_EQ(offline[0].row(299)[flag_column()], 1.0f);

  // Live: a poll cycle every 7 candles, the reference first, as the poller does.
  MarketData market(1000, "BTC");
  const std::vector<std::pair<std::string, const std::vector<Candle>*>> pairs = {
      {"ETH", &eth}, {"BTC", &btc}, {"SOL", &sol}};
  for (std::int64_t until = kT0 + 6 * kHour;; until += 7 * kHour) {
    std::vector<std::string> names;
    for (const auto& p : pairs) names.push_back(p.first);
    for (const std::string& name : market.reference_first(names)) {
      for (const auto& p : pairs) {
        if (p.first != name) continue;
        std::vector<Candle> batch;
        for (const Candle& c : *p.second)
          if (c.timestamp <= until) batch.push_back(c);  // core's window: everything so far (duplicates skipped)
        market.ingest(name, batch);
      }
    }
    if (until > kT0 + 300 * kHour) break;
  }
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    const Series live = market.find(pairs[k].first)->copy_series(1000);
    ASSERT_EQ(live.size(), offline[k].size()) << pairs[k].first;
    EXPECT_EQ(live.features, offline[k].features) << pairs[k].first;
  }
}

TEST(ReferenceAlignment, ALateReferenceCandleLeavesTheRowUnavailable) {
  const std::vector<Candle> btc = hourly(60, 0.0, 40000.0), eth = hourly(60, 1.0, 2000.0);
  MarketData market(500, "BTC");
  market.ingest("BTC", std::vector<Candle>(btc.begin(), btc.begin() + 50));
  market.ingest("ETH", eth);  // ETH rows 50..59 are computed before BTC has those candles
  market.ingest("BTC", btc);
  const Series s = market.find("ETH")->copy_series(1000);
  EXPECT_EQ(s.row(49)[flag_column()], 1.0f);
  for (std::size_t i = 50; i < 60; ++i) EXPECT_EQ(s.row(i)[flag_column()], 0.0f) << "rows are computed once";
  EXPECT_EQ(market.find("ETH")->latest_features()->reference, ReferenceStatus::kNoCandle);
}

TEST(ReferenceAlignment, WithoutTheReferenceDataEveryColumnIsUnavailable) {
  const std::vector<Series> none = build_series_set({{"ETH", hourly(50, 1.0, 2000.0)}}, "BTC");
  const std::vector<Series> off = build_series_set({{"ETH", hourly(50, 1.0, 2000.0)}}, "");
  EXPECT_EQ(none[0].features, off[0].features);
  for (std::size_t i = 0; i < none[0].size(); ++i) EXPECT_EQ(none[0].row(i)[flag_column()], 0.0f);
}

}  // namespace
}  // namespace tbml
