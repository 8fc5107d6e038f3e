#include "train_support.h"

#include <algorithm>
#include <string>

#include "tbml/features/feature_pipeline.h"
#include "tbml/training/metrics.h"

namespace tbml::training {

std::vector<std::uint8_t> labels_of(const std::vector<Window>& windows) {
  std::vector<std::uint8_t> y(windows.size());
  for (std::size_t i = 0; i < windows.size(); ++i) y[i] = windows[i].label;
  return y;
}

std::vector<std::uint8_t> training_rows(const Dataset& ds, std::size_t n_rows) {
  std::vector<int> delta(n_rows + 1, 0);
  for (const Window& w : ds.train) {
    ++delta[ds.first_row(w)];
    --delta[w.last + 1];
  }
  std::vector<std::uint8_t> use(n_rows, 0);
  int running = 0;
  for (std::size_t r = 0; r < n_rows; ++r) {
    running += delta[r];
    use[r] = running > 0 ? 1 : 0;
  }
  return use;
}

void resolve_feature_names(const Series& series, const TrainOptions& options, ModelInfo& info) {
  if (!options.feature_names.empty()) {
    if (options.feature_names.size() != series.width)
      throw std::invalid_argument(std::to_string(options.feature_names.size()) + " feature names given for " +
                                  std::to_string(series.width) + " feature columns");
    info.feature_names = options.feature_names;
    info.feature_version = options.feature_version;
    return;
  }
  if (series.width != FeaturePipeline::width())
    throw std::invalid_argument("series has " + std::to_string(series.width) +
                                " feature columns, not the pipeline's " + std::to_string(FeaturePipeline::width()) +
                                "; pass feature_names");
  info.feature_names = FeaturePipeline::names();
  info.feature_version = options.feature_version.empty() ? FeaturePipeline::version() : options.feature_version;
}

void score_incumbent(const Model& incumbent, const Series& series, const ModelInfo& info,
                     const std::vector<Window>& test, TrainResult& result) {
  const ModelInfo& old = incumbent.info();
  if (old.feature_names != info.feature_names) {
    result.incumbent_note = "incumbent uses different features";
    return;
  }
  if (old.horizon != info.horizon) {
    result.incumbent_note = "incumbent predicts a different horizon";
    return;
  }
  const std::size_t steps = old.sequence_length;
  const std::size_t width = series.width;
  std::vector<double> p;
  std::vector<std::uint8_t> y;
  std::vector<float> buffer;
  for (std::size_t start = 0; start < test.size(); start += kEvalChunk) {
    const std::size_t end = std::min(test.size(), start + kEvalChunk);
    buffer.clear();
    for (std::size_t i = start; i < end; ++i) {
      // A longer incumbent window must also fit before the window's start and not cross a gap.
      const Window& w = test[i];
      if (w.last + 1 < steps) continue;
      const std::size_t first = w.last + 1 - steps;
      bool gap = false;
      for (std::size_t r = first + 1; r <= w.last && !gap && !series.gap_before.empty(); ++r)
        gap = series.gap_before[r] != 0;
      if (gap) continue;
      buffer.insert(buffer.end(), series.row(first), series.row(w.last + 1));
      y.push_back(w.label);
    }
    auto chunk = incumbent.predict(buffer.data(), buffer.size() / (steps * width));
    p.insert(p.end(), chunk.begin(), chunk.end());
  }
  if (y.empty()) {
    result.incumbent_note = "no test window fits the incumbent's sequence length";
    return;
  }
  result.incumbent_test = split_metrics(p, y);
}

DatasetOptions dataset_options(const TrainOptions& options) {
  DatasetOptions dso;
  dso.sequence_length = options.sequence_length;
  dso.horizon = options.horizon;
  dso.train_fraction = options.train_fraction;
  dso.validation_fraction = options.validation_fraction;
  dso.max_windows = options.max_windows;
  return dso;
}

}  // namespace tbml::training
