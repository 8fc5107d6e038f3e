#include "tree_model.h"

#include <algorithm>
#include <stdexcept>

#include "tbml/trees/window_summary.h"

namespace tbml::training {
namespace {
constexpr std::size_t kInferenceChunk = 256;  // windows summarised per booster call
}

TreeModel::TreeModel(ModelInfo info, Normaliser normaliser, nlohmann::json architecture, BoostedTrees trees,
                     PlattCalibrator calibrator)
    : info_(std::move(info)), normaliser_(std::move(normaliser)), architecture_(std::move(architecture)),
      trees_(std::move(trees)), calibrator_(calibrator) {
  const std::size_t width = info_.feature_names.size();
  if (width == 0) throw std::invalid_argument("tree model needs feature names");
  if (normaliser_.width() != width)
    throw std::invalid_argument("normaliser width " + std::to_string(normaliser_.width()) + " differs from " +
                                std::to_string(width) + " feature names");
  if (trees_.width() != window_summary_width(width))
    throw std::invalid_argument("trees read " + std::to_string(trees_.width()) + " columns, the summary of " +
                                std::to_string(width) + " features has " + std::to_string(window_summary_width(width)));
  if (trees_.objective() != TreeObjective::kBinaryLogistic)
    throw std::invalid_argument("tree model needs binary:logistic trees");

  const std::vector<double> gain = trees_.gain_importance();
  const std::vector<std::size_t> source = window_summary_sources(width);
  std::vector<double> per_feature(width, 0.0);
  for (std::size_t c = 0; c < gain.size(); ++c) per_feature[source[c]] += gain[c];
  importance_.reserve(width);
  for (std::size_t f = 0; f < width; ++f) importance_.emplace_back(info_.feature_names[f], per_feature[f]);
  std::stable_sort(importance_.begin(), importance_.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
}

std::vector<double> TreeModel::predict(const float* windows, std::size_t batch) const {
  return calibrator_.apply(predict_uncalibrated(windows, batch));
}

std::vector<double> TreeModel::predict_uncalibrated(const float* windows, std::size_t batch) const {
  if (batch == 0) return {};
  if (windows == nullptr) throw std::invalid_argument("predict: null window data");
  const std::size_t steps = info_.sequence_length;
  const std::size_t width = normaliser_.width();
  const std::size_t per_window = steps * width;
  const std::size_t columns = window_summary_width(width);
  std::vector<double> out;
  out.reserve(batch);
  std::vector<float> window(per_window), x;
  for (std::size_t start = 0; start < batch; start += kInferenceChunk) {
    const std::size_t n = std::min(kInferenceChunk, batch - start);
    x.resize(n * columns);
    for (std::size_t i = 0; i < n; ++i) {
      const float* src = windows + (start + i) * per_window;
      std::copy(src, src + per_window, window.begin());
      normaliser_.apply(window.data(), steps);
      window_summary(window.data(), steps, width, x.data() + i * columns);
    }
    const std::vector<double> p = trees_.predict(x.data(), n);
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

std::vector<float> summarise_windows(const float* rows, std::size_t width, std::size_t steps,
                                     const std::vector<Window>& windows) {
  const std::size_t columns = window_summary_width(width);
  std::vector<float> x(windows.size() * columns);
  for (std::size_t i = 0; i < windows.size(); ++i) {
    const std::size_t first = windows[i].last + 1 - steps;
    window_summary(rows + first * width, steps, width, x.data() + i * columns);
  }
  return x;
}

}  // namespace tbml::training
