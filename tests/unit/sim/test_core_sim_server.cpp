// CoreSimServer over loopback with httplib::Client: every route, JSON 404, every fault mode on the wire.
#include <filesystem>

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "tbml/sim/core_sim_server.h"
#include "tbml/sim/market_sim.h"
#include "tbml/util/time.h"

namespace tbml {
namespace {

using json = nlohmann::json;

class CoreSimServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MarketSimOptions m;
    m.count = 300;
    CoreSimulatorOptions o;
    o.initial = 200;
    sim_ = std::make_shared<CoreSimulator>(
        std::vector<CoreSimulator::PairSeries>{{"BTC", generate_candles("BTC", m)},
                                               {"ETH", generate_candles("ETH", m)}},
        o);
    CoreSimTransportOptions t;
    t.hang_ms = 20'000;
    t.drip_interval_ms = 100;
    t.drip_bytes = 3;
    server_ = std::make_unique<CoreSimServer>(sim_, t);
    port_ = server_->start("127.0.0.1", 0);
  }

  httplib::Client client(int read_timeout_ms = 5000) {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(2, 0);
    c.set_read_timeout(read_timeout_ms / 1000, (read_timeout_ms % 1000) * 1000);
    return c;
  }

  void set_fault(const std::string& mode) {
    auto c = client();
    auto r = c.Post("/sim/fault", json{{"mode", mode}}.dump(), "application/json");
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    ASSERT_EQ(r->status, 200) << r->body;
  }

  std::shared_ptr<CoreSimulator> sim_;
  std::unique_ptr<CoreSimServer> server_;
  int port_ = 0;
};

TEST_F(CoreSimServerTest, ServesEveryRoute) {
  ASSERT_GT(port_, 0);
  auto c = client();
  auto health = c.Get("/api/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(health->body)["dataCollection"]["dataPointsPerPair"]["BTC"], 200);

  auto pairs = c.Get("/api/pairs");
  ASSERT_TRUE(pairs);
  EXPECT_EQ(json::parse(pairs->body)["pairs"], json({"BTC", "ETH"}));

  auto pair = c.Get("/api/pair/btc");
  ASSERT_TRUE(pair);
  ASSERT_EQ(pair->status, 200);
  const json body = json::parse(pair->body);
  EXPECT_EQ(body["pair"], "BTC");
  EXPECT_EQ(body["history"]["closes"].size(), 200u);
  EXPECT_EQ(body["strategies"].size(), 11u);

  auto data = c.Get("/api/data");
  ASSERT_TRUE(data);
  EXPECT_EQ(json::parse(data->body)["history"]["ETH"]["timestamps"].size(), 200u);

  auto advance = c.Post("/sim/advance", R"({"n":7})", "application/json");
  ASSERT_TRUE(advance);
  EXPECT_EQ(advance->status, 200);
  EXPECT_EQ(json::parse(c.Get("/api/pair/ETH")->body)["history"]["closes"].size(), 207u);
}

TEST_F(CoreSimServerTest, UnknownRoutesAndPairsAreJson404) {
  auto c = client();
  for (const char* path : {"/nope", "/api/pair/BTC/x", "/api"}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
    EXPECT_EQ(json::parse(r->body)["error"], "Endpoint not found") << path;
  }
  auto put = c.Put("/api/health", "{}", "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 404);
  EXPECT_NO_THROW(json::parse(put->body));

  auto missing = c.Get("/api/pair/DOGE");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  const json body = json::parse(missing->body);
  EXPECT_EQ(body["error"], "Pair not found");
  EXPECT_EQ(body["availablePairs"], json({"BTC", "ETH"}));

  auto bad_fault = c.Post("/sim/fault", R"({"mode":"meltdown"})", "application/json");
  ASSERT_TRUE(bad_fault);
  EXPECT_EQ(bad_fault->status, 400);
}

TEST_F(CoreSimServerTest, BodyFaultsOverTheWire) {
  auto c = client();
  set_fault("error500");
  auto r = c.Get("/api/pair/BTC");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(json::parse(r->body)["error"], "Internal server error");

  set_fault("truncated_json");
  r = c.Get("/api/pair/BTC");
  ASSERT_TRUE(r);
  EXPECT_TRUE(json::parse(r->body, nullptr, false).is_discarded());

  set_fault("garbage");
  r = c.Get("/api/pairs");
  ASSERT_TRUE(r);
  EXPECT_TRUE(json::parse(r->body, nullptr, false).is_discarded());

  set_fault("wrong_types");
  r = c.Get("/api/pair/BTC");
  ASSERT_TRUE(r);
  EXPECT_TRUE(json::parse(r->body)["history"]["closes"][0].is_string());

  set_fault("timestamps_backwards");
  r = c.Get("/api/pair/BTC");
  ASSERT_TRUE(r);
  const json ts = json::parse(r->body)["history"]["timestamps"];
  EXPECT_GT(ts.front().get<std::int64_t>(), ts.back().get<std::int64_t>());

  set_fault("nan_prices");
  r = c.Get("/api/pair/ETH");
  ASSERT_TRUE(r);
  EXPECT_TRUE(json::parse(r->body)["history"]["closes"].back().is_null());

  set_fault("drop_pair");
  r = c.Get("/api/pair/BTC");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(json::parse(c.Get("/api/pairs")->body)["pairs"], json({"ETH"}));

  set_fault("none");
  r = c.Get("/api/pair/BTC");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(CoreSimServerTest, HangOutlastsTheClientTimeoutAndStopInterruptsIt) {
  set_fault("hang");
  auto c = client(400);
  const std::int64_t t0 = steady_ms();
  auto r = c.Get("/api/pair/BTC");
  const std::int64_t waited = steady_ms() - t0;
  EXPECT_FALSE(r);
  EXPECT_EQ(r.error(), httplib::Error::Read);
  EXPECT_GE(waited, 350);
  EXPECT_LT(waited, 3000);

  // Another hanging request in flight while stopping: stop() must not wait out the 20 s hang.
  std::thread pending([this] {
    auto slow = client(30'000);
    slow.Get("/api/health");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::int64_t s0 = steady_ms();
  server_->stop();
  EXPECT_LT(steady_ms() - s0, 3000);
  pending.join();
  server_->stop();  // idempotent
}

TEST_F(CoreSimServerTest, ControlRoutesAnswerDuringHang) {
  set_fault("hang");
  auto c = client();
  auto state = c.Get("/sim/state");
  ASSERT_TRUE(state);
  EXPECT_EQ(json::parse(state->body)["fault"], "hang");
  set_fault("none");
  auto quick = client(2000).Get("/api/pairs");
  ASSERT_TRUE(quick);
  EXPECT_EQ(quick->status, 200);
}

TEST_F(CoreSimServerTest, ControlRoutesAnswerWhileManyRequestsHang) {
  set_fault("hang");
  // More abandoned hanging requests than httplib's default worker pool (8) holds.
  std::vector<std::thread> clients;
  for (int i = 0; i < 16; ++i) {
    clients.emplace_back([this] { client(200).Get("/api/pair/BTC"); });
  }
  for (auto& t : clients) t.join();
  const std::int64_t t0 = steady_ms();
  set_fault("none");
  EXPECT_LT(steady_ms() - t0, 2000);
  auto r = client(2000).Get("/api/pairs");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(CoreSimServerTest, SlowDripTricklesAFewBytesPerInterval) {
  set_fault("slow_drip");
  auto c = client(2000);
  std::size_t received = 0;
  const std::int64_t t0 = steady_ms();
  auto r = c.Get("/api/pair/BTC", [&](const char*, std::size_t n) {
    received += n;
    return steady_ms() - t0 < 1000;  // give up after a second, as a deadline-aware client would
  });
  EXPECT_FALSE(r);
  EXPECT_EQ(r.error(), httplib::Error::Canceled);
  // ~10 chunks of 3 bytes in a second; the full body is tens of kilobytes.
  EXPECT_GT(received, 0u);
  EXPECT_LE(received, 60u);

  // A small body does complete, chunk by chunk, and arrives intact (and slowly).
  const std::int64_t d0 = steady_ms();
  auto full = client(2000).Get("/api/pairs");
  ASSERT_TRUE(full) << httplib::to_string(full.error());
  EXPECT_GE(steady_ms() - d0, (static_cast<std::int64_t>(full->body.size()) / 3 - 1) * 100);
  EXPECT_EQ(json::parse(full->body)["pairs"], json({"BTC", "ETH"}));

  // A drip in progress must not block stopping.
  std::thread pending([this] { client(30'000).Get("/api/data"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::int64_t s0 = steady_ms();
  server_->stop();
  EXPECT_LT(steady_ms() - s0, 3000);
  pending.join();
}

TEST(CoreSimServerLifecycle, StartTwiceThrowsAndDestructorStops) {
  MarketSimOptions m;
  m.count = 50;
  auto sim = std::make_shared<CoreSimulator>(
      std::vector<CoreSimulator::PairSeries>{{"BTC", generate_candles("BTC", m)}}, CoreSimulatorOptions{});
  int port = 0;
  {
    CoreSimServer server(sim);
    port = server.start("127.0.0.1", 0);
    EXPECT_THROW(server.start("127.0.0.1", 0), std::runtime_error);
    // The same port cannot be bound twice.
    CoreSimServer other(sim);
    EXPECT_THROW(other.start("127.0.0.1", port), std::runtime_error);
  }
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(1, 0);
  EXPECT_FALSE(c.Get("/api/health"));  // destroyed server no longer answers
  EXPECT_THROW(CoreSimServer(nullptr), std::invalid_argument);
}

std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& t : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// The demo's in-process stand-in runs with a few workers: every thread costs ~120 KiB of RSS (issue #13).
TEST(CoreSimServerLifecycle, StartsTheConfiguredNumberOfWorkers) {
  MarketSimOptions m;
  m.count = 50;
  auto sim = std::make_shared<CoreSimulator>(
      std::vector<CoreSimulator::PairSeries>{{"BTC", generate_candles("BTC", m)}}, CoreSimulatorOptions{});
  CoreSimTransportOptions none;
  none.workers = 0;
  EXPECT_THROW(CoreSimServer(sim, none), std::invalid_argument);
  CoreSimTransportOptions three;
  three.workers = 3;
  CoreSimServer server(sim, three);
  const std::size_t before = thread_count();
  server.start("127.0.0.1", 0);
  // httplib starts the pool on the listening thread, right after it reports running.
  const std::int64_t deadline = steady_ms() + 5000;
  while (thread_count() < before + 3 + 1 && steady_ms() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(thread_count(), before + 3 + 1);  // the workers and the listening thread
}

}  // namespace
}  // namespace tbml
