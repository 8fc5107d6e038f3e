#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "tbml/market/candle_csv.h"
#include "tbml/market/gap_detector.h"
#include "tbml/market/series.h"

namespace tbml {
namespace {

constexpr std::int64_t kHour = 3600000;

std::vector<Candle> candles_at(const std::vector<std::int64_t>& ts) {
  std::vector<Candle> out;
  for (auto t : ts) out.push_back(Candle{t, 1, 1, 1, 1, 1});
  return out;
}

TEST(GapDetector, NoGapBeforeThreeSteps) {
  // The 4th candle follows a 10x step, but only 2 steps were seen before it.
  auto gaps = detect_gaps(candles_at({0, kHour, 2 * kHour, 12 * kHour}));
  EXPECT_EQ(gaps, (std::vector<std::uint8_t>{0, 0, 0, 0}));
}

TEST(GapDetector, FlagsStepLongerThanOneAndAHalfMedian) {
  // Three regular steps, then exactly 1.5h (not a gap), then 2h (gap), then 1h.
  std::vector<std::int64_t> ts = {0, kHour, 2 * kHour, 3 * kHour};
  ts.push_back(ts.back() + kHour * 3 / 2);
  ts.push_back(ts.back() + 2 * kHour);
  ts.push_back(ts.back() + kHour);
  auto gaps = detect_gaps(candles_at(ts));
  EXPECT_EQ(gaps, (std::vector<std::uint8_t>{0, 0, 0, 0, 0, 1, 0}));
}

TEST(GapDetector, MedianUsesOnlyTheLast64Steps) {
  // 64 steps of 10 min, then 64 of 1 h: by then a 1 h step is normal again, 2 h is a gap.
  std::vector<std::int64_t> ts = {0};
  for (int i = 0; i < 64; ++i) ts.push_back(ts.back() + kHour / 6);
  for (int i = 0; i < 64; ++i) ts.push_back(ts.back() + kHour);
  ts.push_back(ts.back() + kHour);
  ts.push_back(ts.back() + 2 * kHour);
  auto gaps = detect_gaps(candles_at(ts));
  EXPECT_TRUE(gaps[65]);  // first 1 h step after 10 min ones
  EXPECT_FALSE(gaps[ts.size() - 2]);
  EXPECT_TRUE(gaps[ts.size() - 1]);
  GapDetector d;
  for (auto t : ts) d.push(t);
  EXPECT_EQ(d.steps_seen(), GapDetector::kWindow);
}

TEST(GapDetector, BatchEqualsIncrementalOnIrregularSpacing) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> jitter(-60000, 60000);
  std::uniform_int_distribution<int> outage(0, 40);
  std::vector<std::int64_t> ts = {1700000000000};
  for (int i = 0; i < 2000; ++i) {
    std::int64_t step = 300000 + jitter(rng);
    if (outage(rng) == 0) step *= 4;
    ts.push_back(ts.back() + step);
  }
  const auto batch = detect_gaps(candles_at(ts));
  GapDetector d;
  std::size_t flagged = 0;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const bool g = d.push(ts[i]);
    EXPECT_EQ(g, batch[i] != 0) << i;
    flagged += g;
  }
  EXPECT_GT(flagged, 10u);
  EXPECT_LT(flagged, 200u);
}

TEST(GapDetector, NonIncreasingTimestampIsIgnored) {
  GapDetector d;
  d.push(0);
  d.push(kHour);
  EXPECT_FALSE(d.push(kHour));
  EXPECT_FALSE(d.push(kHour / 2));
  EXPECT_EQ(d.steps_seen(), 1u);
  EXPECT_DOUBLE_EQ(d.typical_step_ms(), static_cast<double>(kHour));
}

TEST(GapDetector, KnownGapsOfBtcCsv) {
  const std::string path = std::string(TBML_SHARED_DATA_DIR) + "/BTCUSDT_1h.csv";
  if (!std::ifstream(path)) GTEST_SKIP() << path << " not present";
  const auto candles = load_candles_csv(path);
  ASSERT_EQ(candles.size(), 23987u);
  const auto gaps = detect_gaps(candles);
  std::vector<std::int64_t> gap_times;
  for (std::size_t i = 0; i < gaps.size(); ++i) {
    if (gaps[i]) gap_times.push_back(candles[i].timestamp);
  }
  // "Next bar" column of SOURCES.md's known-gaps table.
  EXPECT_EQ(gap_times, (std::vector<std::int64_t>{1618891200000, 1619337600000, 1628834400000,
                                                  1632906000000, 1679666400000}));
}

}  // namespace
}  // namespace tbml
