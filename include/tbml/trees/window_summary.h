#pragma once
// The trees' inputs: one fixed-width row summarising a window of feature rows, the same window the
// networks read (`rows` × `width` floats, row-major, oldest first, as Model::predict receives them, after
// the model's normaliser). Only the window is read, so the summary is as causal as the window.
//
// Columns, in this order (W = width):
//   [0, W)            the latest row
//   [W, 2W)           each feature's change over 1 row   (latest - the row 1 back)
//   [2W, 3W)          ... over 5 rows
//   [3W, 4W)          ... over 20 rows
//   [4W, 4W + 2R)     mean and standard deviation over the whole window of the first R = min(4, W)
//                     features (the feature pipeline puts its 1-, 2-, 3- and 5-candle log returns first,
//                     so these are the window's drift and realised volatility at four scales)
// 436 columns for the pipeline's 107 features. A change whose lookback reaches before the window is NaN
// (XGBoost treats it as missing), as is anything computed from a non-finite input; finite input never
// gives NaN or ±inf (values beyond float range are clamped).
#include <cstddef>
#include <string>
#include <vector>

namespace tbml {

inline constexpr std::size_t kSummaryLookbacks[] = {1, 5, 20};
inline constexpr std::size_t kSummaryRollingFeatures = 4;

std::size_t window_summary_width(std::size_t width);

// Column names, e.g. "rsi_14", "rsi_14_chg5", "ret_log_1_mean60", "ret_log_1_std60" (60 = `rows`).
std::vector<std::string> window_summary_names(const std::vector<std::string>& feature_names, std::size_t rows);

// The source feature index of every summary column (window_summary_width(width) entries).
std::vector<std::size_t> window_summary_sources(std::size_t width);

// Writes window_summary_width(width) floats to `out`. Throws std::invalid_argument for rows or width 0
// or null pointers.
void window_summary(const float* window, std::size_t rows, std::size_t width, float* out);

}  // namespace tbml
