#include "tbml/volatility/split.h"

#include <gtest/gtest.h>

#include <numeric>

namespace tbml::volatility {
namespace {

TEST(Split, ChronologicalWithAnEmbargoOfHorizon) {
  std::vector<std::size_t> t(100);
  std::iota(t.begin(), t.end(), 10);  // times 10..109
  SplitOptions o;
  o.min_part = 5;
  const SampleSplit s = split_samples(t, 5, o);
  ASSERT_EQ(s.train.size(), 60u);   // 10..69
  EXPECT_EQ(s.train.back(), 69u);
  EXPECT_EQ(s.validation.front(), 74u);  // 70..73 would share target returns with t = 69
  EXPECT_EQ(s.validation.back(), 89u);
  EXPECT_EQ(s.test.front(), 94u);
  EXPECT_EQ(s.test.back(), 109u);
  EXPECT_EQ(s.embargoed, 8u);
  // No target window (t, t+h] of one part overlaps the next part's.
  EXPECT_GE(s.validation.front(), s.train.back() + 5);
  EXPECT_GE(s.test.front(), s.validation.back() + 5);
}

TEST(Split, GappedTimesNeedNoEmbargoDrop) {
  std::vector<std::size_t> t;
  for (std::size_t i = 0; i < 100; ++i) t.push_back(i < 60 ? i : i + 20);  // a hole after 59
  SplitOptions o;
  o.min_part = 5;
  const SampleSplit s = split_samples(t, 5, o);
  EXPECT_EQ(s.validation.front(), 80u);
}

TEST(Split, TooFewSamplesThrowNamingTheParts) {
  std::vector<std::size_t> t(50);
  std::iota(t.begin(), t.end(), 0);
  try {
    split_samples(t, 5, SplitOptions{});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("need at least 30"), std::string::npos) << e.what();
  }
  SplitOptions bad;
  bad.train_fraction = 0.9;
  bad.validation_fraction = 0.1;
  EXPECT_THROW(bad.validate(), std::invalid_argument);
}

}  // namespace
}  // namespace tbml::volatility
