#pragma once
// Pair names as core spells them: bare upper-case base symbols such as BTC or 1000SHIB. The one rule:
// config, the poller, the model store and the HTTP layer all check names here (util: below all of them).
#include <string>

namespace tbml {

inline constexpr const char* kPairNamePattern = "^[A-Z0-9]{2,20}$";  // for messages

// True when `name` matches ^[A-Z0-9]{2,20}$ exactly (no case folding).
bool is_valid_pair_name(const std::string& name);

// Upper-cases `name` and validates it; throws std::invalid_argument naming the bad value.
std::string normalize_pair_name(const std::string& name);

}  // namespace tbml
