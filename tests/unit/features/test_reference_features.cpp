// Cross-pair columns at the feature level: the return summary, the timestamp lookup and the columns the
// pipeline writes from them.
#include "tbml/features/reference_features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "tbml/features/feature_pipeline.h"

namespace tbml {
namespace {

constexpr std::int64_t kHour = 3600000;
constexpr std::int64_t kStart = 1617566400000;

std::vector<Candle> path(std::size_t n, double drift, double wiggle) {
  std::vector<Candle> out;
  for (std::size_t i = 0; i < n; ++i) {
    Candle c;
    c.timestamp = kStart + static_cast<std::int64_t>(i) * kHour;
    c.close = 100.0 * std::exp(drift * static_cast<double>(i) + wiggle * std::sin(0.7 * static_cast<double>(i)));
    c.open = c.high = c.low = c.close;
    c.volume = 1.0;
    out.push_back(c);
  }
  return out;
}

std::size_t column(const std::string& name) {
  const auto& names = FeaturePipeline::names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return i;
  ADD_FAILURE() << name << " is not a feature";
  return 0;
}

TEST(ReturnTracker, MatchesTheDefinitions) {
  const auto candles = path(40, 0.001, 0.01);
  ReturnTracker t;
  for (std::size_t i = 0; i < candles.size(); ++i) {
    const ReturnSummary& s = t.push(candles[i]);
    EXPECT_EQ(s.count, i + 1);
    EXPECT_EQ(s.timestamp, candles[i].timestamp);
    EXPECT_EQ(s.full(), i + 1 >= 25);
    auto ret = [&](std::size_t k) { return i >= k ? std::log(candles[i].close / candles[i - k].close) : 0.0; };
    EXPECT_NEAR(s.ret1, ret(1), 1e-12);
    EXPECT_NEAR(s.ret5, ret(5), 1e-12);
    EXPECT_NEAR(s.ret24, ret(24), 1e-12);
    if (i >= 24) {
      double mean = 0.0, sq = 0.0;
      for (std::size_t j = i - 23; j <= i; ++j) mean += std::log(candles[j].close / candles[j - 1].close) / 24.0;
      for (std::size_t j = i - 23; j <= i; ++j) sq += std::pow(std::log(candles[j].close / candles[j - 1].close) - mean, 2) / 24.0;
      EXPECT_NEAR(s.vol24, std::sqrt(sq), 1e-9);
    } else {
      EXPECT_EQ(s.vol24, 0.0);
    }
  }
}

TEST(SummaryHistory, FindsOnlyTheExactTimestampWithEnoughHistory) {
  const auto candles = path(30, 0.0, 0.02);
  ReturnTracker t;
  SummaryHistory h(100);
  for (const Candle& c : candles) h.push(t.push(c));
  EXPECT_EQ(h.at(candles[10].timestamp).status, ReferenceStatus::kNotEnoughHistory);
  const ReferenceInput hit = h.at(candles[27].timestamp);
  ASSERT_EQ(hit.status, ReferenceStatus::kAvailable);
  EXPECT_EQ(hit.reference.timestamp, candles[27].timestamp);
  EXPECT_EQ(hit.reference.count, 28u);
  EXPECT_EQ(h.at(candles[27].timestamp + 1).status, ReferenceStatus::kNoCandle);  // no nearest match
  EXPECT_EQ(h.at(candles[27].timestamp - kHour / 2).status, ReferenceStatus::kNoCandle);
  EXPECT_EQ(h.at(candles.back().timestamp + kHour).status, ReferenceStatus::kNoCandle);  // not yet there
  EXPECT_EQ(h.at(kStart - kHour).status, ReferenceStatus::kNoCandle);
  EXPECT_THROW(h.push(t.latest()), std::invalid_argument);  // not newer
}

TEST(SummaryHistory, ForgetsWhatFellOffTheRing) {
  const auto candles = path(40, 0.0, 0.02);
  ReturnTracker t;
  SummaryHistory h(5);
  for (const Candle& c : candles) h.push(t.push(c));
  EXPECT_EQ(h.size(), 5u);
  EXPECT_EQ(h.at(candles[34].timestamp).status, ReferenceStatus::kNoCandle);
  EXPECT_EQ(h.at(candles[35].timestamp).status, ReferenceStatus::kAvailable);
}

TEST(ReferenceRole, NoneSelfOrLookUp) {
  EXPECT_EQ(reference_role("ETH", ""), ReferenceStatus::kNotConfigured);
  EXPECT_EQ(reference_role("BTC", "BTC"), ReferenceStatus::kIsReference);
  EXPECT_EQ(reference_role("ETH", "BTC"), ReferenceStatus::kAvailable);
  EXPECT_EQ(constant_reference(ReferenceStatus::kIsReference)(123).status, ReferenceStatus::kIsReference);
  for (auto s : {ReferenceStatus::kAvailable, ReferenceStatus::kNotConfigured, ReferenceStatus::kIsReference,
                 ReferenceStatus::kNoCandle, ReferenceStatus::kNotEnoughHistory})
    EXPECT_FALSE(reference_status_reason(s, "BTC").empty());
  EXPECT_STREQ(reference_status_name(ReferenceStatus::kNoCandle), "no_candle");
}

TEST(FeaturePipelineReference, ColumnsAreLastAndVersioned) {
  const auto& names = FeaturePipeline::names();
  const auto& ref = FeaturePipeline::reference_names();
  ASSERT_EQ(ref.size(), 8u);
  ASSERT_GT(names.size(), ref.size());
  for (std::size_t i = 0; i < ref.size(); ++i) EXPECT_EQ(names[names.size() - ref.size() + i], ref[i]);
  EXPECT_EQ(ref.back(), "ref_available");
  EXPECT_EQ(FeaturePipeline::version(), "tbml-features-v2-" + std::to_string(names.size()));
}

TEST(FeaturePipelineReference, UnavailableIsZeroWithFlagZero) {
  const auto candles = path(60, 0.001, 0.01);
  FeaturePipeline p;
  for (auto status : {ReferenceStatus::kNotConfigured, ReferenceStatus::kIsReference, ReferenceStatus::kNoCandle,
                      ReferenceStatus::kNotEnoughHistory}) {
    p.reset();
    std::vector<float> row;
    ReferenceInput in{status, {}};
    in.reference.ret1 = 0.5;  // ignored: only an available input is read
    for (const Candle& c : candles) row = p.push(c, in);
    const std::size_t first = row.size() - FeaturePipeline::reference_names().size();
    for (std::size_t i = first; i < row.size(); ++i) EXPECT_EQ(row[i], 0.0f) << FeaturePipeline::names()[i];
  }
}

TEST(FeaturePipelineReference, AvailableColumnsFollowTheDefinitions) {
  const auto own = path(60, 0.002, 0.03), btc = path(60, -0.001, 0.01);
  FeaturePipeline p;
  ReturnTracker ref;
  std::vector<float> row;
  ReturnSummary r;
  for (std::size_t i = 0; i < own.size(); ++i) {
    r = ref.push(btc[i]);
    row = p.push(own[i], ReferenceInput{ReferenceStatus::kAvailable, r});
  }
  const ReturnSummary& mine = p.summary();
  EXPECT_FLOAT_EQ(row[column("ref_available")], 1.0f);
  EXPECT_FLOAT_EQ(row[column("ref_ret_log_1")], static_cast<float>(r.ret1));
  EXPECT_FLOAT_EQ(row[column("ref_ret_log_5")], static_cast<float>(r.ret5));
  EXPECT_FLOAT_EQ(row[column("ref_ret_log_24")], static_cast<float>(r.ret24));
  EXPECT_FLOAT_EQ(row[column("ref_vol_log_ret_24")], static_cast<float>(r.vol24));
  EXPECT_FLOAT_EQ(row[column("ref_vol_ratio_24")], static_cast<float>(std::log(mine.vol24 / r.vol24)));
  EXPECT_FLOAT_EQ(row[column("rel_ret_log_1")], static_cast<float>(mine.ret1 - r.ret1));
  EXPECT_FLOAT_EQ(row[column("rel_ret_log_24")], static_cast<float>(mine.ret24 - r.ret24));
  EXPECT_NEAR(mine.ret1, std::log(own[59].close / own[58].close), 1e-12);
  // The pair's own columns do not depend on the reference.
  FeaturePipeline alone;
  std::vector<float> solo;
  for (const Candle& c : own) solo = alone.push(c);
  const std::size_t first = row.size() - FeaturePipeline::reference_names().size();
  for (std::size_t i = 0; i < first; ++i) EXPECT_EQ(row[i], solo[i]) << FeaturePipeline::names()[i];
}

}  // namespace
}  // namespace tbml
