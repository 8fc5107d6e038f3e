#pragma once
// Pair names as core spells them: bare upper-case base symbols such as BTC or 1000SHIB.
#include <string>

namespace tbml {

// True when `name` matches ^[A-Z0-9]{2,20}$ exactly (no case folding).
bool is_valid_pair_name(const std::string& name);

// Upper-cases `name` and validates it; throws std::invalid_argument naming the bad value.
std::string normalize_pair_name(const std::string& name);

}  // namespace tbml
