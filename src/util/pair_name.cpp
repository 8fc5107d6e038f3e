#include "tbml/util/pair_name.h"

#include <cctype>
#include <stdexcept>

namespace tbml {

bool is_valid_pair_name(const std::string& name) {
  if (name.size() < 2 || name.size() > 20) return false;
  for (char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::string normalize_pair_name(const std::string& name) {
  std::string upper = name;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!is_valid_pair_name(upper)) {
    throw std::invalid_argument("invalid pair name '" + name +
                                "': expected 2-20 characters A-Z or 0-9 (e.g. BTC)");
  }
  return upper;
}

}  // namespace tbml
