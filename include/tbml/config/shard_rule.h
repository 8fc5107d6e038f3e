#pragma once
// Which replica owns which pair (issue #15: scale-out by pair shards). The rule is computed, never
// discovered: owner = FNV-1a 64-bit hash of the upper-case pair name, modulo cluster.replicas. FNV-1a is
// written out here (not std::hash, whose values may change between builds and standard libraries), so
// every replica, the `tbml shards` command and the nginx map it prints agree on every pair.
// docs/scaling.md describes the deployment; the default (1 replica, ordinal 0) owns every pair.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tbml {

// FNV-1a, 64 bit (offset basis 14695981039346656037, prime 1099511628211), of the bytes of `pair`
// upper-cased in ASCII. Pair names are [A-Z0-9], so "btc" and "BTC" hash alike.
std::uint64_t shard_hash(std::string_view pair);

// The ordinal in [0, replicas) of the replica owning `pair`. replicas must be >= 1.
std::size_t shard_owner(std::string_view pair, std::size_t replicas);

// The ordinal a StatefulSet pod name carries: the decimal number after the last '-' ("tbml-2" → 2).
// nullopt when the name does not end in "-<digits>".
std::optional<std::size_t> ordinal_from_hostname(std::string_view hostname);

// This replica's view of the rule: how many replicas there are, which one it is, and where the others
// answer (cluster.peerUrlTemplate with "{ordinal}" replaced, e.g. http://tbml-{ordinal}.tbml:3001).
class ShardRule {
 public:
  ShardRule() = default;  // one replica: owns everything
  ShardRule(std::size_t replicas, std::size_t ordinal, std::string peer_url_template = "");

  std::size_t replicas() const { return replicas_; }
  std::size_t ordinal() const { return ordinal_; }
  bool sharded() const { return replicas_ > 1; }
  bool owns(std::string_view pair) const { return shard_owner(pair, replicas_) == ordinal_; }
  std::size_t owner(std::string_view pair) const { return shard_owner(pair, replicas_); }
  // The peer's base URL without a trailing '/', or "" when no template is configured.
  std::string url_of(std::size_t ordinal) const;
  const std::string& peer_url_template() const { return template_; }

 private:
  std::size_t replicas_ = 1;
  std::size_t ordinal_ = 0;
  std::string template_;
};

}  // namespace tbml
