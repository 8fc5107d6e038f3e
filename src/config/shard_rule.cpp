#include "tbml/config/shard_rule.h"

#include <stdexcept>

namespace tbml {

std::uint64_t shard_hash(std::string_view pair) {
  std::uint64_t h = 14695981039346656037ULL;
  for (char c : pair) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

std::size_t shard_owner(std::string_view pair, std::size_t replicas) {
  if (replicas == 0) throw std::invalid_argument("shard_owner: replicas must be >= 1");
  return static_cast<std::size_t>(shard_hash(pair) % replicas);
}

std::optional<std::size_t> ordinal_from_hostname(std::string_view hostname) {
  const auto dash = hostname.rfind('-');
  if (dash == std::string_view::npos || dash + 1 >= hostname.size()) return std::nullopt;
  const std::string_view digits = hostname.substr(dash + 1);
  if (digits.size() > 6) return std::nullopt;
  std::size_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n;
}

ShardRule::ShardRule(std::size_t replicas, std::size_t ordinal, std::string peer_url_template)
    : replicas_(replicas), ordinal_(ordinal), template_(std::move(peer_url_template)) {
  if (replicas_ == 0) throw std::invalid_argument("cluster.replicas must be >= 1");
  if (ordinal_ >= replicas_)
    throw std::invalid_argument("cluster.ordinal " + std::to_string(ordinal_) + " is not below cluster.replicas " +
                                std::to_string(replicas_));
}

std::string ShardRule::url_of(std::size_t ordinal) const {
  if (template_.empty()) return "";
  std::string url = template_;
  const std::string key = "{ordinal}";
  for (auto at = url.find(key); at != std::string::npos; at = url.find(key, at))
    url.replace(at, key.size(), std::to_string(ordinal));
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace tbml
