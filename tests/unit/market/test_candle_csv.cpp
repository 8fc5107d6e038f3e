#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "tbml/market/candle_csv.h"

namespace tbml {
namespace {

const std::string kHeader = "timestamp,open,high,low,close,volume\n";

std::string error_of(const std::string& text) {
  try {
    parse_candles_csv(text, "t.csv");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(CandleCsv, ParsesSortsAndDedupes) {
  const auto c = parse_candles_csv(kHeader +
                                   "3000,10,12,9,11,5\r\n"
                                   "1000,1,2,0.5,1.5,0\r\n"
                                   "\n"
                                   "2000,1.5,2.5,1,2,3.25\n"
                                   "1000,1,3,0.5,2,7\n");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].timestamp, 1000);
  EXPECT_DOUBLE_EQ(c[0].high, 3.0);  // the later row with the same timestamp wins
  EXPECT_DOUBLE_EQ(c[0].volume, 7.0);
  EXPECT_EQ(c[1].timestamp, 2000);
  EXPECT_DOUBLE_EQ(c[1].volume, 3.25);
  EXPECT_EQ(c[2].timestamp, 3000);
  EXPECT_DOUBLE_EQ(c[2].open, 10.0);
  EXPECT_DOUBLE_EQ(c[2].low, 9.0);
  EXPECT_DOUBLE_EQ(c[2].close, 11.0);
}

TEST(CandleCsv, AcceptsBomAndHeaderOnly) {
  EXPECT_TRUE(parse_candles_csv("\xEF\xBB\xBF" + kHeader).empty());
}

TEST(CandleCsv, BadRowsNameTheLine) {
  EXPECT_NE(error_of(kHeader + "1000,1,2,0.5,1.5,1\n1001,1,2,0.5,1.5\n").find("t.csv:3: expected 6 fields, got 5"),
            std::string::npos);
  EXPECT_NE(error_of(kHeader + "1000,1,2,0.5,1.5,1,9\n").find("t.csv:2: expected 6 fields, got more"),
            std::string::npos);
  EXPECT_NE(error_of(kHeader + "1000.5,1,2,0.5,1.5,1\n").find("t.csv:2: timestamp"), std::string::npos);
  EXPECT_NE(error_of(kHeader + "1000,abc,2,0.5,1.5,1\n").find("t.csv:2: open 'abc'"), std::string::npos);
  EXPECT_NE(error_of(kHeader + "1000,1,2,0.5,nan,1\n").find("t.csv:2: close"), std::string::npos);
  EXPECT_NE(error_of(kHeader + "1000,1,2,0.5,1.5,-1\n").find("volume must be >= 0"), std::string::npos);
  EXPECT_NE(error_of(kHeader + "1000,0,2,0.5,1.5,1\n").find("prices must be > 0"), std::string::npos);
  EXPECT_NE(error_of(kHeader + "1000,1,1.2,0.5,1.5,1\n").find("high/low inconsistent"), std::string::npos);
  EXPECT_NE(error_of(kHeader + "1000,1,2,0.5,1.5,\n").find("t.csv:2: volume ''"), std::string::npos);
}

TEST(CandleCsv, WrongOrMissingHeader) {
  EXPECT_NE(error_of("time,open,high,low,close,volume\n1,1,1,1,1,1\n").find("t.csv:1: expected header"),
            std::string::npos);
  EXPECT_NE(error_of("").find("header"), std::string::npos);
}

TEST(CandleCsv, LoadFromFileAndMissingFile) {
  const std::string path = ::testing::TempDir() + "tbml_candle_csv_test.csv";
  {
    std::ofstream out(path);
    out << kHeader << "1000,1,2,0.5,1.5,1\n";
  }
  EXPECT_EQ(load_candles_csv(path).size(), 1u);
  std::remove(path.c_str());
  EXPECT_THROW(load_candles_csv(path), std::invalid_argument);
}

TEST(CandleCsv, RealFileLoadsCompletely) {
  const std::string path = std::string(TBML_SHARED_DATA_DIR) + "/ETHUSDT_1h.csv";
  if (!std::ifstream(path)) GTEST_SKIP() << path << " not present";
  const auto c = load_candles_csv(path);
  ASSERT_EQ(c.size(), 23988u);
  EXPECT_EQ(c.front().timestamp, 1617566400000);  // 2021-04-04T20:00Z
  for (std::size_t i = 1; i < c.size(); ++i) ASSERT_GT(c[i].timestamp, c[i - 1].timestamp);
}

TEST(PairCsvList, ParsesAndNormalises) {
  const auto l = parse_pair_csv_list(" btc=a.csv , ETH = /x/b.csv");
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].pair, "BTC");
  EXPECT_EQ(l[0].path, "a.csv");
  EXPECT_EQ(l[1].pair, "ETH");
  EXPECT_EQ(l[1].path, "/x/b.csv");
}

TEST(PairCsvList, Rejects) {
  EXPECT_THROW(parse_pair_csv_list(""), std::invalid_argument);
  EXPECT_THROW(parse_pair_csv_list("BTC"), std::invalid_argument);
  EXPECT_THROW(parse_pair_csv_list("BTC="), std::invalid_argument);
  EXPECT_THROW(parse_pair_csv_list("B=a.csv"), std::invalid_argument);
  EXPECT_THROW(parse_pair_csv_list("BTC_USDT=a.csv"), std::invalid_argument);
  EXPECT_THROW(parse_pair_csv_list("BTC=a.csv,,ETH=b.csv"), std::invalid_argument);
  EXPECT_THROW(parse_pair_csv_list("BTC=a.csv,btc=b.csv"), std::invalid_argument);
}

}  // namespace
}  // namespace tbml
