// Model files from elsewhere: versions on disk that are truncated, bit-flipped (with their checksums fixed
// up, as an attacker would) or carry a hostile or broken meta.json are refused by the real service: it
// does not crash, never serves them, falls back to an older good version, logs each refusal, and
// /api/health is degraded naming the pair, model, version, file and reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "service_fixture.h"
#include "tbml/util/atomic_file.h"

using namespace tbml::testing;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

nlohmann::json read_meta(const fs::path& folder) { return nlohmann::json::parse(tbml::read_file(folder / "meta.json")); }

// A copy of `from` as version `version` whose weights are `weights`, with both checksums and the size in
// meta.json made to match them, so only the loader's own checks stand between the bytes and the service.
void forge_version(const fs::path& from, const fs::path& to, int version, const std::string& weights) {
  fs::create_directories(to);
  nlohmann::json meta = read_meta(from);
  meta["version"] = version;
  meta["checksum"] = tbml::checksum_hex(weights);
  meta["weightsChecksum"] = tbml::checksum_hex(weights);
  meta["weightsBytes"] = weights.size();
  write(to / "weights.pt", weights);
  write(to / "meta.json", meta.dump());
}

const nlohmann::json* find_refusal(const nlohmann::json& health, const std::string& model, int version) {
  for (const auto& r : health["models"]["refused"])
    if (r["pair"] == "BTC" && r["model"] == model && r["version"] == version) return &r;
  return nullptr;
}

}  // namespace

TEST(ModelRefusal, DamagedAndHostileFilesAreRefusedNamedInHealthAndNeverServed) {
  const std::string dir = make_temp_dir("tbml-refuse");
  const std::string csv = dir + "/btc.csv";
  write_synthetic_csv(csv, 900);
  ASSERT_EQ(train_offline(csv, dir, 1, "cnn,xgboost"), 0) << "see " << dir << "/train.log";
  const fs::path cnn = fs::path(dir) / "models" / "BTC" / "cnn";
  const fs::path xgb = fs::path(dir) / "models" / "BTC" / "xgboost";
  ASSERT_TRUE(fs::exists(cnn / "v1" / "weights.pt"));
  ASSERT_TRUE(fs::exists(xgb / "v1" / "weights.pt"));

  // cnn v2: one bit flipped in the first tensor's name length (byte 13 of "TBMLTNS1", count, length).
  std::string flipped = tbml::read_file(cnn / "v1" / "weights.pt");
  ASSERT_GT(flipped.size(), 14u);
  flipped[13] = static_cast<char>(flipped[13] ^ 0x80);
  forge_version(cnn / "v1", cnn / "v2", 2, flipped);
  // cnn v3: a hostile meta.json, valid JSON nested 5,000 deep, with the good weights.
  fs::create_directories(cnn / "v3");
  fs::copy_file(cnn / "v1" / "weights.pt", cnn / "v3" / "weights.pt");
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "{\"a\":";
  deep += "1" + std::string(5000, '}');
  write(cnn / "v3" / "meta.json", deep);
  // xgboost v1: weights truncated to half (the checksum no longer matches); v2: meta.json cut in half.
  const std::string trees = tbml::read_file(xgb / "v1" / "weights.pt");
  forge_version(xgb / "v1", xgb / "v2", 2, trees);
  const std::string meta2 = tbml::read_file(xgb / "v2" / "meta.json");
  write(xgb / "v2" / "meta.json", meta2.substr(0, meta2.size() / 2));
  write(xgb / "v1" / "weights.pt", trees.substr(0, trees.size() / 2));

  DemoService service({"--csv", "BTC=" + csv, "--set", "training.autoTrain=false", "--set", "demo.stepMs=200",
                       "--set", "demo.pollIntervalMs=100", "--set", "demo.initial=600"},
                      dir);
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  const int port = service.port();

  // The good cnn v1 is served; nothing of xgboost is.
  JsonReply status;
  ASSERT_TRUE(wait_until(
      [&] {
        status = get(port, "/api/models/BTC/status");
        return status.status == 200 && status.body["models"]["cnn"]["trained"] == true;
      },
      std::chrono::seconds(30)))
      << status.raw << service.log();
  EXPECT_EQ(status.body["models"]["cnn"]["version"], 1) << status.raw;
  EXPECT_EQ(status.body["models"]["xgboost"]["trained"], false) << status.raw;

  auto health = get(port, "/api/health");
  ASSERT_EQ(health.status, 200) << health.raw;
  EXPECT_EQ(health.body["status"], "degraded") << health.raw;
  ASSERT_EQ(health.body["models"]["refused"].size(), 4u) << health.raw;
  struct Expected {
    const char* model;
    int version;
    const char* file;
    const char* reason;
  };
  for (const Expected& e : {Expected{"cnn", 2, "weights.pt", "tensor"}, Expected{"cnn", 3, "meta.json", "checksum"},
                            Expected{"xgboost", 1, "weights.pt", "checksum mismatch"},
                            Expected{"xgboost", 2, "meta.json", "not a JSON object"}}) {
    const nlohmann::json* r = find_refusal(health.body, e.model, e.version);
    ASSERT_NE(r, nullptr) << e.model << " v" << e.version << " not named: " << health.raw;
    EXPECT_EQ((*r)["file"], e.file) << *r;
    EXPECT_NE((*r)["reason"].get<std::string>().find(e.reason), std::string::npos) << *r;
    const std::string problem = std::string("model file refused: BTC ") + e.model + " v" +
                                std::to_string(e.version) + " " + e.file + ": ";
    bool listed = false;
    for (const auto& p : health.body["problems"]) listed |= p.get<std::string>().rfind(problem, 0) == 0;
    EXPECT_TRUE(listed) << problem << " missing from " << health.body["problems"];
    // One clear log line per refusal, and the version folder is set aside (never loaded again).
    EXPECT_NE(service.log().find(std::string("refused model BTC/") + e.model + " v" + std::to_string(e.version)),
              std::string::npos)
        << service.log();
    EXPECT_FALSE(fs::exists((e.model == std::string("cnn") ? cnn : xgb) / ("v" + std::to_string(e.version))));
  }

  // Predictions are served from the good model, and the service is still the same process.
  ASSERT_TRUE(wait_until([&] { return get(port, "/api/predictions/BTC?model=cnn").status == 200; },
                         std::chrono::seconds(30)))
      << get(port, "/api/predictions/BTC?model=cnn").raw;
  EXPECT_TRUE(service.process().running());

  // A restart finds only the good version: the refusals were quarantined, so health is not degraded by
  // them again (they are named once, by the run that found them).
  ASSERT_EQ(service.process().stop(), 0);
  service.start();
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  auto again = get(port, "/api/health");
  EXPECT_TRUE(again.body["models"]["refused"].empty()) << again.raw;
}
