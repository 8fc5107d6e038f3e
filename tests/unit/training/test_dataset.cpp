#include "tbml/training/dataset.h"

#include <gtest/gtest.h>

#include "unit/training/synthetic_series.h"

namespace tbml {
namespace {

TEST(Dataset, LabelsCompareCloseOverHorizon) {
  Series s = test::regime_series(50, 2);
  const auto windows = eligible_windows(s, 4, 2);
  ASSERT_EQ(windows.size(), 50u - 4 - 2 + 1);
  for (const auto& w : windows) {
    EXPECT_EQ(w.label, s.candles[w.last + 2].close > s.candles[w.last].close ? 1 : 0);
    EXPECT_GE(w.last, 3u);
    EXPECT_LT(w.last + 2, 50u);
  }
}

TEST(Dataset, WindowsAndLabelsNeverSpanGaps) {
  Series s = test::regime_series(200, 3);
  s.gap_before[50] = 1;
  s.gap_before[120] = 1;
  const std::size_t seq = 10, h = 3;
  const auto windows = eligible_windows(s, seq, h);
  ASSERT_FALSE(windows.empty());
  for (const auto& w : windows) {
    const std::size_t first = w.last + 1 - seq;
    for (std::size_t r = first + 1; r <= w.last + h; ++r) EXPECT_EQ(s.gap_before[r], 0) << "window " << w.last;
  }
  // A window may start right at a gap (the gap is before its first row).
  bool starts_at_gap = false;
  for (const auto& w : windows) starts_at_gap |= (w.last + 1 - seq) == 50;
  EXPECT_TRUE(starts_at_gap);
  // Windows lost: those whose (first, last+h] contains row 50 or row 120.
  EXPECT_EQ(windows.size(), (200u - seq - h + 1) - 2 * (seq + h - 1));
}

TEST(Dataset, SplitIsChronologicalWithEmbargo) {
  Series s = test::regime_series(400, 5);
  DatasetOptions o;
  o.sequence_length = 20;
  o.horizon = 5;
  const Dataset ds = make_dataset(s, o);
  ASSERT_FALSE(ds.train.empty());
  ASSERT_FALSE(ds.validation.empty());
  ASSERT_FALSE(ds.test.empty());
  auto sorted = [](const std::vector<Window>& v) {
    for (std::size_t i = 1; i < v.size(); ++i)
      if (v[i].last <= v[i - 1].last) return false;
    return true;
  };
  EXPECT_TRUE(sorted(ds.train) && sorted(ds.validation) && sorted(ds.test));
  // No training label reads a price at or after the first validation "now" (same for val -> test).
  EXPECT_LT(ds.train.back().last + o.horizon, ds.validation.front().last);
  EXPECT_LT(ds.validation.back().last + o.horizon, ds.test.front().last);
  const std::size_t total = ds.train.size() + ds.validation.size() + ds.test.size();
  EXPECT_EQ(total + 2 * o.horizon, 400u - 20 - 5 + 1);
  EXPECT_NEAR(static_cast<double>(ds.train.size()) / total, 0.70, 0.01);
  EXPECT_NEAR(static_cast<double>(ds.validation.size()) / total, 0.15, 0.01);
  EXPECT_EQ(ds.data_from, s.candles[0].timestamp);
  EXPECT_EQ(ds.data_to, s.candles[399].timestamp);
}

TEST(Dataset, MaxWindowsKeepsMostRecent) {
  Series s = test::regime_series(400, 5);
  DatasetOptions o;
  o.sequence_length = 20;
  o.horizon = 5;
  o.max_windows = 100;
  const Dataset ds = make_dataset(s, o);
  EXPECT_EQ(ds.train.size() + ds.validation.size() + ds.test.size() + 2 * o.horizon, 100u);
  EXPECT_EQ(ds.test.back().last, 399u - 5);
}

TEST(Dataset, RejectsBadOptionsAndTooLittleData) {
  Series s = test::regime_series(60, 5);
  DatasetOptions o;
  o.sequence_length = 60;
  EXPECT_THROW(make_dataset(s, o), std::invalid_argument);  // no window fits
  o.sequence_length = 10;
  o.train_fraction = 0.9;
  o.validation_fraction = 0.1;
  EXPECT_THROW(make_dataset(s, o), std::invalid_argument);  // no room for test
  o.train_fraction = 0.7;
  o.validation_fraction = 0.15;
  o.horizon = 0;
  EXPECT_THROW(make_dataset(s, o), std::invalid_argument);
  Series broken = s;
  broken.features.pop_back();
  EXPECT_THROW(eligible_windows(broken, 10, 5), std::invalid_argument);
}

TEST(Dataset, CopyWindowTakesConsecutiveRows) {
  std::vector<float> rows{0, 1, 10, 11, 20, 21, 30, 31};  // 4 rows x 2
  std::vector<float> out(4);
  copy_window(rows.data(), 2, 2, 2, out.data());
  EXPECT_EQ(out, (std::vector<float>{10, 11, 20, 21}));
}

}  // namespace
}  // namespace tbml
