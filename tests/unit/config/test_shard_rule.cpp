// The pair → replica rule of config/shard_rule.h: stable values (another build, another machine and the
// nginx map printed by `tbml shards` must agree), one owner per pair, and what a change of the replica
// count does.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "tbml/config/config.h"
#include "tbml/config/shard_rule.h"

using namespace tbml;

namespace {

// Names of the kind core serves, plus edge lengths of the pair pattern (2 and 20 characters).
std::vector<std::string> sample_pairs() {
  std::vector<std::string> out = {"BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "DOT", "LTC", "AB", "A1B2C3D4E5F6G7H8I9J0"};
  for (int i = 0; i < 200; ++i) out.push_back("P" + std::to_string(i));
  return out;
}

}  // namespace

TEST(ShardRule, HashIsFnv1a64OfTheUpperCaseName) {
  // The FNV-1a 64 offset basis for the empty string, and values computed by an independent (Python)
  // implementation: h = 14695981039346656037; for byte b: h = ((h ^ b) * 1099511628211) mod 2^64.
  EXPECT_EQ(shard_hash(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(shard_hash("A"), 0xaf63fc4c860222ecULL);
  EXPECT_EQ(shard_hash("BTC"), 0x16014d19b0baafa0ULL);
  EXPECT_EQ(shard_hash("ETH"), 0xd97a1b198e79c9bcULL);
  EXPECT_EQ(shard_hash("SOL"), 0x97eba319fa4eeae1ULL);
  EXPECT_EQ(shard_hash("ADA"), 0xfa1b0019a06219dbULL);
  EXPECT_EQ(shard_hash("btc"), shard_hash("BTC"));
  EXPECT_EQ(shard_hash("Sol"), shard_hash("SOL"));
}

TEST(ShardRule, KnownOwners) {
  // Written down so that a change of the rule (which would move pairs between volumes) fails here.
  EXPECT_EQ(shard_owner("BTC", 2), 0u);
  EXPECT_EQ(shard_owner("ETH", 2), 0u);
  EXPECT_EQ(shard_owner("SOL", 2), 1u);
  EXPECT_EQ(shard_owner("ETH", 3), 2u);
  EXPECT_EQ(shard_owner("XRP", 3), 1u);
  EXPECT_EQ(shard_owner("ADA", 4), 3u);
  EXPECT_EQ(shard_owner("LTC", 4), 2u);
}

TEST(ShardRule, OneReplicaOwnsEverything) {
  const ShardRule single;
  EXPECT_FALSE(single.sharded());
  for (const auto& p : sample_pairs()) EXPECT_TRUE(single.owns(p)) << p;
}

TEST(ShardRule, EveryPairHasExactlyOneOwner) {
  for (std::size_t n = 1; n <= 8; ++n) {
    std::vector<ShardRule> replicas;
    for (std::size_t i = 0; i < n; ++i) replicas.emplace_back(n, i);
    std::vector<std::size_t> load(n, 0);
    for (const auto& p : sample_pairs()) {
      std::size_t owners = 0;
      for (const auto& r : replicas) {
        if (!r.owns(p)) continue;
        ++owners;
        EXPECT_EQ(r.owner(p), r.ordinal());
        ++load[r.ordinal()];
      }
      EXPECT_EQ(owners, 1u) << p << " with " << n << " replicas";
    }
    // 210 names: no replica is left without pairs (a sanity check of the spread, not a statistical test).
    for (std::size_t i = 0; i < n; ++i) EXPECT_GT(load[i], 0u) << "replica " << i << " of " << n;
  }
}

TEST(ShardRule, ChangingTheReplicaCount) {
  // Modulo: doubling the count moves a pair of replica r only to r + n (h mod 2n mod n = h mod n), so
  // each old replica's volume hands pairs to exactly one new one. Other changes move most pairs.
  std::size_t moved_2_to_3 = 0;
  for (const auto& p : sample_pairs()) {
    for (std::size_t n = 1; n <= 4; ++n) {
      const std::size_t before = shard_owner(p, n);
      const std::size_t after = shard_owner(p, 2 * n);
      EXPECT_TRUE(after == before || after == before + n) << p << " " << n;
    }
    if (shard_owner(p, 2) != shard_owner(p, 3)) ++moved_2_to_3;
  }
  EXPECT_GT(moved_2_to_3, sample_pairs().size() / 3);  // the honest cost documented in docs/scaling.md
}

TEST(ShardRule, OrdinalFromHostname) {
  EXPECT_EQ(ordinal_from_hostname("tbml-0").value_or(99), 0u);
  EXPECT_EQ(ordinal_from_hostname("tbml-2").value_or(99), 2u);
  EXPECT_EQ(ordinal_from_hostname("my-tbml-set-17").value_or(99), 17u);
  EXPECT_FALSE(ordinal_from_hostname("tbml").has_value());
  EXPECT_FALSE(ordinal_from_hostname("tbml-").has_value());
  EXPECT_FALSE(ordinal_from_hostname("tbml-2a").has_value());
  EXPECT_FALSE(ordinal_from_hostname("").has_value());
}

TEST(ShardRule, PeerUrls) {
  const ShardRule r(3, 1, "http://tbml-{ordinal}.tbml:3001/");
  EXPECT_EQ(r.url_of(0), "http://tbml-0.tbml:3001");
  EXPECT_EQ(r.url_of(2), "http://tbml-2.tbml:3001");
  EXPECT_EQ(ShardRule(3, 1).url_of(2), "");
  EXPECT_THROW(ShardRule(0, 0), std::invalid_argument);
  EXPECT_THROW(ShardRule(2, 2), std::invalid_argument);
}

TEST(ShardRule, ClusterConfigKeys) {
  ConfigSources s;
  s.defaults_file = TBML_CONFIG_FILE;
  Config c = load_config(s);
  EXPECT_EQ(c.cluster.replicas, 1u);
  EXPECT_EQ(c.cluster.ordinal, 0u);
  s.env = {{"ML_CLUSTER_REPLICAS", "3"}, {"ML_CLUSTER_ORDINAL", "2"},
           {"ML_CLUSTER_PEER_URL_TEMPLATE", "http://tbml-{ordinal}.tbml:3001"}};
  c = load_config(s);
  EXPECT_EQ(c.cluster.replicas, 3u);
  EXPECT_EQ(c.cluster.ordinal, 2u);
  EXPECT_EQ(c.cluster.peer_url_template, "http://tbml-{ordinal}.tbml:3001");
  s.env = {{"ML_CLUSTER_REPLICAS", "2"}, {"ML_CLUSTER_ORDINAL", "2"}};
  EXPECT_THROW(load_config(s), ConfigError);
  s.env = {{"ML_CLUSTER_PEER_URL_TEMPLATE", "http://tbml:3001"}};  // no {ordinal}
  EXPECT_THROW(load_config(s), ConfigError);
  s.env = {{"ML_CLUSTER_ORDINAL", "two"}};
  EXPECT_THROW(load_config(s), ConfigError);
  // "auto" takes the number at the end of the host name; this test host may or may not have one.
  s.env = {{"ML_CLUSTER_ORDINAL", "auto"}, {"ML_CLUSTER_REPLICAS", "1024"}};
  try {
    c = load_config(s);
    EXPECT_LT(c.cluster.ordinal, 1024u);
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("cluster.ordinal"), std::string::npos) << e.what();
  }
}
