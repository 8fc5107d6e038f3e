#pragma once
// The storage stage's named logger ("storage"), created from the default logger on first use so its
// sinks and level follow whatever the service configured.
#include <spdlog/spdlog.h>

#include <memory>

namespace tbml {

inline std::shared_ptr<spdlog::logger> storage_log() {
  if (auto existing = spdlog::get("storage")) return existing;
  auto created = spdlog::default_logger()->clone("storage");
  try {
    spdlog::register_logger(created);
  } catch (const spdlog::spdlog_ex&) {
    return spdlog::get("storage");  // another thread registered it first
  }
  return created;
}

}  // namespace tbml
