#pragma once
// Supervised windows over a Series, kept as row indices (a window is `sequence_length` consecutive feature
// rows ending at `last`; its label says whether close[last + horizon] > close[last]). Windows never span a
// gap. The split into train / validation / test is chronological by label time with an embargo of
// `horizon` windows between parts, so no training label is computed from prices a later part predicts.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tbml/market/series.h"

namespace tbml {

struct DatasetOptions {
  std::size_t sequence_length = 60;
  std::size_t horizon = 5;
  double train_fraction = 0.70;
  double validation_fraction = 0.15;  // the test part gets the rest
  std::size_t max_windows = 0;        // 0 = no cap; otherwise keep the most recent windows

  void validate() const;  // throws std::invalid_argument naming the bad field
};

struct Window {
  std::size_t last = 0;    // index of the window's last row (the "now" of the prediction)
  std::uint8_t label = 0;  // 1 when the close rises over the horizon
};

struct Dataset {
  std::size_t sequence_length = 0;
  std::size_t horizon = 0;
  std::vector<Window> train, validation, test;
  std::int64_t data_from = 0;  // timestamp of the first row any window reads
  std::int64_t data_to = 0;    // timestamp of the last candle any label reads

  std::size_t first_row(const Window& w) const { return w.last + 1 - sequence_length; }
};

// Every window of the series whose rows and label lie in one gap-free stretch, oldest first.
std::vector<Window> eligible_windows(const Series& series, std::size_t sequence_length, std::size_t horizon);

// Throws std::invalid_argument when the options are bad or the series is too short for three
// non-empty parts.
Dataset make_dataset(const Series& series, const DatasetOptions& options);

// Copies the window ending at `last` (sequence_length rows of `width` floats from `rows`) to `out`.
void copy_window(const float* rows, std::size_t width, std::size_t last, std::size_t sequence_length,
                 float* out);

}  // namespace tbml
