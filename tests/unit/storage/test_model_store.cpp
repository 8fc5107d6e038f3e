#include <gtest/gtest.h>

#include <fstream>

#include "tbml/storage/model_store.h"
#include "tbml/util/atomic_file.h"
#include "unit/storage/temp_dir.h"

namespace tbml {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

bool any_quarantined(const fs::path& dir) {
  for (const auto& name : entries(dir)) {
    if (name.find(".bad-") != std::string::npos) return true;
  }
  return false;
}

TEST(ModelStore, SaveAndLoadRoundTrip) {
  test::TempDir dir;
  ModelStore store(dir.path());
  const std::string weights("\x00\x01binary\xff weights", 17);
  EXPECT_EQ(store.save("BTC", "lstm", {{"features", 84}, {"version", 99}}, weights), 1);
  auto loaded = store.load_latest("BTC", "lstm");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->version, 1);
  EXPECT_EQ(loaded->weights, weights);
  EXPECT_EQ(loaded->meta["features"], 84);
  EXPECT_EQ(loaded->meta["version"], 1);  // the store's number wins
  EXPECT_EQ(loaded->meta["checksum"], checksum_hex(weights));
  EXPECT_TRUE(fs::exists(dir.path() / "models" / "BTC" / "lstm" / "v1" / "weights.pt"));
  EXPECT_TRUE(fs::exists(dir.path() / "models" / "BTC" / "lstm" / "v1" / "meta.json"));
  EXPECT_FALSE(store.load_latest("BTC", "gru").has_value());
  EXPECT_FALSE(store.load_latest("ETH", "lstm").has_value());

  EXPECT_EQ(store.save("BTC", "lstm", nlohmann::json::object(), "second"), 2);
  EXPECT_EQ(store.load_latest("BTC", "lstm")->weights, "second");
  EXPECT_EQ(store.load_version("BTC", "lstm", 1)->weights, weights);  // rollback target
  EXPECT_FALSE(store.load_version("BTC", "lstm", 7).has_value());
  auto listing = store.list();
  ASSERT_EQ(listing.size(), 1u);
  EXPECT_EQ(listing[0].pair, "BTC");
  EXPECT_EQ(listing[0].type, "lstm");
  EXPECT_EQ(listing[0].versions, (std::vector<int>{1, 2}));
  EXPECT_GT(listing[0].bytes, weights.size());
  EXPECT_EQ(store.total_bytes(), listing[0].bytes);
}

TEST(ModelStore, PruningKeepsTheNewestVersions) {
  test::TempDir dir;
  ModelStore store(dir.path(), 2);
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(store.save("ETH", "gru", {}, "w" + std::to_string(i)), i);
  EXPECT_EQ(store.versions("ETH", "gru"), (std::vector<int>{4, 5}));
  ModelStore keep_three(dir.path(), 3);
  keep_three.save("ETH", "gru", {}, "w6");
  keep_three.save("ETH", "gru", {}, "w7");
  EXPECT_EQ(keep_three.versions("ETH", "gru"), (std::vector<int>{5, 6, 7}));
}

TEST(ModelStore, ChecksumMismatchFallsBackAndQuarantines) {
  test::TempDir dir;
  ModelStore store(dir.path());
  store.save("BTC", "cnn", {}, "good weights");
  store.save("BTC", "cnn", {}, "newer weights");
  const fs::path type_dir = dir.path() / "models" / "BTC" / "cnn";
  {
    std::ofstream corrupt(type_dir / "v2" / "weights.pt", std::ios::binary | std::ios::trunc);
    corrupt << "newer weightz";  // one flipped byte, same size
  }
  auto loaded = store.load_latest("BTC", "cnn");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->version, 1);
  EXPECT_EQ(loaded->weights, "good weights");
  EXPECT_TRUE(any_quarantined(type_dir));
  EXPECT_FALSE(fs::exists(type_dir / "v2"));
  EXPECT_EQ(store.versions("BTC", "cnn"), (std::vector<int>{1}));
  // The refusal names the pair, type, version and file until a new version is saved.
  auto refused = store.refused();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].pair, "BTC");
  EXPECT_EQ(refused[0].type, "cnn");
  EXPECT_EQ(refused[0].version, 2);
  EXPECT_EQ(refused[0].file, "weights.pt");
  EXPECT_NE(refused[0].reason.find("checksum mismatch"), std::string::npos) << refused[0].reason;
  EXPECT_EQ(refused[0].to_json()["model"], "cnn");
  // The next save does not reuse the quarantined number, and supersedes the refusal.
  EXPECT_EQ(store.save("BTC", "cnn", {}, "third"), 3);
  EXPECT_TRUE(store.refused().empty());
}

TEST(ModelStore, TruncatedMetaFallsBackAndQuarantines) {
  test::TempDir dir;
  ModelStore store(dir.path());
  store.save("BTC", "transformer", {{"a", 1}}, "v1 weights");
  store.save("BTC", "transformer", {{"a", 2}}, "v2 weights");
  const fs::path type_dir = dir.path() / "models" / "BTC" / "transformer";
  const std::string meta = read_file(type_dir / "v2" / "meta.json");
  {
    std::ofstream cut(type_dir / "v2" / "meta.json", std::ios::binary | std::ios::trunc);
    cut << meta.substr(0, meta.size() / 2);
  }
  auto loaded = store.load_latest("BTC", "transformer");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->version, 1);
  EXPECT_EQ(loaded->meta["a"], 1);
  EXPECT_TRUE(any_quarantined(type_dir));
  ASSERT_EQ(store.refused().size(), 1u);
  EXPECT_EQ(store.refused()[0].file, "meta.json");
  EXPECT_EQ(store.refused()[0].reason, "not a JSON object");
}

TEST(ModelStore, RefusedByTheLoaderIsQuarantinedAndListed) {
  test::TempDir dir;
  ModelStore store(dir.path());
  store.save("BTC", "gru", {}, "v1 weights");
  store.save("BTC", "gru", {}, "hostile but checksummed");
  store.save("ETH", "gru", {}, "other pair");
  const fs::path type_dir = dir.path() / "models" / "BTC" / "gru";
  store.refuse("BTC", "gru", 2, "weights.pt", "tensor 'w' has 9 dimensions");
  EXPECT_FALSE(fs::exists(type_dir / "v2"));
  EXPECT_TRUE(any_quarantined(type_dir));
  EXPECT_EQ(store.load_latest("BTC", "gru")->version, 1);
  // Refusing the same version twice (e.g. after a failed rename) lists it once.
  store.refuse("BTC", "gru", 2, "weights.pt", "tensor 'w' has 9 dimensions");
  ASSERT_EQ(store.refused().size(), 1u);
  EXPECT_EQ(store.refused()[0].reason, "tensor 'w' has 9 dimensions");
  // A save of another pair does not clear it.
  store.save("ETH", "gru", {}, "again");
  EXPECT_EQ(store.refused().size(), 1u);
  EXPECT_THROW(store.refuse("../x", "gru", 1, "weights.pt", "no"), std::invalid_argument);
}

TEST(ModelStore, NothingLoadsWhenEveryVersionIsBad) {
  test::TempDir dir;
  ModelStore store(dir.path());
  store.save("BTC", "lstm", {}, "only");
  fs::remove(dir.path() / "models" / "BTC" / "lstm" / "v1" / "weights.pt");
  EXPECT_FALSE(store.load_latest("BTC", "lstm").has_value());
  EXPECT_TRUE(store.versions("BTC", "lstm").empty());
}

TEST(ModelStore, VerifyAllQuarantinesBadVersions) {
  test::TempDir dir;
  ModelStore store(dir.path());
  store.save("BTC", "lstm", {}, "a");
  store.save("ETH", "gru", {}, "b");
  std::ofstream(dir.path() / "models" / "ETH" / "gru" / "v1" / "meta.json") << "{";
  EXPECT_EQ(store.verify_all(), 1u);
  EXPECT_EQ(store.verify_all(), 0u);
  ASSERT_EQ(store.refused().size(), 1u);
  EXPECT_EQ(store.refused()[0].pair, "ETH");
  EXPECT_TRUE(store.load_latest("BTC", "lstm").has_value());
}

TEST(ModelStore, RejectsNamesThatCouldEscapeTheFolder) {
  test::TempDir dir;
  ModelStore store(dir.path());
  for (const std::string& pair : std::vector<std::string>{"../x", "..", "btc", "B", "BTC/ETH", "",
                                                          "BTC\n", std::string(21, 'A')}) {
    EXPECT_THROW(store.save(pair, "lstm", {}, "w"), std::invalid_argument) << pair;
    EXPECT_THROW(store.load_latest(pair, "lstm"), std::invalid_argument) << pair;
  }
  for (const std::string& type :
       std::vector<std::string>{"../x", "LSTM", "", "a-b", "x/y", std::string(33, 'a')}) {
    EXPECT_THROW(store.save("BTC", type, {}, "w"), std::invalid_argument) << type;
    EXPECT_THROW(store.versions("BTC", type), std::invalid_argument) << type;
  }
  EXPECT_THROW(store.save("BTC", "lstm", nlohmann::json::array(), "w"), std::invalid_argument);
  EXPECT_FALSE(fs::exists(dir.path() / "x"));
  EXPECT_TRUE(store.list().empty());
}

TEST(ModelStore, CleanupTempRemovesStraysOnly) {
  test::TempDir dir;
  ModelStore store(dir.path());
  store.save("BTC", "lstm", {}, "w");
  const fs::path type_dir = dir.path() / "models" / "BTC" / "lstm";
  // What an interrupted save leaves: a half-written version folder and a temp file inside one.
  fs::create_directories(type_dir / ("v2.123" + std::string(kTempSuffix)));
  std::ofstream(type_dir / ("v2.123" + std::string(kTempSuffix)) / "weights.pt") << "half";
  std::ofstream(type_dir / "v1" / ("meta.json.77" + std::string(kTempSuffix))) << "{";
  EXPECT_EQ(store.cleanup_temp(), 2u);
  EXPECT_EQ(entries(type_dir), (std::vector<std::string>{"v1"}));
  EXPECT_EQ(entries(type_dir / "v1"), (std::vector<std::string>{"meta.json", "weights.pt"}));
  EXPECT_EQ(store.cleanup_temp(), 0u);
  EXPECT_EQ(store.load_latest("BTC", "lstm")->weights, "w");
  EXPECT_EQ(store.save("BTC", "lstm", {}, "w2"), 2);
}

}  // namespace
}  // namespace tbml
