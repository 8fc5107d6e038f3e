#include "fault_injection.h"

#include <algorithm>
#include <limits>

namespace tbml::sim_detail {
namespace {

const char* const kHistoryArrays[] = {"closes", "highs", "lows", "prices", "volumes", "timestamps"};

bool all_strings(const nlohmann::json& array) {
  return !array.empty() &&
         std::all_of(array.begin(), array.end(), [](const nlohmann::json& v) { return v.is_string(); });
}

}  // namespace

void reverse_history(nlohmann::json& history) {
  for (const char* key : kHistoryArrays) {
    auto it = history.find(key);
    if (it != history.end() && it->is_array()) std::reverse(it->begin(), it->end());
  }
}

void inject_nan_prices(nlohmann::json& history) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const char* key : {"closes", "prices", "highs", "lows"}) {
    auto it = history.find(key);
    if (it == history.end() || !it->is_array() || it->empty()) continue;
    // The newest point (what a consumer reads first) and one in the middle of the window.
    it->back() = nan;
    (*it)[it->size() / 2] = nan;
  }
}

nlohmann::json break_types(const nlohmann::json& value) {
  if (value.is_number() || value.is_boolean()) return value.dump();
  if (value.is_array()) {
    if (all_strings(value)) {
      std::string joined;
      for (const auto& v : value) joined += (joined.empty() ? "" : ",") + v.get<std::string>();
      return joined;
    }
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : value) out.push_back(break_types(v));
    return out;
  }
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = value.begin(); it != value.end(); ++it) out[it.key()] = break_types(it.value());
    return out;
  }
  return value;
}

std::string truncate_body(const std::string& body) { return body.substr(0, body.size() / 2); }

std::string garbage_body() {
  return "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
         "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
}

}  // namespace tbml::sim_detail
