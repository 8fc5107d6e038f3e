// The one candle validity rule (candle_problem) and the repair every consumer shares (complete_candle).
#include "tbml/features/candle.h"

#include <gtest/gtest.h>

#include <limits>

namespace tbml {
namespace {

Candle good() { return Candle{1000, 10.0, 12.0, 9.0, 11.0, 5.0}; }

TEST(Candle, ProblemsInOrder) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(candle_problem(good()), CandleProblem::kNone);

  Candle c = good();
  c.open = 0.0;  // a missing open is not a problem: complete_candle fills it
  EXPECT_EQ(candle_problem(c), CandleProblem::kNone);
  c.open = nan;
  EXPECT_EQ(candle_problem(c), CandleProblem::kNone);

  c = good();
  c.timestamp = 0;
  c.close = -1.0;
  EXPECT_EQ(candle_problem(c), CandleProblem::kTimestamp);
  EXPECT_EQ(candle_value_problem(c), CandleProblem::kPrice);

  for (double bad : {0.0, -1.0, nan, inf}) {
    for (double Candle::*field : {&Candle::close, &Candle::high, &Candle::low}) {
      c = good();
      c.*field = bad;
      c.volume = -1.0;
      EXPECT_EQ(candle_problem(c), CandleProblem::kPrice);
    }
  }
  for (double bad : {-0.5, nan, inf}) {
    c = good();
    c.volume = bad;
    EXPECT_EQ(candle_problem(c), CandleProblem::kVolume);
  }
  c = good();
  c.volume = 0.0;
  EXPECT_EQ(candle_problem(c), CandleProblem::kNone);
}

TEST(Candle, RangeConsistency) {
  EXPECT_TRUE(candle_range_consistent(good()));
  Candle c = good();
  c.high = 10.5;  // below the close
  EXPECT_FALSE(candle_range_consistent(c));
  c = good();
  c.low = 10.5;  // above the open
  EXPECT_FALSE(candle_range_consistent(c));
}

TEST(Candle, CompleteFillsTheOpenAndWidensTheRange) {
  Candle c{1000, 0.0, 11.0, 10.5, 11.0, 1.0};
  Candle done = complete_candle(c, 10.0);
  EXPECT_DOUBLE_EQ(done.open, 10.0);
  EXPECT_DOUBLE_EQ(done.high, 11.0);
  EXPECT_DOUBLE_EQ(done.low, 10.0);

  done = complete_candle(c, 0.0);  // first candle: the open is its own close
  EXPECT_DOUBLE_EQ(done.open, 11.0);
  EXPECT_DOUBLE_EQ(done.low, 10.5);

  c.open = 12.0;  // a usable open is kept; the high grows to contain it
  done = complete_candle(c, 10.0);
  EXPECT_DOUBLE_EQ(done.open, 12.0);
  EXPECT_DOUBLE_EQ(done.high, 12.0);
}

}  // namespace
}  // namespace tbml
