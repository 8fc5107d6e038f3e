#include "tbml/sim/fault_mode.h"

#include <stdexcept>

namespace tbml {

const std::vector<std::string>& fault_mode_names() {
  static const std::vector<std::string> names{
      "none", "error500",  "truncated_json",       "garbage",    "wrong_types",
      "hang", "slow_drip", "timestamps_backwards", "nan_prices", "drop_pair"};
  return names;
}

std::string to_string(FaultMode mode) { return fault_mode_names().at(static_cast<std::size_t>(mode)); }

FaultMode parse_fault_mode(const std::string& name) {
  const auto& names = fault_mode_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<FaultMode>(i);
  }
  std::string valid;
  for (const auto& n : names) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown fault mode '" + name + "' (valid: " + valid + ")");
}

}  // namespace tbml
