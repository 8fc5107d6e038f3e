// Graceful shutdown: SIGTERM under request load and with training running exits 0 well inside 10 s, and
// the storage it leaves behind opens cleanly with what was written before the signal; a second signal
// exits at once.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <thread>

#include "raw_http.h"
#include "service_fixture.h"

using namespace tbml::testing;

namespace {

// A small GRU that trains long enough (many epochs) to still be running when the signal arrives.
std::vector<std::string> busy_training_args() {
  return {"--set", "demo.pairs=BTC", "--set", "ml.enabledModels=gru", "--set", "training.autoTrain=true",
          "--set", "training.epochs=200", "--set", "training.patience=200", "--set", "ml.architectures.gru.hidden=8",
          "--set", "ml.architectures.gru.layers=1", "--set", "demo.stepMs=500"};
}

bool training_running(int port) {
  auto q = get(port, "/api/training/queue");
  if (q.status != 200) return false;
  const std::string text = q.body.dump();
  return text.find("\"running\"") != std::string::npos;
}

// Client threads that keep the server busy until told to stop; they count answers.
class Load {
 public:
  explicit Load(int port) {
    for (int i = 0; i < 4; ++i) {
      threads_.emplace_back([this, port, i] {
        while (!stop_) {
          JsonReply r;
          switch (i) {
            case 0: r = get(port, "/api/features/BTC"); break;
            case 1: r = get(port, "/api/health"); break;
            case 2: r = request(port, "POST", "/api/storage/save", ""); break;
            default: r = get(port, "/api/predictions/BTC/history?limit=50"); break;
          }
          if (r.status != 0) ++answered_;
          if (r.status >= 500 && r.status != 503) ++server_errors_;
        }
      });
    }
  }
  ~Load() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  int answered() const { return answered_; }
  int server_errors() const { return server_errors_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> answered_{0};
  std::atomic<int> server_errors_{0};
  std::vector<std::thread> threads_;
};

}  // namespace

TEST(Shutdown, SigtermUnderLoadExitsZeroInTimeAndStorageReopens) {
  const std::string storage = make_temp_dir("tbml-shutdown");
  int before_answered = 0;
  {
    DemoService service(busy_training_args(), storage);
    ASSERT_TRUE(service.wait_healthy()) << service.log();
    const int port = service.port();
    ASSERT_TRUE(wait_until([&] { return get(port, "/api/features/BTC").status == 200; }, std::chrono::seconds(30)));
    auto weights = request(port, "POST", "/api/ensemble/BTC/weights", "{\"weights\":{\"gru\":0.55}}");
    ASSERT_EQ(weights.status, 200) << weights.raw;
    ASSERT_TRUE(wait_until([&] { return training_running(port); }, std::chrono::seconds(30)))
        << "training should have started on its own\n" << service.log();

    Load load(port);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    before_answered = load.answered();
    const auto t0 = std::chrono::steady_clock::now();
    service.process().signal(SIGTERM);
    const int status = service.process().wait(std::chrono::seconds(12));
    const auto took = std::chrono::steady_clock::now() - t0;
    load.stop();
    EXPECT_EQ(status, 0) << service.log().substr(0, 6000);
    EXPECT_LT(took, std::chrono::seconds(10));
    std::cout << "exit " << status << " after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms; " << load.answered()
              << " requests answered under load\n";
    EXPECT_EQ(load.server_errors(), 0);
    const std::string log = service.log();
    EXPECT_NE(log.find("stopped cleanly"), std::string::npos) << log.substr(0, 6000);
  }
  EXPECT_GT(before_answered, 10) << "the load must have been real";

  // The storage reopens without complaint and still has what was written before the signal.
  DemoService again({"--set", "demo.pairs=BTC", "--set", "ml.enabledModels=gru", "--set", "training.autoTrain=false"},
                    storage);
  ASSERT_TRUE(again.wait_healthy()) << again.log();
  ASSERT_TRUE(wait_until([&] { return get(again.port(), "/api/features/BTC").status == 200; }, std::chrono::seconds(30)));
  auto health = get(again.port(), "/api/health");
  EXPECT_TRUE(health.body["storage"]["ok"].get<bool>()) << health.raw;
  auto stats = get(again.port(), "/api/storage/stats");
  EXPECT_EQ(stats.status, 200) << stats.raw;
  auto ensemble = get(again.port(), "/api/ensemble/BTC/stats");
  ASSERT_EQ(ensemble.status, 200) << ensemble.raw;
  EXPECT_NE(ensemble.raw.find("0.55"), std::string::npos) << "weights set before SIGTERM survive: " << ensemble.raw;
  const std::string log = again.log();
  EXPECT_EQ(log.find("corrupt"), std::string::npos) << log.substr(0, 4000);
  EXPECT_EQ(again.process().stop(), 0);
}

TEST(Shutdown, IdleSigintExitsZeroQuickly) {
  DemoService service({"--set", "demo.pairs=BTC", "--set", "training.autoTrain=false"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  const auto t0 = std::chrono::steady_clock::now();
  service.process().signal(SIGINT);
  EXPECT_EQ(service.process().wait(std::chrono::seconds(10)), 0) << service.log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
}

TEST(Shutdown, SecondSignalExitsAtOnce) {
  DemoService service({"--set", "demo.pairs=BTC", "--set", "training.autoTrain=false", "--set",
                       "server.readTimeoutMs=8000"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  // A client stalled in the middle of its request keeps the graceful path waiting for its read timeout.
  int fd = raw_connect(service.port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(raw_send_all(fd, "POST /api/storage/save HTTP/1.1\r\nContent-Length: 10\r\n\r\n{"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  service.process().signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(service.process().running()) << "the first signal waits for the in-flight request";
  const auto t0 = std::chrono::steady_clock::now();
  service.process().signal(SIGTERM);
  const int status = service.process().wait(std::chrono::seconds(10));
  EXPECT_EQ(status, 130) << service.log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  ::close(fd);
}
