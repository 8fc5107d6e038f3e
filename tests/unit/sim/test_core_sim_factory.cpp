// make_core_simulator: synthetic and CSV-backed simulators, and the validation of its options.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tbml/sim/core_sim_factory.h"
#include "tbml/util/time.h"

namespace tbml {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

fs::path write_temp_csv(const std::string& name, std::size_t rows) {
  const fs::path path =
      fs::temp_directory_path() / ("tbml_sim_" + name + "_" + std::to_string(::getpid()) + ".csv");
  std::ofstream out(path);
  out << "timestamp,open,high,low,close,volume\n";
  for (std::size_t i = 0; i < rows; ++i) {
    const double close = 100.0 + static_cast<double>(i % 17) - static_cast<double>(i % 5);
    out << 1'600'000'000'000 + static_cast<std::int64_t>(i) * 3'600'000 << "," << close << "," << close + 1
        << "," << close - 1 << "," << close << "," << 10 + i % 3 << "\n";
  }
  return path;
}

TEST(CoreSimFactory, SyntheticPairsEndNearNow) {
  CoreSimOptions o;
  o.synthetic_pairs = {"btc", "ETH"};
  o.synthetic_ahead = 50;
  auto sim = make_core_simulator(o);
  EXPECT_EQ(sim->pairs(), (std::vector<std::string>{"BTC", "ETH"}));
  EXPECT_EQ(sim->series_length("BTC"), 1440u + 50u);
  const auto w = sim->visible("BTC");
  ASSERT_EQ(w.size(), 1440u);
  // The newest visible candle is the last closed hour.
  EXPECT_LE(w.back().timestamp, now_ms() - 3'600'000 + 1000);
  EXPECT_GT(w.back().timestamp, now_ms() - 2 * 3'600'000 - 1000);
  EXPECT_GT(w.back().close, 1000.0);  // BTC priced like BTC
  EXPECT_LT(sim->visible("ETH").back().close, w.back().close);
}

TEST(CoreSimFactory, SameSeedSamePricesDifferentSeedDifferent) {
  CoreSimOptions o;
  o.synthetic_pairs = {"SOL"};
  o.initial = 100;
  o.synthetic_ahead = 10;
  o.synthetic_start_ms = 1'700'000'000'000;
  const auto a = make_core_simulator(o)->visible("SOL");
  const auto b = make_core_simulator(o)->visible("SOL");
  ASSERT_EQ(a.size(), 100u);
  EXPECT_EQ(a.back().close, b.back().close);
  EXPECT_EQ(a.front().timestamp, 1'700'000'000'000);
  o.seed = 99;
  EXPECT_NE(make_core_simulator(o)->visible("SOL").back().close, a.back().close);
}

TEST(CoreSimFactory, FiveMinuteCandles) {
  CoreSimOptions o;
  o.synthetic_pairs = {"XRP"};
  o.initial = 20;
  o.synthetic_ahead = 5;
  o.candle_interval_ms = 300'000;
  const auto w = make_core_simulator(o)->visible("XRP");
  ASSERT_EQ(w.size(), 20u);
  EXPECT_EQ(w[1].timestamp - w[0].timestamp, 300'000);
}

TEST(CoreSimFactory, CsvBackedFromATempFile) {
  const fs::path path = write_temp_csv("ada", 120);
  CoreSimOptions o;
  o.csv = {{"ada", path.string()}};
  o.synthetic_pairs = {"BTC"};
  o.window = 100;
  auto sim = make_core_simulator(o);
  fs::remove(path);
  EXPECT_EQ(sim->pairs(), (std::vector<std::string>{"ADA", "BTC"}));
  EXPECT_EQ(sim->series_length("ADA"), 120u);
  auto w = sim->visible("ADA");
  ASSERT_EQ(w.size(), 100u);  // min(window, length - 1)
  EXPECT_EQ(w.front().timestamp, 1'600'000'000'000);
  sim->advance(5);
  w = sim->visible("ADA");
  EXPECT_EQ(w.front().timestamp, 1'600'000'000'000 + 5 * 3'600'000);
  EXPECT_EQ(w.back().timestamp, 1'600'000'000'000 + 104LL * 3'600'000);
  const json body = json::parse(sim->handle("GET", "/api/pair/ada").body);
  EXPECT_EQ(body["history"]["closes"].size(), 100u);
  EXPECT_EQ(body["history"]["closes"].back().get<double>(), w.back().close);
}

TEST(CoreSimFactory, CsvBackedFromSharedData) {
  const fs::path path = fs::path(TBML_SHARED_DATA_DIR) / "BTCUSDT_1h.csv";
  if (!fs::exists(path)) GTEST_SKIP() << "shared market data not available at " << path;
  CoreSimOptions o;
  o.csv = {{"BTC", path.string()}};
  o.initial = 180;
  auto sim = make_core_simulator(o);
  EXPECT_GT(sim->series_length("BTC"), 20000u);
  const auto w = sim->visible("BTC");
  ASSERT_EQ(w.size(), 180u);
  EXPECT_EQ(w.front().timestamp, 1617566400000);  // first row of the file
  EXPECT_NEAR(w.front().close, 58025.11, 1e-6);
  const json body = json::parse(sim->handle("GET", "/api/pair/BTC").body);
  EXPECT_EQ(body["strategies"].size(), 11u);
  EXPECT_EQ(body["hasEnoughData"], true);
}

TEST(CoreSimFactory, AppliesTheInitialFault) {
  CoreSimOptions o;
  o.synthetic_pairs = {"BTC"};
  o.initial = 30;
  o.synthetic_ahead = 1;
  o.fault = FaultMode::error500;
  EXPECT_EQ(make_core_simulator(o)->handle("GET", "/api/pairs").status, 500);
}

TEST(CoreSimFactory, RejectsBadOptions) {
  const auto rejects = [](const CoreSimOptions& o) {
    EXPECT_THROW(make_core_simulator(o), std::invalid_argument);
  };
  CoreSimOptions base;
  base.synthetic_pairs = {"BTC"};
  base.synthetic_ahead = 10;
  CoreSimOptions o = base;
  o.synthetic_pairs.clear();
  rejects(o);  // no pairs
  o = base;
  o.synthetic_pairs = {"BTC", "btc"};
  rejects(o);  // twice
  o = base;
  o.synthetic_pairs = {"BTC-USD"};
  rejects(o);  // bad name
  o = base;
  o.window = 0;
  rejects(o);
  o = base;
  o.initial = 2000;
  rejects(o);  // beyond the window
  o = base;
  o.candle_interval_ms = 0;
  rejects(o);
  o = base;
  o.step_ms = -5;
  rejects(o);
  o = base;
  o.step_ms = 1000;
  o.advance_per_request = true;
  rejects(o);
  o = base;
  o.csv = {{"ETH", "/nonexistent/eth.csv"}};
  rejects(o);
  o = base;
  o.csv = {{"BTC", write_temp_csv("dup", 10).string()}};
  rejects(o);  // BTC from CSV and synthetic
  fs::remove(o.csv[0].second);
}

}  // namespace
}  // namespace tbml
