// The poller against the real core stand-in (CoreSimServer over HTTP), including its fault modes.
#include <gtest/gtest.h>

#include <csignal>

#include <chrono>
#include <thread>

#include "tbml/market/market_data.h"
#include "tbml/market/poller.h"
#include "tbml/sim/core_sim_factory.h"
#include "tbml/sim/core_sim_server.h"

namespace tbml {
namespace {

class PollerCoreSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);
    CoreSimOptions o;
    o.synthetic_pairs = {"BTC", "ETH"};
    o.window = 300;
    o.initial = 200;
    o.synthetic_ahead = 100;
    sim_ = make_core_simulator(o);
    CoreSimTransportOptions transport;
    transport.hang_ms = 5000;
    server_ = std::make_unique<CoreSimServer>(sim_, transport);
    port_ = server_->start("127.0.0.1", 0);
  }
  void TearDown() override { server_->stop(); }

  PollerOptions options() const {
    PollerOptions o;
    o.base_url = "http://127.0.0.1:" + std::to_string(port_);
    o.auto_pairs = true;
    o.poll_interval_ms = 50;
    o.connect_timeout_ms = 500;
    o.timeout_ms = 400;
    o.retries = 0;
    return o;
  }

  std::shared_ptr<CoreSimulator> sim_;
  std::unique_ptr<CoreSimServer> server_;
  int port_ = 0;
};

TEST_F(PollerCoreSimTest, FollowsTheSimulatorCandleByCandle) {
  auto market = std::make_shared<MarketData>();
  Poller poller(options(), market);
  poller.poll_once();
  ASSERT_EQ(market->pairs(), (std::vector<std::string>{"BTC", "ETH"}));
  for (const std::string pair : {"BTC", "ETH"}) {
    const auto visible = sim_->visible(pair);
    const Series got = market->find(pair)->copy_series(1000);
    ASSERT_EQ(got.size(), visible.size());
    for (std::size_t i = 0; i < visible.size(); ++i) {
      ASSERT_EQ(got.candles[i].timestamp, visible[i].timestamp);
      ASSERT_DOUBLE_EQ(got.candles[i].close, visible[i].close);
      if (i > 0) {
        ASSERT_DOUBLE_EQ(got.candles[i].open, visible[i - 1].close);  // core sends no open
      }
    }
  }
  sim_->advance(3);
  poller.poll_once();
  EXPECT_EQ(market->find("BTC")->size(), 203u);
  EXPECT_EQ(market->find("BTC")->last_timestamp(), sim_->visible("BTC").back().timestamp);
  const UpstreamHealth h = poller.health();
  EXPECT_EQ(h.total_errors, 0u);
  EXPECT_EQ(h.total_polls, 6u);
}

// The reference pair is fetched first whatever the configured order, so ETH's newest row finds BTC's
// candle at the same timestamp in the same cycle.
TEST_F(PollerCoreSimTest, IngestsTheReferencePairFirst) {
  auto market = std::make_shared<MarketData>(PairState::kDefaultCapacity, "BTC");
  PollerOptions o = options();
  o.auto_pairs = false;
  o.pairs = {"ETH", "BTC"};
  Poller poller(o, market);
  poller.poll_once();
  sim_->advance(1);
  poller.poll_once();
  const auto eth = market->find("ETH")->latest_features();
  ASSERT_TRUE(eth.has_value());
  EXPECT_EQ(eth->timestamp, market->find("BTC")->last_timestamp());
  EXPECT_EQ(eth->reference, ReferenceStatus::kAvailable);
  EXPECT_EQ(eth->values.back(), 1.0f);  // ref_available
  EXPECT_EQ(market->find("BTC")->latest_features()->reference, ReferenceStatus::kIsReference);
}

// Configured pairs (not auto), so every fault hits the pair payloads themselves.
TEST_F(PollerCoreSimTest, SurvivesEveryFaultMode) {
  auto market = std::make_shared<MarketData>();
  PollerOptions o = options();
  o.auto_pairs = false;
  o.pairs = {"BTC", "ETH"};
  Poller poller(o, market);
  poller.poll_once();
  ASSERT_EQ(market->find("BTC")->size(), 200u);

  struct Case { FaultMode mode; bool error; bool rejected_payload; };
  const Case cases[] = {
      {FaultMode::error500, true, false},         {FaultMode::truncated_json, true, true},
      {FaultMode::garbage, true, true},           {FaultMode::wrong_types, true, true},
      {FaultMode::hang, true, false},             {FaultMode::slow_drip, true, false},
      {FaultMode::timestamps_backwards, false, false}, {FaultMode::nan_prices, false, false},
      {FaultMode::drop_pair, true, false},  // ETH answers 404
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(to_string(c.mode));
    sim_->set_fault(c.mode, "ETH");
    sim_->advance(1);
    const UpstreamHealth before = poller.health();
    poller.poll_once();
    const UpstreamHealth after = poller.health();
    EXPECT_EQ(after.total_errors - before.total_errors, c.error ? 2u - (c.mode == FaultMode::drop_pair) : 0u)
        << after.last_error;
    EXPECT_EQ(after.rejected_payloads - before.rejected_payloads, c.rejected_payload ? 2u : 0u);
  }
  const UpstreamHealth h = poller.health();
  EXPECT_GT(h.rejected_points, 0u);  // nan_prices: NaN serialised as null, dropped point by point
  // Backwards timestamps were sorted, not rejected; only the NaN points are missing; candles keep order.
  const Series btc = market->find("BTC")->copy_series(1000);
  for (std::size_t i = 1; i < btc.size(); ++i) ASSERT_GT(btc.candles[i].timestamp, btc.candles[i - 1].timestamp);
  EXPECT_GE(btc.size(), 202u);

  sim_->set_fault(FaultMode::none);
  sim_->advance(1);
  poller.poll_once();
  EXPECT_EQ(poller.health().consecutive_failures, 0u);
  EXPECT_EQ(market->find("BTC")->last_timestamp(), sim_->visible("BTC").back().timestamp);
  EXPECT_EQ(market->find("ETH")->last_timestamp(), sim_->visible("ETH").back().timestamp);
}

}  // namespace
}  // namespace tbml
