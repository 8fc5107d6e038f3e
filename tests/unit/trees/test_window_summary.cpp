// The trees' window summary (src/trees/window_summary.cpp): hand-checked values, names, NaN safety,
// causality.
#include "tbml/trees/window_summary.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace tbml {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(WindowSummary, WidthNamesAndSourcesAgree) {
  EXPECT_EQ(window_summary_width(99), 404u);
  EXPECT_EQ(window_summary_width(2), 2u * 4 + 2 * 2);
  const std::vector<std::string> features{"a", "b", "c", "d", "e"};
  const auto names = window_summary_names(features, 60);
  ASSERT_EQ(names.size(), window_summary_width(5));
  EXPECT_EQ(names[0], "a");
  EXPECT_EQ(names[5], "a_chg1");
  EXPECT_EQ(names[11], "b_chg5");
  EXPECT_EQ(names[19], "e_chg20");
  EXPECT_EQ(names[20], "a_mean60");
  EXPECT_EQ(names[21], "a_std60");
  EXPECT_EQ(names.back(), "d_std60");
  const auto sources = window_summary_sources(5);
  ASSERT_EQ(sources.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i)
    EXPECT_EQ(names[i].substr(0, 1), features[sources[i]]) << names[i];
}

// 6 rows of 2 features: a = 0, 1, 2, 3, 4, 5; b = 10, 10, 13, 10, 10, 16.
TEST(WindowSummary, HandCheckedValues) {
  const std::vector<float> w{0, 10, 1, 10, 2, 13, 3, 10, 4, 10, 5, 16};
  std::vector<float> out(window_summary_width(2));
  window_summary(w.data(), 6, 2, out.data());
  EXPECT_FLOAT_EQ(out[0], 5.0f);   // latest a
  EXPECT_FLOAT_EQ(out[1], 16.0f);  // latest b
  EXPECT_FLOAT_EQ(out[2], 1.0f);   // a change over 1
  EXPECT_FLOAT_EQ(out[3], 6.0f);   // b change over 1
  EXPECT_FLOAT_EQ(out[4], 5.0f);   // a change over 5
  EXPECT_FLOAT_EQ(out[5], 6.0f);   // b change over 5
  EXPECT_TRUE(std::isnan(out[6]));  // 20 rows back is before the window
  EXPECT_TRUE(std::isnan(out[7]));
  EXPECT_FLOAT_EQ(out[8], 2.5f);                                   // mean a
  EXPECT_FLOAT_EQ(out[9], static_cast<float>(std::sqrt(17.5 / 6)));  // population std a
  EXPECT_FLOAT_EQ(out[10], 11.5f);                                 // mean b
  EXPECT_FLOAT_EQ(out[11], static_cast<float>(std::sqrt((4 * 2.25 + 2.25 + 20.25) / 6)));
}

TEST(WindowSummary, OneRowWindow) {
  const std::vector<float> w{3, -2};
  std::vector<float> out(window_summary_width(2));
  window_summary(w.data(), 1, 2, out.data());
  EXPECT_FLOAT_EQ(out[0], 3.0f);
  for (std::size_t i = 2; i < 8; ++i) EXPECT_TRUE(std::isnan(out[i]));
  EXPECT_FLOAT_EQ(out[8], 3.0f);
  EXPECT_FLOAT_EQ(out[9], 0.0f);
}

TEST(WindowSummary, FiniteInputNeverGivesNaNOrInf) {
  std::mt19937 rng(3);
  std::normal_distribution<float> n(0.0f, 3.0f);
  const std::size_t rows = 30, width = 7;
  std::vector<float> w(rows * width);
  for (auto& v : w) v = n(rng);
  w[9 * width] = std::numeric_limits<float>::max();
  w[(rows - 1) * width] = -std::numeric_limits<float>::max();  // change over 20 overflows float
  w[(rows - 2) * width + 1] = std::numeric_limits<float>::max();
  w[(rows - 1) * width + 1] = -std::numeric_limits<float>::max();
  std::vector<float> out(window_summary_width(width));
  window_summary(w.data(), rows, width, out.data());
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_TRUE(std::isfinite(out[i])) << i;
}

TEST(WindowSummary, NonFiniteInputBecomesMissingNotGarbage) {
  std::vector<float> w(25 * 2, 1.0f);
  w[24 * 2] = kNaN;                                      // latest a
  w[23 * 2 + 1] = std::numeric_limits<float>::infinity();  // b one row back
  std::vector<float> out(window_summary_width(2));
  window_summary(w.data(), 25, 2, out.data());
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_FLOAT_EQ(out[1], 1.0f);
  EXPECT_TRUE(std::isnan(out[3]));       // b change over 1 reads the inf
  EXPECT_FLOAT_EQ(out[5], 0.0f);         // b change over 5 does not
  EXPECT_FLOAT_EQ(out[8], 1.0f);         // mean a over the 24 finite rows
  EXPECT_FLOAT_EQ(out[9], 0.0f);
  for (float v : out) EXPECT_FALSE(std::isinf(v));
}

// Only the window is read: rows after it change nothing, rows inside it do.
TEST(WindowSummary, Causal) {
  std::mt19937 rng(5);
  std::normal_distribution<float> n;
  const std::size_t rows = 25, width = 3;
  std::vector<float> series((rows + 10) * width);
  for (auto& v : series) v = n(rng);
  std::vector<float> a(window_summary_width(width)), b(a.size());
  window_summary(series.data(), rows, width, a.data());
  for (std::size_t i = rows * width; i < series.size(); ++i) series[i] = 1e6f;
  window_summary(series.data(), rows, width, b.data());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])));
}

TEST(WindowSummary, RejectsEmptyInput) {
  float x = 0, out[16];
  EXPECT_THROW(window_summary(&x, 0, 1, out), std::invalid_argument);
  EXPECT_THROW(window_summary(&x, 1, 0, out), std::invalid_argument);
  EXPECT_THROW(window_summary(nullptr, 1, 1, out), std::invalid_argument);
}

}  // namespace
}  // namespace tbml
