// Resource limits: body size (413, configurable), the connection cap (fast 503 beyond it), read timeouts
// against slow clients, and /metrics in Prometheus text format.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "raw_http.h"
#include "service_fixture.h"

using namespace tbml::testing;

TEST(Limits, BodyLimitIsConfigurableAndAnswers413InContractShape) {
  DemoService service({"--set", "training.autoTrain=false", "--set", "demo.pairs=BTC", "--set",
                       "server.maxBodyBytes=2048", "--set", "server.readTimeoutMs=2000"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  // Just under the limit: parsed and rejected by validation, not by size.
  std::string small = "{\"maxAgeHours\": 1" + std::string(2000, ' ') + "}";
  auto ok = request(service.port(), "POST", "/api/storage/cleanup", small);
  EXPECT_EQ(ok.status, 200) << ok.raw;
  std::string big = "{\"maxAgeHours\": 1" + std::string(3000, ' ') + "}";
  auto too_big = request(service.port(), "POST", "/api/storage/cleanup", big);
  EXPECT_EQ(too_big.status, 413) << too_big.raw;
  EXPECT_TRUE(is_contract_error(too_big)) << too_big.raw;
  EXPECT_NE(too_big.body["message"].get<std::string>().find("2048"), std::string::npos);
  // A lying Content-Length: httplib discards what is announced before answering 413, so a client that
  // stops sending is simply dropped at the read timeout; it ties up nothing for longer.
  const auto t0 = std::chrono::steady_clock::now();
  auto huge = raw_exchange(service.port(), "POST /api/storage/save HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n{}",
                           std::chrono::milliseconds(8000));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(7000));
  if (huge.answered) {
    EXPECT_EQ(huge.status, 413) << huge.head;
  }
  EXPECT_EQ(get(service.port(), "/api/health").status, 200);
  EXPECT_EQ(service.process().stop(), 0);
}

TEST(Limits, DefaultBodyLimitIsOneMebibyte) {
  DemoService service({"--set", "training.autoTrain=false", "--set", "demo.pairs=BTC"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  std::string at_limit = "{\"maxAgeHours\": 1" + std::string((1 << 20) - 18, ' ') + "}";
  ASSERT_EQ(at_limit.size(), static_cast<std::size_t>(1 << 20));
  auto at = request(service.port(), "POST", "/api/storage/cleanup", at_limit);
  EXPECT_EQ(at.status, 200) << at.raw;
  auto over = request(service.port(), "POST", "/api/storage/cleanup", at_limit + " ");
  EXPECT_EQ(over.status, 413) << over.raw;
  EXPECT_TRUE(is_contract_error(over));
  EXPECT_EQ(service.process().stop(), 0);
}

TEST(Limits, ListenBacklogIsRaisedPastHttplibsFive) {
  // Debian's httplib listens with a backlog of 5, so a burst of new clients lost SYNs and waited 1-3 s for
  // the retransmit. For a listening socket, `ss` reports the backlog as Send-Q.
  if (std::system("command -v ss >/dev/null 2>&1") != 0) GTEST_SKIP() << "ss (iproute2) is not installed";
  DemoService service({"--set", "training.autoTrain=false", "--set", "demo.pairs=BTC"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  const std::string cmd = "ss -ltnH 'sport = :" + std::to_string(service.port()) + "'";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char line[512] = {};
  const bool got = std::fgets(line, sizeof line, pipe) != nullptr;
  ::pclose(pipe);
  ASSERT_TRUE(got) << cmd << " printed nothing";
  std::istringstream fields(line);
  std::string state;
  long recv_q = -1, send_q = -1;
  fields >> state >> recv_q >> send_q;
  EXPECT_EQ(state, "LISTEN") << line;
  EXPECT_GE(send_q, 128) << line;
  EXPECT_EQ(service.process().stop(), 0);
}

TEST(Limits, MetricsArePrometheusText) {
  DemoService service({"--set", "training.autoTrain=false", "--set", "demo.pairs=BTC"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  get(service.port(), "/api/nope");
  get(service.port(), "/api/features/BTC");
  auto m = get(service.port(), "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type.rfind("text/plain", 0), 0u) << m.content_type;
  EXPECT_NE(m.raw.find("# TYPE "), std::string::npos);
  EXPECT_NE(m.raw.find("# HELP "), std::string::npos);
  EXPECT_NE(m.raw.find("tbml_http_requests_total"), std::string::npos) << m.raw;
  // Every sample line is `name{labels} value` with a numeric value.
  std::istringstream lines(m.raw);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    ++samples;
    auto space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    const std::string value = line.substr(space + 1);
    char* end = nullptr;
    std::strtod(value.c_str(), &end);
    EXPECT_TRUE(end && *end == '\0') << "not a number in: " << line;
    const std::string name = line.substr(0, line.find_first_of("{ "));
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_:0123456789"), std::string::npos) << line;
  }
  EXPECT_GT(samples, 5);
  EXPECT_NE(m.raw.find("404"), std::string::npos) << "request counts are labelled by status";
  EXPECT_EQ(service.process().stop(), 0);
}

// The open-connection gauges of /metrics, read on an existing connection `fd` (keep-alive).
struct ConnectionGauges {
  long serving = -1, queued = -1, overflow = -1, workers = -1;
};
ConnectionGauges read_connection_gauges(int fd) {
  ConnectionGauges g;
  if (!raw_send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")) return g;
  RawReply r = raw_read_reply(fd, std::chrono::milliseconds(5000));
  auto value = [&](const std::string& state) {
    const std::string key = "tbml_http_connections{state=\"" + state + "\"} ";
    auto at = r.body.find(key);
    return at == std::string::npos ? -1L : std::atol(r.body.c_str() + at + key.size());
  };
  g.serving = value("serving");
  g.queued = value("queued");
  g.overflow = value("overflow");
  const std::string workers_key = "\ntbml_http_worker_threads ";
  if (auto at = r.body.find(workers_key); at != std::string::npos)
    g.workers = std::atol(r.body.c_str() + at + workers_key.size());
  return g;
}

// Waits until the gauges, read on `fd`, show `serving` connections being served and `queued` waiting.
::testing::AssertionResult wait_for_connections(int fd, long serving, long queued, std::chrono::seconds timeout) {
  ConnectionGauges g;
  if (wait_until([&] { g = read_connection_gauges(fd); return g.serving == serving && g.queued == queued; }, timeout))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << g.serving << " serving, " << g.queued << " queued, expected " << serving
                                       << " and " << queued;
}

// Opens `n` connections that each send half a request (the request line only) and appends them to `fds`.
// A started request holds its connection's place until the read timeout; a silent one would be released
// after httplib's 2 s keep-alive wait.
void open_half_requests(int port, int n, std::vector<int>& fds) {
  for (int i = 0; i < n; ++i) {
    int fd = raw_connect(port);
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
    ASSERT_TRUE(raw_send_all(fd, "GET /api/health HTTP/1.1\r\n"));
  }
}

TEST(Limits, ConnectionGaugesFollowOpenConnections) {
  DemoService service({"--set", "training.autoTrain=false", "--set", "demo.pairs=BTC", "--set", "server.threads=2",
                       "--set", "server.readTimeoutMs=8000"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  const int port = service.port();
  int watcher = raw_connect(port);
  ASSERT_GE(watcher, 0);
  // The health polls' closed connections are released once their worker notices; then only this one is open.
  ASSERT_TRUE(wait_for_connections(watcher, 1, 0, std::chrono::seconds(10)));
  EXPECT_EQ(read_connection_gauges(watcher).overflow, 0);
  // Two stalled requests: one takes the second worker, the other waits in the queue.
  std::vector<int> stalled;
  ASSERT_NO_FATAL_FAILURE(open_half_requests(port, 2, stalled));
  EXPECT_TRUE(wait_for_connections(watcher, 2, 1, std::chrono::seconds(5)));
  for (int fd : stalled) ::close(fd);
  ::close(watcher);
  EXPECT_EQ(service.process().stop(), 0);
}

TEST(Limits, WorkerThreadsGrowWithConnectionsAndExitWhenIdle) {
  DemoService service({"--set", "training.autoTrain=false", "--set", "demo.pairs=BTC", "--set", "server.threads=4",
                       "--set", "server.minThreads=1", "--set", "server.threadIdleTimeoutMs=300", "--set",
                       "server.readTimeoutMs=8000"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  const int port = service.port();
  int watcher = raw_connect(port);
  ASSERT_GE(watcher, 0);
  ASSERT_TRUE(wait_for_connections(watcher, 1, 0, std::chrono::seconds(10)));
  // Only the watcher's worker is left once the health polls' workers have been idle for 300 ms.
  ConnectionGauges g;
  EXPECT_TRUE(wait_until([&] { g = read_connection_gauges(watcher); return g.workers == 1; }, std::chrono::seconds(5)))
      << g.workers << " workers";
  // Four stalled requests: three get a new worker each, up to server.threads (4 with the watcher's), and
  // the fourth waits in the queue.
  std::vector<int> stalled;
  ASSERT_NO_FATAL_FAILURE(open_half_requests(port, 4, stalled));
  EXPECT_TRUE(wait_for_connections(watcher, 4, 1, std::chrono::seconds(5)));
  EXPECT_EQ(read_connection_gauges(watcher).workers, 4);
  for (int fd : stalled) ::close(fd);
  EXPECT_TRUE(wait_until([&] { g = read_connection_gauges(watcher); return g.serving == 1 && g.workers == 1; },
                         std::chrono::seconds(5)))
      << g.serving << " serving, " << g.workers << " workers";
  ::close(watcher);
  EXPECT_EQ(service.process().stop(), 0);
}

TEST(Limits, ConnectionsBeyondTheCapGetAFast503AndTheServerRecovers) {
  DemoService service({"--set", "training.autoTrain=false", "--set", "demo.pairs=BTC", "--set", "server.threads=2",
                       "--set", "server.maxConnections=4", "--set", "server.readTimeoutMs=8000"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  const int port = service.port();
  // Fill the four places deterministically. The health polls above closed their connections, but each
  // counts until its worker notices; wait until only this first connection is open (on a loaded machine
  // the stale ones used to push our fillers over the cap, where they held both refusing threads).
  int first = raw_connect(port);
  ASSERT_GE(first, 0);
  ASSERT_TRUE(wait_for_connections(first, 1, 0, std::chrono::seconds(10)));
  // The first connection and three more, each with half a request, fill the four places.
  ASSERT_TRUE(raw_send_all(first, "GET /api/health HTTP/1.1\r\n"));
  std::vector<int> held = {first};
  ASSERT_NO_FATAL_FAILURE(open_half_requests(port, 3, held));
  // Connections are accepted in order, so the probe is the fifth.
  const auto t0 = std::chrono::steady_clock::now();
  RawReply busy = raw_exchange(port, "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n", std::chrono::milliseconds(2000));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(busy.status, 503) << busy.head << busy.body;
  EXPECT_EQ(busy.json.is_object() ? busy.json.value("error", "") : "", "Server busy") << busy.body;
  EXPECT_EQ(busy.header("Retry-After"), "1");
  EXPECT_LT(took, std::chrono::milliseconds(2000)) << "the refusal must not wait for a worker";
  for (int fd : held) ::close(fd);
  EXPECT_TRUE(wait_until([&] { return get(port, "/api/health").status == 200; }, std::chrono::seconds(10)));
  auto m = get(port, "/metrics");
  EXPECT_NE(m.raw.find("overflow"), std::string::npos) << "refusals are counted";
  EXPECT_EQ(service.process().stop(), 0);
}

TEST(Limits, SlowClientsAreCutOffByTheReadTimeout) {
  DemoService service({"--set", "training.autoTrain=false", "--set", "demo.pairs=BTC", "--set", "server.threads=2",
                       "--set", "server.readTimeoutMs=1000"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  const int port = service.port();
  // A client that starts a request and stalls: the server gives up on it after the read timeout.
  int fd = raw_connect(port);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(raw_send_all(fd, "POST /api/storage/cleanup HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"max"));
  const auto t0 = std::chrono::steady_clock::now();
  // While it stalls, the other worker still answers.
  EXPECT_EQ(get(port, "/api/health").status, 200);
  RawReply r = raw_read_reply(fd, std::chrono::milliseconds(8000));
  const auto waited = std::chrono::steady_clock::now() - t0;
  ::close(fd);
  EXPECT_LT(waited, std::chrono::milliseconds(7000)) << "the stalled connection must be closed by the server";
  if (r.answered) {
    EXPECT_GE(r.status, 400);
    EXPECT_LT(r.status, 500);
  }
  // A client that never sends anything is dropped too.
  int silent = raw_connect(port);
  const auto t1 = std::chrono::steady_clock::now();
  raw_read_reply(silent, std::chrono::milliseconds(12000));
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::milliseconds(11000));
  ::close(silent);
  EXPECT_EQ(get(port, "/api/health").status, 200);
  EXPECT_EQ(service.process().stop(), 0);
}
