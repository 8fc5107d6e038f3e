// Configuration layers (config/): a JSON file merged over the defaults, and `--set key=value` /
// environment overrides. Either a valid Config or ConfigError listing the problems; the merged JSON of a
// file that is not valid JSON is refused before it gets here (as load_config does).
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "tbml/config/config.h"

namespace {

// Like load_config's merge: objects are merged key by key, everything else replaces the default.
void merge(nlohmann::json& into, const nlohmann::json& from) {
  if (!into.is_object() || !from.is_object()) {
    into = from;
    return;
  }
  for (auto it = from.begin(); it != from.end(); ++it) merge(into[it.key()], it.value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // Layer 1: the text as a configuration file.
  const nlohmann::json file = nlohmann::json::parse(text, nullptr, false);
  if (!file.is_discarded()) {
    nlohmann::json doc = tbml::builtin_defaults();
    merge(doc, file);
    try {
      tbml::config_from_json(doc);
    } catch (const tbml::ConfigError&) {
    }
  }
  // Layer 2: the text as `key=value` overrides, one per line.
  nlohmann::json doc = tbml::builtin_defaults();
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(begin, end - begin);
    const std::size_t eq = line.find('=');
    if (eq != std::string::npos) {
      try {
        tbml::apply_override(doc, line.substr(0, eq), line.substr(eq + 1), "fuzz");
      } catch (const tbml::ConfigError&) {
      }
    }
    begin = end + 1;
  }
  try {
    tbml::config_from_json(doc);
  } catch (const tbml::ConfigError&) {
  }
  return 0;
}
