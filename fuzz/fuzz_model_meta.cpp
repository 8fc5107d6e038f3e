// A model's meta.json found on disk (models/ModelInfo::from_json, TrainingReport inside it): any JSON is
// read into a ModelInfo or refused with std::invalid_argument, never a crash or another exception.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "tbml/models/model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json meta =
      nlohmann::json::parse(reinterpret_cast<const char*>(data), reinterpret_cast<const char*>(data) + size,
                            nullptr, false);
  if (meta.is_discarded()) return 0;
  try {
    const tbml::ModelInfo info = tbml::ModelInfo::from_json(meta);
    (void)info.to_json().dump();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
