// The history of served answers: one record per candle, outcomes joined later, pruned by time and count.
#include <stdexcept>

#include <gtest/gtest.h>

#include "tbml/decision/served_history.h"

using namespace tbml::decision;

namespace {

constexpr std::int64_t kHour = 3600 * 1000;

ServedRecord at(std::int64_t hour, const std::string& signal = "BUY", double p = 0.6, double base = 0.5) {
  return ServedRecord{hour * kHour, signal, p, base, 1.0, std::nullopt};
}

}  // namespace

TEST(ServedHistory, ARefreshReplacesTheCandleAndKeepsItsOutcome) {
  ServedHistory h(24 * kHour, 5);
  h.add(at(1));
  ASSERT_TRUE(h.resolve(1 * kHour, true));
  h.add(at(1, "HOLD", 0.52));  // a refresh after a retrain, same candle
  ASSERT_EQ(h.size(), 1u);
  const auto s = h.signals();
  EXPECT_EQ(s[0].signal, "HOLD");
  ASSERT_TRUE(s[0].up.has_value());
  EXPECT_TRUE(*s[0].up);
  EXPECT_FALSE(h.resolve(2 * kHour, true));  // no record on that candle
}

TEST(ServedHistory, ResolvedOutcomesAreTheServedProbabilitiesOldestFirst) {
  ServedHistory h(24 * kHour, 10);
  h.add(at(1, "BUY", 0.7, 0.45));
  h.add(at(3, "SELL", 0.3, 0.55));
  h.add(at(2));  // out of order but not older than the oldest: sorted in
  h.resolve(3 * kHour, false);
  h.resolve(1 * kHour, true);
  const auto r = h.resolved_outcomes();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].made_at, 1 * kHour);
  EXPECT_DOUBLE_EQ(r[0].p, 0.7);
  EXPECT_DOUBLE_EQ(r[0].base_rate, 0.45);
  EXPECT_TRUE(r[0].up);
  EXPECT_EQ(r[1].made_at, 3 * kHour);
  EXPECT_FALSE(r[1].up);
  EXPECT_DOUBLE_EQ(*h.base_rate_at(2 * kHour), 0.5);
  EXPECT_FALSE(h.base_rate_at(4 * kHour).has_value());
}

TEST(ServedHistory, KeepsTheTimeWindowAndAtLeastTheCount) {
  ServedHistory h(10 * kHour, 3);
  for (int i = 1; i <= 30; ++i) h.add(at(i));
  // Within 10 h of the newest (hour 30): hours 21..30.
  EXPECT_EQ(h.size(), 10u);
  EXPECT_EQ(h.signals().front().timestamp, 21 * kHour);
  h.add(at(5));  // older than anything held: history only moves forward
  EXPECT_EQ(h.size(), 10u);
  ServedHistory counted(kHour, 5);
  for (int i = 1; i <= 30; ++i) counted.add(at(i));
  EXPECT_EQ(counted.size(), 5u);  // the count keeps more than the 1 h window would
  EXPECT_EQ(counted.newest(), 30 * kHour);
  EXPECT_THROW(ServedHistory(0, 1), std::invalid_argument);
}
