#include "tbml/trees/window_summary.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace tbml {
namespace {

constexpr std::size_t kLookbacks = sizeof(kSummaryLookbacks) / sizeof(kSummaryLookbacks[0]);
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::size_t rolling(std::size_t width) { return std::min(kSummaryRollingFeatures, width); }

// A finite double as a finite float (clamped to float's range); NaN stays NaN.
float to_float(double v) {
  if (std::isnan(v)) return kNaN;
  constexpr double kMax = std::numeric_limits<float>::max();
  return static_cast<float>(std::clamp(v, -kMax, kMax));
}

}  // namespace

std::size_t window_summary_width(std::size_t width) { return width * (1 + kLookbacks) + 2 * rolling(width); }

std::vector<std::string> window_summary_names(const std::vector<std::string>& feature_names, std::size_t rows) {
  const std::size_t w = feature_names.size();
  std::vector<std::string> out;
  out.reserve(window_summary_width(w));
  out.insert(out.end(), feature_names.begin(), feature_names.end());
  for (std::size_t k : kSummaryLookbacks)
    for (const auto& name : feature_names) out.push_back(name + "_chg" + std::to_string(k));
  for (std::size_t f = 0; f < rolling(w); ++f) {
    out.push_back(feature_names[f] + "_mean" + std::to_string(rows));
    out.push_back(feature_names[f] + "_std" + std::to_string(rows));
  }
  return out;
}

std::vector<std::size_t> window_summary_sources(std::size_t width) {
  std::vector<std::size_t> out;
  out.reserve(window_summary_width(width));
  for (std::size_t block = 0; block < 1 + kLookbacks; ++block)
    for (std::size_t f = 0; f < width; ++f) out.push_back(f);
  for (std::size_t f = 0; f < rolling(width); ++f) {
    out.push_back(f);
    out.push_back(f);
  }
  return out;
}

void window_summary(const float* window, std::size_t rows, std::size_t width, float* out) {
  if (window == nullptr || out == nullptr) throw std::invalid_argument("window_summary: null pointer");
  if (rows == 0 || width == 0) throw std::invalid_argument("window_summary: empty window");
  const float* latest = window + (rows - 1) * width;
  for (std::size_t f = 0; f < width; ++f) out[f] = std::isfinite(latest[f]) ? latest[f] : kNaN;
  float* dst = out + width;
  for (std::size_t k : kSummaryLookbacks) {
    if (k >= rows) {
      std::fill(dst, dst + width, kNaN);
    } else {
      const float* back = window + (rows - 1 - k) * width;
      for (std::size_t f = 0; f < width; ++f) {
        const double now = latest[f], then = back[f];
        dst[f] = std::isfinite(now) && std::isfinite(then) ? to_float(now - then) : kNaN;
      }
    }
    dst += width;
  }
  // Two passes in double over the finite values: mean, then the population standard deviation.
  for (std::size_t f = 0; f < rolling(width); ++f) {
    double sum = 0.0;
    std::size_t n = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      const double v = window[r * width + f];
      if (std::isfinite(v)) {
        sum += v;
        ++n;
      }
    }
    if (n == 0) {
      *dst++ = kNaN;
      *dst++ = kNaN;
      continue;
    }
    const double mean = sum / static_cast<double>(n);
    double ss = 0.0;
    for (std::size_t r = 0; r < rows; ++r) {
      const double v = window[r * width + f];
      if (std::isfinite(v)) ss += (v - mean) * (v - mean);
    }
    // (v - mean)² can overflow double only beyond ~1e154; float inputs stay far below.
    *dst++ = to_float(mean);
    *dst++ = to_float(std::sqrt(ss / static_cast<double>(n)));
  }
}

}  // namespace tbml
