#include "tbml/evaluation/walk_forward.h"

#include <gtest/gtest.h>

namespace tbml::evaluation {
namespace {

WalkForwardOptions small() {
  WalkForwardOptions o;
  o.train_window = 300;
  o.block = 50;
  o.blocks = 5;
  o.retrain_every = 2;
  o.sequence_length = 10;
  o.horizon = 3;
  return o;
}

TEST(WalkForward, FoldsNeverTrainOnTheirFuture) {
  const auto o = small();
  const std::size_t n = 1000;
  const auto folds = plan_folds(n, o);
  ASSERT_EQ(folds.size(), 3u);  // blocks 0-1, 2-3, 4
  std::size_t expected_begin = n - o.blocks * o.block - o.horizon;
  for (const Fold& f : folds) {
    // Every training label (close up to train_end - 1) is known before the first prediction's "now".
    EXPECT_LE(f.train_end, f.test_begin);
    EXPECT_EQ(f.train_end - f.train_begin, o.train_window);
    EXPECT_EQ(f.test_begin, expected_begin);  // blocks are contiguous: nothing skipped, nothing twice
    expected_begin = f.test_end;
    EXPECT_EQ(f.test_end - f.test_begin, f.block_count * o.block);
    EXPECT_GE(f.test_begin + 1, o.sequence_length);  // every window fits
  }
  EXPECT_EQ(folds.back().block_count, 1u);
  // The last scored window's label candle is the last candle of the series.
  EXPECT_EQ(folds.back().test_end - 1 + o.horizon, n - 1);
}

TEST(WalkForward, TooShortSeriesOrBadOptionsThrow) {
  const auto o = small();
  EXPECT_EQ(candles_needed(o), 300u + 3u + 250u);
  EXPECT_NO_THROW(plan_folds(candles_needed(o), o));
  EXPECT_THROW(plan_folds(candles_needed(o) - 1, o), std::invalid_argument);
  auto bad = o;
  bad.block = 3;  // not longer than the horizon
  EXPECT_THROW(plan_folds(1000, bad), std::invalid_argument);
  bad = o;
  bad.retrain_every = 0;
  EXPECT_THROW(plan_folds(1000, bad), std::invalid_argument);
  bad = o;
  bad.train_window = 20;
  EXPECT_THROW(plan_folds(1000, bad), std::invalid_argument);
}

}  // namespace
}  // namespace tbml::evaluation
