// Two real replicas of a sharded deployment over loopback (cluster.replicas=2): each answers for its own
// pairs (200 or 503), answers 421 in the contract's error shape naming the owner for the other's, still
// ingests the reference pair it does not own, and GET /api/predictions on either merges both shards,
// marking a peer that does not answer. Answers are checked against docs/openapi.yaml.
//
// Replica k listens on 127.0.k.1 (all of 127/8 is loopback on Linux) at the same port, so that one
// cluster.peerUrlTemplate, http://127.0.{ordinal}.1:<port>, addresses both, as tbml-{ordinal}.tbml does
// in a StatefulSet.
#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "service_fixture.h"
#include "support/openapi_schema.h"
#include "tbml/config/shard_rule.h"

using namespace tbml::testing;

namespace {

std::string host_of(int ordinal) { return "127.0." + std::to_string(ordinal) + ".1"; }

class Replica {
 public:
  Replica(int ordinal, int port) : ordinal_(ordinal), port_(port), storage_(make_temp_dir("tbml-shard")) {
    const std::string tmpl = "http://127.0.{ordinal}.1:" + std::to_string(port);
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{TBML_BINARY, "serve", "--demo", "--port", std::to_string(port), "--storage-dir",
                                 storage_, "--set", "server.host=" + host_of(ordinal), "--set", kSingleHorizon,
                                 "--set", "demo.pairs=BTC,ETH,SOL", "--set", "demo.initial=500", "--set",
                                 "training.autoTrain=false", "--set", "cluster.replicas=2", "--set",
                                 "cluster.ordinal=" + std::to_string(ordinal), "--set",
                                 "cluster.peerUrlTemplate=" + tmpl, "--set", "cluster.fanoutTimeoutMs=1000"},
        std::map<std::string, std::string>{}, storage_ + "/service.log");
  }
  JsonReply get(const std::string& path) const { return request_at(host_of(ordinal_), port_, "GET", path); }
  JsonReply post(const std::string& path) const { return request_at(host_of(ordinal_), port_, "POST", path); }
  bool wait_healthy() const {
    return wait_until([this] { return get("/api/health").status == 200; }, std::chrono::seconds(30));
  }
  std::string url() const { return "http://" + host_of(ordinal_) + ":" + std::to_string(port_); }
  int stop() { return process_->stop(); }
  std::string log() const { return process_->log(); }

 private:
  int ordinal_;
  int port_;
  std::string storage_;
  std::unique_ptr<ChildProcess> process_;
};

// The replica's health lists the pair with candles ingested.
bool has_candles(const Replica& replica, const std::string& pair) {
  const JsonReply h = replica.get("/api/health");
  if (!h.body.is_object() || !h.body.contains("pairs") || !h.body["pairs"].contains(pair)) return false;
  const auto& points = h.body["pairs"][pair]["dataPoints"];
  return points.is_number() && points.get<double>() > 0;
}

}  // namespace

TEST(Shards, EachReplicaServesItsPairsAndRedirectsTheOthers) {
  // The rule (FNV-1a 64 mod 2): BTC and ETH on replica 0, SOL on replica 1 (unit-tested in test_shard_rule).
  ASSERT_EQ(tbml::shard_owner("BTC", 2), 0u);
  ASSERT_EQ(tbml::shard_owner("ETH", 2), 0u);
  ASSERT_EQ(tbml::shard_owner("SOL", 2), 1u);
  const OpenApi api = OpenApi::load(std::string(TBML_SOURCE_DIR) + "/docs/openapi.yaml");
  auto documented = [&api](const std::string& method, const std::string& path, const JsonReply& r) {
    for (const auto& problem : api.check_response(method, path, r.status, r.content_type, r.body))
      ADD_FAILURE() << method << " " << path << " -> " << r.status << ": " << problem << "\n" << r.raw.substr(0, 1500);
  };

  const int port = free_port();
  Replica zero(0, port);
  Replica one(1, port);
  ASSERT_TRUE(zero.wait_healthy()) << zero.log();
  ASSERT_TRUE(one.wait_healthy()) << one.log();

  // Own pairs: 200 or 503 (no model trained: autoTrain is off), never 421.
  const std::vector<std::pair<const Replica*, std::string>> own = {{&zero, "ETH"}, {&zero, "BTC"}, {&one, "SOL"}};
  for (const auto& [replica, pair] : own) {
    const JsonReply r = replica->get("/api/predictions/" + pair);
    EXPECT_TRUE(r.status == 200 || r.status == 503) << pair << " " << r.status << " " << r.raw;
    documented("GET", "/api/predictions/{pair}", r);
    const JsonReply status = replica->get("/api/models/" + pair + "/status");
    EXPECT_EQ(status.status, 200) << pair << " " << status.raw;
  }

  // Another replica's pair: 421 naming the owner, on every :pair route, in any letter case.
  const JsonReply sol = zero.get("/api/predictions/sol");
  ASSERT_EQ(sol.status, 421) << sol.raw;
  EXPECT_TRUE(is_contract_error(sol)) << sol.raw;
  EXPECT_EQ(sol.body["pair"], "SOL");
  EXPECT_EQ(sol.body["ownerOrdinal"], 1);
  EXPECT_EQ(sol.body["ordinal"], 0);
  EXPECT_EQ(sol.body["ownerUrl"], one.url());
  documented("GET", "/api/predictions/{pair}", sol);
  const JsonReply btc = one.get("/api/models/BTC/status");
  ASSERT_EQ(btc.status, 421) << btc.raw;
  EXPECT_EQ(btc.body["ownerOrdinal"], 0);
  EXPECT_EQ(btc.body["ownerUrl"], zero.url());
  documented("GET", "/api/models/{pair}/status", btc);
  const JsonReply train = one.post("/api/train/ETH/xgboost");
  EXPECT_EQ(train.status, 421) << train.raw;
  documented("POST", "/api/train/{pair}/{modelType}", train);
  EXPECT_EQ(one.get("/api/features/ETH").status, 421);
  EXPECT_EQ(one.get("/api/predictions/BTC/history").status, 421);
  // An invalid name is still the 400 of the pair rule, before any shard question.
  EXPECT_EQ(one.get("/api/predictions/b!c").status, 400);

  // Replica 1 does not serve BTC but ingests it: SOL's cross-pair features read its candles.
  ASSERT_TRUE(wait_until([&] { return has_candles(one, "BTC") && has_candles(one, "SOL"); }, std::chrono::seconds(20)))
      << one.log();
  const JsonReply health = one.get("/api/health");
  documented("GET", "/api/health", health);
  EXPECT_EQ(health.body["pairs"]["BTC"]["served"], false);
  EXPECT_EQ(health.body["pairs"]["SOL"]["served"], true);
  EXPECT_FALSE(health.body["pairs"].contains("ETH")) << "replica 1 polled a pair it neither owns nor references";
  EXPECT_EQ(health.body["cluster"]["replicas"], 2);
  EXPECT_EQ(health.body["cluster"]["ordinal"], 1);

  // All pairs from either replica: its own plus the peer's, each pair once, both shards answered.
  ASSERT_TRUE(wait_until([&] { return has_candles(zero, "BTC") && has_candles(zero, "ETH"); }, std::chrono::seconds(20)))
      << zero.log();
  for (const Replica* entry : {&zero, &one}) {
    const JsonReply all = entry->get("/api/predictions");
    ASSERT_EQ(all.status, 200) << all.raw;
    documented("GET", "/api/predictions", all);
    std::set<std::string> pairs;
    for (const char* part : {"predictions", "unavailable"})
      for (auto it = all.body[part].begin(); it != all.body[part].end(); ++it)
        EXPECT_TRUE(pairs.insert(it.key()).second) << it.key() << " twice";
    EXPECT_EQ(pairs, (std::set<std::string>{"BTC", "ETH", "SOL"})) << all.raw;
    EXPECT_EQ(all.body["shards"]["answered"].size(), 2u) << all.raw;
    EXPECT_TRUE(all.body["shards"]["missing"].empty()) << all.raw;
  }
  const JsonReply local = one.get("/api/predictions?local=true");
  ASSERT_EQ(local.status, 200) << local.raw;
  EXPECT_EQ(local.body["unavailable"].size() + local.body["predictions"].size(), 1u) << local.raw;
  EXPECT_FALSE(local.body["shards"].contains("missing"));

  // A peer down: its pairs are missing and the answer says which replica did not answer.
  EXPECT_EQ(one.stop(), 0) << one.log();
  const JsonReply partial = zero.get("/api/predictions");
  ASSERT_EQ(partial.status, 200) << partial.raw;
  documented("GET", "/api/predictions", partial);
  ASSERT_EQ(partial.body["shards"]["missing"].size(), 1u) << partial.raw;
  EXPECT_EQ(partial.body["shards"]["missing"][0]["ordinal"], 1);
  EXPECT_EQ(partial.body["shards"]["missing"][0]["url"], one.url());
  EXPECT_FALSE(partial.body["unavailable"].contains("SOL"));
  EXPECT_LT(partial.body["responseTime"].get<double>(), 3000.0);
  EXPECT_EQ(zero.stop(), 0) << zero.log();
}
