#include "torch_model.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace tbml::training {
namespace {
constexpr std::size_t kInferenceChunk = 256;  // bounds the activations of one forward pass
}

std::vector<double> probabilities(SequenceNet& net, const torch::Tensor& windows) {
  const torch::Tensor logits = net.infer(windows);
  if (logits.scalar_type() == torch::kFloat && logits.dim() == 1 && logits.is_contiguous()) {
    // The sigmoid in double over the float logits (torch's float sigmoid then a cast, to float rounding),
    // without the ~5 us of dispatch of those two operators on a batch of one.
    const float* z = logits.data_ptr<float>();
    std::vector<double> out(static_cast<std::size_t>(logits.numel()));
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = 1.0 / (1.0 + std::exp(-static_cast<double>(z[i])));
    return out;
  }
  auto p = torch::sigmoid(logits).to(torch::kDouble).contiguous();
  const double* data = p.data_ptr<double>();
  return std::vector<double>(data, data + p.numel());
}

TorchModel::TorchModel(ModelInfo info, Normaliser normaliser, nlohmann::json architecture,
                       std::shared_ptr<SequenceNet> net, PlattCalibrator calibrator)
    : info_(std::move(info)), normaliser_(std::move(normaliser)), architecture_(std::move(architecture)),
      net_(std::move(net)), calibrator_(calibrator) {
  if (!net_) throw std::invalid_argument("model needs a network");
  if (normaliser_.width() != info_.feature_names.size())
    throw std::invalid_argument("normaliser width " + std::to_string(normaliser_.width()) + " differs from " +
                                std::to_string(info_.feature_names.size()) + " feature names");
  net_->eval();
}

std::vector<double> TorchModel::predict(const float* windows, std::size_t batch) const {
  return calibrator_.apply(predict_uncalibrated(windows, batch));
}

std::vector<double> TorchModel::predict_uncalibrated(const float* windows, std::size_t batch) const {
  if (batch == 0) return {};
  if (windows == nullptr) throw std::invalid_argument("predict: null window data");
  const std::size_t steps = info_.sequence_length;
  const std::size_t width = normaliser_.width();
  const std::size_t per_window = steps * width;
  std::vector<double> out;
  out.reserve(batch);
  std::vector<float> buffer;
  for (std::size_t start = 0; start < batch; start += kInferenceChunk) {
    const std::size_t n = std::min(kInferenceChunk, batch - start);
    buffer.assign(windows + start * per_window, windows + (start + n) * per_window);
    normaliser_.apply(buffer.data(), n * steps);
    auto input = torch::from_blob(buffer.data(),
                                  {static_cast<std::int64_t>(n), static_cast<std::int64_t>(steps),
                                   static_cast<std::int64_t>(width)},
                                  torch::kFloat);
    std::vector<double> p;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      c10::InferenceMode guard;
      p = probabilities(*net_, input);
    }
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

std::optional<std::vector<double>> TorchModel::predict_samples(const float* window, std::size_t passes) const {
  if (passes == 0) return std::vector<double>{};
  if (window == nullptr) throw std::invalid_argument("predict_samples: null window data");
  const std::size_t steps = info_.sequence_length;
  const std::size_t width = normaliser_.width();
  std::vector<float> one(window, window + steps * width);
  normaliser_.apply(one.data(), steps);
  std::vector<double> out;
  out.reserve(passes);
  for (std::size_t start = 0; start < passes; start += kInferenceChunk) {
    const std::size_t n = std::min(kInferenceChunk, passes - start);
    auto input = torch::from_blob(one.data(), {1, static_cast<std::int64_t>(steps), static_cast<std::int64_t>(width)},
                                  torch::kFloat)
                     .expand({static_cast<std::int64_t>(n), -1, -1})
                     .contiguous();
    std::vector<double> p;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // Back to eval mode whatever happens, so predict() never sees dropout.
      struct EvalAgain {
        SequenceNet& net;
        ~EvalAgain() { net.eval(); }
      } restore{*net_};
      c10::InferenceMode guard;  // dropout still samples its masks in training mode
      net_->train();
      p = probabilities(*net_, input);
    }
    out.insert(out.end(), p.begin(), p.end());
  }
  return calibrator_.apply(out);
}

std::string TorchModel::weights() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return save_network_weights(*net_);
}

}  // namespace tbml::training
