// core_strategies_json: the core service's eleven indicator objects, computed with the IndicatorEngine.
#include "tbml/sim/core_strategies.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "tbml/features/indicators.h"

namespace tbml {
namespace {

const std::vector<std::string> kKeys{"rsi",       "macd",     "bollinger", "ma",  "volume",      "stochastic",
                                     "williamsR", "ichimoku", "adx",       "cci", "parabolicSAR"};

std::vector<Candle> walk(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> ret(0.0, 0.01);
  std::vector<Candle> out;
  double close = 30000;
  for (std::size_t i = 0; i < n; ++i) {
    Candle c;
    c.timestamp = 1700000000000 + static_cast<std::int64_t>(i) * 300000;
    c.open = 0.0;  // core has no open
    close *= std::exp(ret(rng));
    c.close = close;
    c.high = close * 1.004;
    c.low = close * 0.996;
    c.volume = 100 + static_cast<double>(i % 17) * 10;
    out.push_back(c);
  }
  return out;
}

void expect_common_fields(const nlohmann::json& o, const std::string& key) {
  ASSERT_TRUE(o.is_object()) << key;
  ASSERT_TRUE(o.contains("suggestion")) << key;
  const std::string s = o["suggestion"];
  EXPECT_TRUE(s == "buy" || s == "sell" || s == "hold") << key << " " << s;
  for (const char* f : {"confidence", "strength"}) {
    ASSERT_TRUE(o.contains(f) && o[f].is_number()) << key << " " << f;
    EXPECT_GE(o[f].get<double>(), 0.0) << key;
    EXPECT_LE(o[f].get<double>(), 1.0) << key;
  }
  ASSERT_TRUE(o.contains("metadata")) << key;
  EXPECT_TRUE(o["metadata"]["interpretation"].is_string()) << key;
}

const std::vector<std::pair<std::string, std::vector<std::string>>> kValueFields{
    {"rsi", {"value"}},
    {"macd", {"macdLine", "signalLine", "histogram"}},
    {"bollinger", {"upperBand", "middleBand", "lowerBand", "bandwidth", "percentB"}},
    {"ma", {"fastMA", "slowMA", "spread", "spreadPercent"}},
    {"volume", {"volumeRatio", "obv", "vpt", "volumeTrend"}},
    {"stochastic", {"k", "d"}},
    {"williamsR", {"value"}},
    {"ichimoku", {"tenkanSen", "kijunSen", "senkouSpanA", "senkouSpanB", "cloudColor", "cloudThickness"}},
    {"adx", {"adx", "plusDI", "minusDI"}},
    {"cci", {"cci"}},
    {"parabolicSAR", {"sar", "trend", "af"}}};

TEST(CoreStrategies, ThresholdFor15Points) {
  EXPECT_FALSE(core_has_strategies(0));
  EXPECT_FALSE(core_has_strategies(14));
  EXPECT_TRUE(core_has_strategies(15));
  EXPECT_TRUE(core_has_strategies(1440));
}

TEST(CoreStrategies, AllKeysAndFieldsWithEnoughData) {
  const auto j = core_strategies_json(walk(200, 1));
  EXPECT_EQ(j.size(), kKeys.size());
  for (const auto& key : kKeys) {
    ASSERT_TRUE(j.contains(key)) << key;
    expect_common_fields(j[key], key);
    EXPECT_FALSE(j[key].contains("error")) << key << ": " << j[key].dump();
  }
  for (const auto& [key, fields] : kValueFields) {
    for (const auto& f : fields) EXPECT_TRUE(j[key].contains(f)) << key << "." << f;
  }
  EXPECT_TRUE(j["ma"]["metadata"].contains("trend"));
  EXPECT_TRUE(j["volume"]["metadata"]["volumeSpike"].is_boolean());
  EXPECT_TRUE(j["williamsR"]["metadata"]["level"].is_string());
  EXPECT_TRUE(j["ichimoku"]["metadata"]["trend"].is_string());
  EXPECT_TRUE(j["parabolicSAR"]["metadata"]["reversal"].is_boolean());
  const std::string color = j["ichimoku"]["cloudColor"];
  EXPECT_TRUE(color == "bullish" || color == "bearish");
  const std::string trend = j["parabolicSAR"]["trend"];
  EXPECT_TRUE(trend == "uptrend" || trend == "downtrend");
}

TEST(CoreStrategies, ShortHistoryGivesErrorFallbacks) {
  const auto j = core_strategies_json(walk(16, 2));
  for (const auto& key : kKeys) {
    ASSERT_TRUE(j.contains(key)) << key;
    expect_common_fields(j[key], key);
  }
  // 16 points: RSI, Williams, stochastic (16 = 14 + 3 - 1) and SAR have data; the rest fall back.
  for (const char* key : {"rsi", "williamsR", "stochastic", "parabolicSAR"}) {
    EXPECT_FALSE(j[key].contains("error")) << key;
  }
  for (const char* key : {"macd", "bollinger", "ma", "volume", "ichimoku", "adx", "cci"}) {
    ASSERT_TRUE(j[key].contains("error")) << key;
    EXPECT_TRUE(j[key]["error"].is_string());
    EXPECT_EQ(j[key]["suggestion"], "hold");
    EXPECT_EQ(j[key]["confidence"], 0);
    EXPECT_EQ(j[key]["metadata"]["interpretation"], "Calculation failed");
  }
  EXPECT_EQ(j["bollinger"]["percentB"], 0.5);
  EXPECT_EQ(j["volume"]["volumeRatio"], 1);
  EXPECT_EQ(j["ichimoku"]["cloudColor"], "neutral");

  const auto empty = core_strategies_json({});
  EXPECT_EQ(empty["rsi"]["value"], 50);
  EXPECT_EQ(empty["stochastic"]["k"], 50);
  EXPECT_EQ(empty["stochastic"]["d"], 50);
  EXPECT_EQ(empty["williamsR"]["value"], -50);
  EXPECT_TRUE(empty["parabolicSAR"].contains("error"));
}

TEST(CoreStrategies, ValuesAgreeWithEngine) {
  const auto history = walk(300, 3);
  IndicatorEngine e;
  for (const auto& c : history) e.push(c);
  const auto& v = e.values();
  const auto j = core_strategies_json(history);
  EXPECT_NEAR(j["rsi"]["value"].get<double>(), v.rsi, 0.006);
  EXPECT_NEAR(j["macd"]["macdLine"].get<double>(), v.macd_line, 1e-6);
  EXPECT_NEAR(j["macd"]["signalLine"].get<double>(), v.macd_signal, 1e-6);
  EXPECT_NEAR(j["macd"]["histogram"].get<double>(), v.macd_histogram, 1e-6);
  EXPECT_NEAR(j["bollinger"]["upperBand"].get<double>(), v.bb_upper, 1e-6);
  EXPECT_NEAR(j["bollinger"]["percentB"].get<double>(), v.bb_percent_b, 1e-4);
  EXPECT_NEAR(j["ma"]["fastMA"].get<double>(), v.sma_fast, 1e-6);
  EXPECT_NEAR(j["ma"]["slowMA"].get<double>(), v.sma_slow, 1e-6);
  EXPECT_NEAR(j["volume"]["obv"].get<double>(), v.obv, 0.5);
  EXPECT_NEAR(j["stochastic"]["k"].get<double>(), v.stoch_k, 0.006);
  EXPECT_NEAR(j["stochastic"]["d"].get<double>(), v.stoch_d, 0.006);
  EXPECT_NEAR(j["williamsR"]["value"].get<double>(), v.williams_r, 0.006);
  EXPECT_NEAR(j["ichimoku"]["tenkanSen"].get<double>(), v.tenkan, 1e-6);
  EXPECT_NEAR(j["ichimoku"]["senkouSpanB"].get<double>(), v.senkou_b, 1e-6);
  EXPECT_NEAR(j["adx"]["adx"].get<double>(), v.adx, 0.006);
  EXPECT_NEAR(j["adx"]["plusDI"].get<double>(), v.plus_di, 0.006);
  EXPECT_NEAR(j["cci"]["cci"].get<double>(), v.cci, 0.006);
  EXPECT_NEAR(j["parabolicSAR"]["sar"].get<double>(), v.sar, 1e-6);
  EXPECT_EQ(j["parabolicSAR"]["trend"], v.sar_trend > 0 ? "uptrend" : "downtrend");
}

TEST(CoreStrategies, SuggestionsFollowTheIndicators) {
  // A steady rise: RSI 100 (sell, overbought), price far above the cloud (ichimoku buy),
  // +DI dominates with a strong ADX (adx buy), SAR below price (buy).
  std::vector<Candle> up;
  for (int i = 0; i < 120; ++i) {
    Candle c;
    c.timestamp = 1700000000000 + i * 300000;
    c.close = 100.0 * std::pow(1.01, i);
    c.high = c.close * 1.002;
    c.low = c.close * 0.998;
    c.volume = 10;
    up.push_back(c);
  }
  const auto j = core_strategies_json(up);
  EXPECT_EQ(j["rsi"]["suggestion"], "sell");
  EXPECT_EQ(j["rsi"]["value"], 100);
  EXPECT_EQ(j["ichimoku"]["suggestion"], "buy");
  EXPECT_EQ(j["ichimoku"]["cloudColor"], "bullish");
  EXPECT_EQ(j["adx"]["suggestion"], "buy");
  EXPECT_EQ(j["parabolicSAR"]["trend"], "uptrend");
  EXPECT_EQ(j["ma"]["metadata"]["trend"], "uptrend");
  EXPECT_EQ(j["williamsR"]["metadata"]["level"], "Overbought");
}

TEST(CoreStrategies, FlatHistoryIsNeutralAndFinite) {
  std::vector<Candle> flat;
  for (int i = 0; i < 100; ++i) {
    Candle c;
    c.timestamp = 1700000000000 + i * 300000;
    c.open = c.high = c.low = c.close = 5.0;
    c.volume = 0.0;
    flat.push_back(c);
  }
  const auto j = core_strategies_json(flat);
  EXPECT_EQ(j["rsi"]["value"], 50);
  EXPECT_EQ(j["rsi"]["suggestion"], "hold");
  EXPECT_EQ(j["bollinger"]["percentB"], 0.5);
  EXPECT_EQ(j["cci"]["cci"], 0);
  EXPECT_EQ(j["volume"]["volumeRatio"], 1);
  for (const auto& key : kKeys) expect_common_fields(j[key], key);
  EXPECT_NO_THROW(j.dump());
}

TEST(CoreStrategies, InvalidCloseThrows) {
  auto h = walk(30, 4);
  h[10].close = -1.0;
  EXPECT_THROW(core_strategies_json(h), std::invalid_argument);
}

}  // namespace
}  // namespace tbml
