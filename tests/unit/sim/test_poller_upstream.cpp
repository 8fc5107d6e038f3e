// The poller and its HTTP client against a real httplib server on 127.0.0.1 that each test controls:
// data arriving, core going away and coming back, and every kind of bad reply.
#include <gtest/gtest.h>

#include <csignal>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "tbml/market/core_client.h"
#include "tbml/market/market_data.h"
#include "tbml/market/poller.h"
#include "tbml/util/time.h"

namespace tbml {
namespace {

using nlohmann::json;
constexpr std::int64_t kT0 = 1795200000000;
constexpr std::int64_t kStep = 300000;

enum class Reply { good, truncated, wrong_types, no_strategies, strings, all_strings, unequal, huge, hang,
                   error503, not_found };

json history_json(int n) {
  json h = {{"closes", json::array()}, {"highs", json::array()}, {"lows", json::array()},
            {"prices", json::array()}, {"volumes", json::array()}, {"timestamps", json::array()}};
  for (int i = 0; i < n; ++i) {
    const double close = 100.0 + 0.1 * i + (i % 3);
    h["closes"].push_back(close);
    h["highs"].push_back(close + 2);
    h["lows"].push_back(close - 2);
    h["prices"].push_back(close);
    h["volumes"].push_back(1000.0 + i);
    h["timestamps"].push_back(kT0 + i * kStep);
  }
  return h;
}

// A stand-in for core whose replies the test switches at will.
class FakeCore {
 public:
  std::atomic<Reply> reply{Reply::good};
  std::atomic<int> points{20};
  std::atomic<int> requests{0};
  std::atomic<int> fail_first{0};  // answer 503 to this many requests first
  std::vector<std::string> listed = {"BTC", "ETH"};

  ~FakeCore() { stop(); }

  int start(int port = 0) {
    server_ = std::make_unique<httplib::Server>();
    release_ = false;
    server_->Get(R"(/api/pair/([A-Za-z0-9]+))", [this](const httplib::Request& req, httplib::Response& res) {
      serve_pair(req.matches[1], res);
    });
    server_->Get("/api/pairs", [this](const httplib::Request&, httplib::Response& res) {
      ++requests;
      res.set_content(json{{"pairs", listed}, {"total", listed.size()}, {"timestamp", now_ms()}}.dump(),
                      "application/json");
    });
    port_ = port == 0 ? server_->bind_to_any_port("127.0.0.1") : (server_->bind_to_port("127.0.0.1", port) ? port : -1);
    if (port_ <= 0) return port_;
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    for (int i = 0; i < 200 && !server_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return port_;
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      release_ = true;
    }
    cv_.notify_all();
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

 private:
  void serve_pair(const std::string& pair, httplib::Response& res) {
    const int n = ++requests;
    if (n <= fail_first) {
      res.status = 503;
      res.set_content(R"({"error":"busy"})", "application/json");
      return;
    }
    json body = {{"pair", pair}, {"history", history_json(points)}, {"strategies", {{"rsi", {{"value", 50}}}}},
                 {"hasEnoughData", true}, {"timestamp", now_ms()}};
    switch (reply.load()) {
      case Reply::good: break;
      case Reply::truncated: {
        const std::string s = body.dump();
        res.set_content(s.substr(0, s.size() / 2), "application/json");
        return;
      }
      case Reply::wrong_types: body["history"]["closes"] = "n/a"; break;
      case Reply::no_strategies: body.erase("strategies"); break;
      case Reply::strings: body["history"]["closes"][0] = "100.0"; break;
      case Reply::all_strings:
        for (auto& v : body["history"]["closes"]) v = v.dump();
        break;
      case Reply::unequal: body["history"]["volumes"].erase(0); break;
      case Reply::huge: res.set_content(std::string(10u * 1024u * 1024u, ' ') + "{}", "application/json"); return;
      case Reply::hang: {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait_for(lock, std::chrono::seconds(5), [this] { return release_; });
        break;
      }
      case Reply::error503: res.status = 503; break;
      case Reply::not_found:
        res.status = 404;
        res.set_content(json{{"error", "Pair not found"}, {"pair", pair}}.dump(), "application/json");
        return;
    }
    res.set_content(body.dump(), "application/json");
  }

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool release_ = false;
};

PollerOptions fast_options(const std::string& url) {
  PollerOptions o;
  o.base_url = url;
  o.pairs = {"BTC"};
  o.poll_interval_ms = 50;
  o.connect_timeout_ms = 500;
  o.timeout_ms = 1000;
  o.retries = 0;
  o.backoff_ms = 20;
  o.failure_log_interval_ms = 30000;
  return o;
}

bool wait_for(const std::function<bool()>& cond, int timeout_ms = 5000) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

class PollerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }  // aborted transfers close sockets
};

TEST_F(PollerTest, DataArrivesAndCallbackFires) {
  FakeCore core;
  ASSERT_GT(core.start(), 0);
  auto market = std::make_shared<MarketData>();
  std::mutex m;
  std::map<std::string, std::size_t> added;
  Poller poller(fast_options(core.url()), market, [&](const std::string& pair, std::size_t n) {
    std::lock_guard<std::mutex> lock(m);
    added[pair] += n;
  });
  poller.start();
  ASSERT_TRUE(wait_for([&] { return market->find("BTC") && market->find("BTC")->size() == 20; }));
  core.points = 25;  // core's arrays grow: only the 5 new points are appended
  ASSERT_TRUE(wait_for([&] { return market->find("BTC")->size() == 25; }));
  const std::int64_t polls_before = static_cast<std::int64_t>(poller.health().total_polls);
  ASSERT_TRUE(wait_for([&] { return static_cast<std::int64_t>(poller.health().total_polls) > polls_before + 2; }));
  poller.stop();
  EXPECT_FALSE(poller.running());
  {
    std::lock_guard<std::mutex> lock(m);
    EXPECT_EQ(added["BTC"], 25u);  // callback only for new candles, never for repeated polls
  }
  const UpstreamHealth h = poller.health();
  EXPECT_TRUE(h.reachable);
  EXPECT_EQ(h.consecutive_failures, 0u);
  EXPECT_EQ(h.total_errors, 0u);
  EXPECT_GT(h.last_success_ms, 0);
  ASSERT_EQ(h.pairs.count("BTC"), 1u);
  EXPECT_EQ(h.pairs.at("BTC").last_data_timestamp, kT0 + 24 * kStep);
  EXPECT_GT(h.pairs.at("BTC").last_fetch_ms, 0);
  EXPECT_TRUE(h.pairs.at("BTC").last_error.empty());
  EXPECT_EQ(market->find("BTC")->counters().total_ingested, 25u);
}

TEST_F(PollerTest, CoreDownThenBack) {
  FakeCore core;
  const int port = core.start();
  ASSERT_GT(port, 0);
  auto market = std::make_shared<MarketData>();
  Poller poller(fast_options(core.url()), market);
  poller.start();
  ASSERT_TRUE(wait_for([&] { return market->find("BTC") && market->find("BTC")->size() == 20; }));

  core.stop();
  ASSERT_TRUE(wait_for([&] { const auto h = poller.health(); return !h.reachable && h.consecutive_failures >= 3; }));
  EXPECT_TRUE(poller.running());
  const UpstreamHealth down = poller.health();
  EXPECT_FALSE(down.last_error.empty());
  EXPECT_EQ(down.rejected_payloads, 0u);
  EXPECT_EQ(market->find("BTC")->size(), 20u);  // what we had is kept

  core.points = 30;
  ASSERT_EQ(core.start(port), port);
  ASSERT_TRUE(wait_for([&] { return poller.health().reachable && market->find("BTC")->size() == 30; }));
  const UpstreamHealth up = poller.health();
  EXPECT_EQ(up.consecutive_failures, 0u);
  EXPECT_GE(up.total_errors, 3u);
  EXPECT_TRUE(up.pairs.at("BTC").last_error.empty());
}

TEST_F(PollerTest, StopIsImmediateDuringSleepAndHangingRequest) {
  FakeCore core;
  ASSERT_GT(core.start(), 0);
  auto market = std::make_shared<MarketData>();
  PollerOptions o = fast_options(core.url());
  o.poll_interval_ms = 60000;
  {
    Poller poller(o, market);
    poller.start();
    ASSERT_TRUE(wait_for([&] { return poller.health().total_polls >= 1; }));
    const auto t0 = steady_ms();
    poller.stop();
    EXPECT_LT(steady_ms() - t0, 500);
  }
  core.reply = Reply::hang;
  o.timeout_ms = 20000;
  o.retries = 3;
  Poller poller(o, market);
  poller.start();
  ASSERT_TRUE(wait_for([&] { return core.requests >= 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto t0 = steady_ms();
  poller.stop();
  EXPECT_LT(steady_ms() - t0, 1500);  // curl's progress callback sees the stop flag
  EXPECT_EQ(poller.health().total_errors, 0u);  // shutdown is not an upstream failure
}

TEST_F(PollerTest, MalformedRepliesAreRejectedAndCounted) {
  FakeCore core;
  ASSERT_GT(core.start(), 0);
  auto market = std::make_shared<MarketData>();
  PollerOptions o = fast_options(core.url());
  o.timeout_ms = 400;
  Poller poller(o, market);  // driven synchronously through poll_once()

  struct Case { Reply reply; bool rejected_payload; const char* reason; };
  const Case cases[] = {
      {Reply::truncated, true, "malformed JSON"},
      {Reply::wrong_types, true, "history.closes is a string"},
      {Reply::all_strings, true, "no valid points"},
      {Reply::unequal, true, "unequal array lengths"},
      {Reply::huge, true, "response body exceeds the limit of 8388608 bytes"},
      {Reply::hang, false, "Timeout"},
      {Reply::error503, false, "HTTP 503"},
      {Reply::not_found, false, "HTTP 404"},
  };
  std::uint64_t rejected = 0, errors = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    core.reply = c.reply;
    poller.poll_once();
    const UpstreamHealth h = poller.health();
    ++errors;
    if (c.rejected_payload) ++rejected;
    EXPECT_EQ(h.total_errors, errors);
    EXPECT_EQ(h.rejected_payloads, rejected);
    EXPECT_NE(h.last_error.find(c.reason), std::string::npos) << h.last_error;
    EXPECT_NE(h.pairs.at("BTC").last_error.find(c.reason), std::string::npos);
    EXPECT_EQ(h.reachable, c.reply != Reply::hang);
    EXPECT_EQ(market->find("BTC"), nullptr);  // nothing ingested from a bad reply
  }
  EXPECT_EQ(poller.health().consecutive_failures, errors);

  core.reply = Reply::strings;  // one point's close is a string: that point alone is dropped
  poller.poll_once();
  UpstreamHealth h = poller.health();
  EXPECT_EQ(h.consecutive_failures, 0u);
  EXPECT_EQ(h.rejected_points, 1u);
  EXPECT_EQ(h.pairs.at("BTC").rejected_points, 1u);
  ASSERT_NE(market->find("BTC"), nullptr);
  EXPECT_EQ(market->find("BTC")->size(), 19u);

  core.reply = Reply::no_strategies;  // strategies absent is normal for a young pair
  core.points = 22;
  poller.poll_once();
  h = poller.health();
  EXPECT_EQ(h.consecutive_failures, 0u);
  EXPECT_EQ(h.total_errors, errors);
  EXPECT_EQ(market->find("BTC")->size(), 21u);  // points 20 and 21 added
  EXPECT_EQ(market->find("BTC")->last_timestamp(), kT0 + 21 * kStep);
}

TEST_F(PollerTest, AutoPairsPollsWhatCoreLists) {
  FakeCore core;
  ASSERT_GT(core.start(), 0);
  auto market = std::make_shared<MarketData>();
  PollerOptions o = fast_options(core.url());
  o.pairs.clear();
  o.auto_pairs = true;
  Poller poller(o, market);
  poller.poll_once();
  EXPECT_EQ(market->pairs(), (std::vector<std::string>{"BTC", "ETH"}));
  EXPECT_EQ(market->find("ETH")->size(), 20u);
  EXPECT_EQ(poller.health().total_polls, 3u);  // the list + two pairs
}

TEST_F(PollerTest, InvalidOptionsThrow) {
  auto market = std::make_shared<MarketData>();
  PollerOptions o = fast_options("http://127.0.0.1:1");
  o.pairs = {};
  EXPECT_THROW(Poller(o, market), std::invalid_argument);
  o.pairs = {"BTC/USDT"};
  EXPECT_THROW(Poller(o, market), std::invalid_argument);
  o.pairs = {"BTC"};
  o.poll_interval_ms = 0;
  EXPECT_THROW(Poller(o, market), std::invalid_argument);
  o.poll_interval_ms = 100;
  o.base_url = "ftp://x";
  EXPECT_THROW(Poller(o, market), std::invalid_argument);
  o.base_url = "http://127.0.0.1:1";
  EXPECT_THROW(Poller(o, nullptr), std::invalid_argument);
}

TEST_F(PollerTest, ClientRetriesServerErrorsButNotClientErrors) {
  FakeCore core;
  ASSERT_GT(core.start(), 0);
  CoreClientOptions o;
  o.base_url = core.url() + "/";
  o.retries = 3;
  o.backoff_ms = 10;
  core.fail_first = 2;
  HttpResponse r = CoreClient(o).get("/api/pair/BTC");
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(r.status, 200);

  core.reply = Reply::not_found;
  r = CoreClient(o).get("/api/pair/XYZ");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_NE(r.error.find("Pair not found"), std::string::npos);
}

TEST_F(PollerTest, ClientBackoffIsInterruptible) {
  FakeCore core;
  ASSERT_GT(core.start(), 0);
  core.reply = Reply::error503;
  CoreClientOptions o;
  o.base_url = core.url();
  o.retries = 5;
  o.backoff_ms = 3000;
  o.max_backoff_ms = 3000;
  CoreClient client(o);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    client.request_stop();
  });
  const auto t0 = steady_ms();
  const HttpResponse r = client.get("/api/pair/BTC");
  stopper.join();
  EXPECT_LT(steady_ms() - t0, 1000);
  EXPECT_EQ(r.error, "stopped");
  EXPECT_EQ(r.attempts, 1);
}

TEST_F(PollerTest, ClientConnectionRefusedIsATransportError) {
  FakeCore core;
  const int port = core.start();
  core.stop();  // nothing listens on the port any more
  CoreClientOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(port);
  o.retries = 1;
  o.backoff_ms = 10;
  const HttpResponse r = CoreClient(o).get("/api/pairs");
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.responded());
  EXPECT_EQ(r.attempts, 2);
  EXPECT_FALSE(r.error.empty());
}

TEST_F(PollerTest, FailureLogsAreRateLimitedAndRecoveryIsLogged) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100);
  auto logger = std::make_shared<spdlog::logger>("poller", sink);
  logger->set_pattern("%l %v");
  spdlog::register_logger(logger);
  struct Drop { ~Drop() { spdlog::drop("poller"); } } drop;

  FakeCore core;
  const int port = core.start();
  core.stop();
  PollerOptions o = fast_options("http://127.0.0.1:" + std::to_string(port));
  o.pairs = {"BTC", "ETH", "SOL"};
  Poller poller(o, std::make_shared<MarketData>());
  for (int i = 0; i < 4; ++i) poller.poll_once();  // 12 failed polls while core is down
  auto lines = sink->last_formatted();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("warning core poll failed (1 in a row): GET /api/pair/BTC: Couldn't connect"),
            std::string::npos) << lines[0];
  EXPECT_EQ(poller.health().consecutive_failures, 12u);

  ASSERT_EQ(core.start(port), port);
  poller.poll_once();
  poller.poll_once();
  lines = sink->last_formatted();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1].find("info core at http://127.0.0.1:" + std::to_string(port) +
                          " is reachable again after 12 failed polls"),
            std::string::npos) << lines[1];
}

}  // namespace
}  // namespace tbml
