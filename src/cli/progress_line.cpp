#include "cli/progress_line.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace tbml::cli {

std::string progress_bar(int done, int total, int width) {
  const int filled = total > 0 ? std::clamp(done * width / total, 0, width) : width;
  return "[" + std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(width - filled), '.') + "]";
}

std::string eta_text(double elapsed_seconds, int done, int total) {
  if (done <= 0 || total <= done || !std::isfinite(elapsed_seconds)) return "";
  const auto left = static_cast<long long>(std::lround(elapsed_seconds * (total - done) / done));
  return left >= 60 ? fmt::format("ETA {}m{:02}s", left / 60, left % 60) : fmt::format("ETA {}s", left);
}

void ProgressLine::show(const std::string& text, int done, int total) {
  if (!terminal_) {
    out_ << text << std::endl;
    return;
  }
  out_ << "\r" << (total > 0 ? progress_bar(done, total) + " " : "") << text << "\033[K" << std::flush;
  drawn_ = true;
}

void ProgressLine::print(const std::string& text) {
  end();
  out_ << text << std::endl;
}

void ProgressLine::end() {
  if (drawn_) out_ << "\n" << std::flush;
  drawn_ = false;
}

}  // namespace tbml::cli
