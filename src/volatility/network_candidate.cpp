#include "tbml/volatility/network_candidate.h"

#include <mutex>

namespace tbml::volatility {
namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

std::optional<NetworkCandidate>& registry() {
  static std::optional<NetworkCandidate> c;
  return c;
}

}  // namespace

void register_network_candidate(NetworkCandidate candidate) {
  std::lock_guard lock(registry_mutex());
  registry() = std::move(candidate);
}

std::optional<NetworkCandidate> registered_network_candidate() {
  std::lock_guard lock(registry_mutex());
  return registry();
}

}  // namespace tbml::volatility
