#pragma once
// Named spdlog loggers per component ("poller", "api", "training", ...), all writing to one stderr sink.
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace tbml {

// Sets the level of every logger, existing and future ("trace" ... "off").
void set_log_level(const std::string& level);
std::shared_ptr<spdlog::logger> get_logger(const std::string& name);

}  // namespace tbml
