// Chaos under load: while client threads hammer the prediction, health and history routes, the core
// stand-in turns to garbage, drips slowly, is killed and restarted; a training run is queued; and the
// service itself is killed with SIGKILL and restarted three times. Afterwards: no answer was a 5xx other
// than the documented 503 (with the contract's error body), health went degraded and came back, every
// prediction the service had acknowledged as stored (POST /api/storage/save, then history) before a kill
// is still in the history after the restart, and the stored model loads after every restart.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "service_fixture.h"

using namespace tbml::testing;

namespace {

struct LoadCounts {
  std::mutex mutex;
  std::map<int, long> by_status;  // 0 = no answer (the service was down)
  long bad_5xx = 0;               // a 5xx other than 503, or a 503 without the error body
  std::string first_bad;
};

// The stored predictions as "candle_ts/model" keys (history is newest first, so limit covers them all).
std::set<std::string> stored_predictions(int port) {
  std::set<std::string> keys;
  auto h = get(port, "/api/predictions/BTC/history?limit=10000");
  if (h.status != 200 || !h.body.is_object()) return keys;
  for (const auto& p : h.body.value("history", nlohmann::json::array()))
    keys.insert(std::to_string(p.value("dataTimestamp", std::int64_t{0})) + "/" + p.value("model", std::string()) +
                "/" + (p["strategy"].is_string() ? p["strategy"].get<std::string>() : std::string("-")) + "/h" +
                std::to_string(p.value("horizon", 0)));
  return keys;
}

}  // namespace

TEST(Chaos, FaultsKillsAndTrainingUnderLoadLoseNothingAcknowledged) {
  const std::string dir = make_temp_dir("tbml-chaos");
  write_synthetic_csv(dir + "/btc.csv", 700);
  ASSERT_EQ(train_offline(dir + "/btc.csv", dir, 1, "xgboost"), 0) << "see " << dir << "/train.log";
  std::filesystem::create_directories(dir + "/ml");
  std::filesystem::copy(dir + "/models", dir + "/ml/models", std::filesystem::copy_options::recursive);

  const int sim_port = free_port();
  auto start_sim = [&] {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{TBML_BINARY, "core-sim", "--port", std::to_string(sim_port), "--synthetic", "BTC",
                                 "--step-ms", "300", "--log-level", "warn"},
        std::map<std::string, std::string>{}, dir + "/sim.log");
  };
  auto sim = start_sim();
  ASSERT_TRUE(wait_until([&] { return get(sim_port, "/api/health").status == 200; }, std::chrono::seconds(10)));

  const int port = free_port();
  const std::vector<std::string> args = {
      TBML_BINARY, "serve", "--core-url", "http://127.0.0.1:" + std::to_string(sim_port), "--pairs", "BTC",
      "--port", std::to_string(port), "--storage-dir", dir + "/ml", "--set", "server.host=127.0.0.1",
      "--set", "core.pollIntervalMs=200", "--set", "core.timeoutMs=800", "--set", "core.connectTimeoutMs=300",
      "--set", "core.retries=0", "--set", "core.backoffMs=0", "--set", "ml.enabledModels=xgboost",
      "--set", "ml.horizons=5", "--set", "training.autoTrain=false", "--set", "storage.flushIntervalMs=20"};
  auto service = std::make_unique<ChildProcess>(args, std::map<std::string, std::string>{}, dir + "/service.log");
  auto healthy = [&] {
    auto h = get(port, "/api/health");
    return h.status == 200 && h.body.value("status", "") == "healthy";
  };
  ASSERT_TRUE(wait_until([&] { return get(port, "/api/predictions/BTC").status == 200; }, std::chrono::seconds(45)))
      << service->log().substr(0, 6000);

  LoadCounts counts;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  const std::vector<std::string> paths = {"/api/predictions/BTC", "/api/predictions", "/api/health",
                                          "/api/predictions/BTC/history?limit=20", "/api/models/BTC/status"};
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      for (std::size_t i = c; !stop.load(); ++i) {
        const auto r = get(port, paths[i % paths.size()]);
        std::lock_guard lock(counts.mutex);
        ++counts.by_status[r.status];
        const bool error_body = r.body.is_object() && r.body.contains("error");
        if (r.status >= 500 && (r.status != 503 || !error_body)) {
          if (counts.bad_5xx++ == 0) counts.first_bad = paths[i % paths.size()] + " -> " + r.raw.substr(0, 300);
        }
        if (r.status == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }

  bool saw_degraded = false;
  auto expect_degraded = [&](const std::string& why) {
    const bool d = wait_until(
        [&] {
          auto h = get(port, "/api/health");
          return h.status == 200 && h.body.value("status", "") == "degraded";
        },
        std::chrono::seconds(10));
    EXPECT_TRUE(d) << "health should turn degraded on " << why << ": " << get(port, "/api/health").raw;
    saw_degraded = saw_degraded || d;
  };
  auto set_fault = [&](const std::string& mode) {
    EXPECT_EQ(request(sim_port, "POST", "/sim/fault", nlohmann::json{{"mode", mode}}.dump()).status, 200) << mode;
  };

  std::this_thread::sleep_for(std::chrono::seconds(2));
  set_fault("garbage");
  expect_degraded("a garbage payload");
  set_fault("none");
  EXPECT_TRUE(wait_until(healthy, std::chrono::seconds(15))) << get(port, "/api/health").raw;
  set_fault("slow_drip");
  expect_degraded("a slow upstream");
  set_fault("none");
  sim->signal(SIGKILL);
  sim->wait(std::chrono::seconds(5));
  expect_degraded("a dead upstream");
  sim = start_sim();
  EXPECT_TRUE(wait_until(healthy, std::chrono::seconds(20))) << get(port, "/api/health").raw;
  EXPECT_EQ(request(port, "POST", "/api/train/BTC/xgboost").status, 202);

  std::size_t rows_checked = 0;
  const int kills = 3;
  for (int k = 0; k < kills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ASSERT_EQ(request(port, "POST", "/api/storage/save").status, 200);
    const std::set<std::string> acknowledged = stored_predictions(port);
    ASSERT_FALSE(acknowledged.empty()) << "kill " << k << ": the service stored no prediction";
    service->signal(SIGKILL);
    ASSERT_GE(service->wait(std::chrono::seconds(5)), 0);
    service = std::make_unique<ChildProcess>(args, std::map<std::string, std::string>{}, dir + "/service.log");
    ASSERT_TRUE(wait_until([&] { return get(port, "/api/health").status == 200; }, std::chrono::seconds(30)))
        << "restart " << k << "\n" << service->log().substr(0, 4000);
    const std::set<std::string> after = stored_predictions(port);
    for (const auto& key : acknowledged) EXPECT_TRUE(after.count(key)) << "kill " << k << " lost prediction " << key;
    rows_checked += acknowledged.size();
    // The stored model (the offline one, or the retrain if it was accepted before the kill) loads.
    EXPECT_TRUE(wait_until(
        [&] {
          auto s = get(port, "/api/models/BTC/status");
          return s.status == 200 && s.body["models"]["xgboost"].value("trained", false);
        },
        std::chrono::seconds(20)))
        << "restart " << k << ": " << get(port, "/api/models/BTC/status").raw;
  }
  EXPECT_TRUE(wait_until(healthy, std::chrono::seconds(20))) << get(port, "/api/health").raw;
  stop = true;
  for (auto& t : clients) t.join();

  long total = 0;
  std::string summary;
  for (const auto& [status, n] : counts.by_status) {
    total += n;
    summary += " " + (status == 0 ? std::string("no-answer") : std::to_string(status)) + "=" + std::to_string(n);
  }
  std::cout << "chaos: requests=" << total << summary << " bad5xx=" << counts.bad_5xx << " restarts=" << kills
            << " core_restarts=1 rows_checked=" << rows_checked << std::endl;
  EXPECT_EQ(counts.bad_5xx, 0) << counts.first_bad;
  EXPECT_TRUE(saw_degraded);
  EXPECT_GT(counts.by_status[200], 100) << summary;
  EXPECT_EQ(service->stop(), 0) << service->log().substr(0, 4000);
  sim->stop();
}
