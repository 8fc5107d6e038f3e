#include "tbml/training/dataset.h"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace tbml {

void DatasetOptions::validate() const {
  if (sequence_length == 0) throw std::invalid_argument("sequence_length must be positive");
  if (horizon == 0) throw std::invalid_argument("horizon must be positive");
  if (!(train_fraction > 0.0 && train_fraction < 1.0))
    throw std::invalid_argument("train_fraction must be in (0, 1)");
  if (!(validation_fraction > 0.0 && validation_fraction < 1.0))
    throw std::invalid_argument("validation_fraction must be in (0, 1)");
  if (!(train_fraction + validation_fraction < 1.0))
    throw std::invalid_argument("train_fraction + validation_fraction must leave room for a test part");
}

std::vector<Window> eligible_windows(const Series& series, std::size_t sequence_length, std::size_t horizon) {
  const std::size_t n = series.size();
  if (!series.gap_before.empty() && series.gap_before.size() != n)
    throw std::invalid_argument("series gap_before has " + std::to_string(series.gap_before.size()) +
                                " flags for " + std::to_string(n) + " candles");
  if (series.features.size() != n * series.width)
    throw std::invalid_argument("series features hold " + std::to_string(series.features.size()) +
                                " floats, expected candles x width = " + std::to_string(n * series.width));
  std::vector<Window> windows;
  if (sequence_length == 0 || horizon == 0 || n < sequence_length + horizon) return windows;

  // gaps_upto[i] = number of gap flags in rows 1..i, so "no gap in (first, end]" is one subtraction.
  std::vector<std::size_t> gaps_upto(n, 0);
  for (std::size_t i = 1; i < n; ++i)
    gaps_upto[i] = gaps_upto[i - 1] + (!series.gap_before.empty() && series.gap_before[i] ? 1 : 0);

  windows.reserve(n - sequence_length - horizon + 1);
  for (std::size_t last = sequence_length - 1; last + horizon < n; ++last) {
    const std::size_t first = last + 1 - sequence_length;
    const std::size_t end = last + horizon;
    if (gaps_upto[end] != gaps_upto[first]) continue;
    const double now = series.candles[last].close;
    const double later = series.candles[end].close;
    if (!std::isfinite(now) || !std::isfinite(later)) continue;
    windows.push_back(Window{last, static_cast<std::uint8_t>(later > now ? 1 : 0)});
  }
  return windows;
}

Dataset make_dataset(const Series& series, const DatasetOptions& options) {
  options.validate();
  std::vector<Window> all = eligible_windows(series, options.sequence_length, options.horizon);
  if (options.max_windows > 0 && all.size() > options.max_windows)
    all.erase(all.begin(), all.end() - static_cast<std::ptrdiff_t>(options.max_windows));

  // Two embargoes of `horizon` windows: the last training label reads close[last + horizon], which must
  // lie before the first validation window's "now" (and likewise between validation and test).
  const std::size_t embargo = options.horizon;
  const std::size_t usable = all.size() > 2 * embargo ? all.size() - 2 * embargo : 0;
  const auto n_train = static_cast<std::size_t>(std::floor(usable * options.train_fraction));
  const auto n_val = static_cast<std::size_t>(std::floor(usable * options.validation_fraction));
  const std::size_t n_test = usable - n_train - n_val;  // fractions sum below 1, so no underflow
  if (n_train == 0 || n_val == 0 || n_test == 0)
    throw std::invalid_argument("not enough data: " + std::to_string(all.size()) +
                                " gap-free windows of " + std::to_string(options.sequence_length) +
                                " rows (horizon " + std::to_string(options.horizon) +
                                ") cannot fill train, validation and test parts");

  Dataset ds;
  ds.sequence_length = options.sequence_length;
  ds.horizon = options.horizon;
  auto it = all.begin();
  ds.train.assign(it, it + n_train);
  it += n_train + embargo;
  ds.validation.assign(it, it + n_val);
  it += n_val + embargo;
  ds.test.assign(it, all.end());
  ds.data_from = series.candles[ds.first_row(ds.train.front())].timestamp;
  ds.data_to = series.candles[ds.test.back().last + ds.horizon].timestamp;
  return ds;
}

void copy_window(const float* rows, std::size_t width, std::size_t last, std::size_t sequence_length,
                 float* out) {
  const std::size_t first = last + 1 - sequence_length;
  std::memcpy(out, rows + first * width, sizeof(float) * sequence_length * width);
}

}  // namespace tbml
