#include "cnn_inference.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "dense_kernels.h"

namespace tbml::training {
namespace {

// A Conv1d with stride 1, no dilation or groups, zero padding of kernel / 2 on both sides (odd kernel:
// the output is as long as the input) and a bias, as the network builds them.
struct Conv {
  std::vector<float> weight;  // [out, kernel * in], ordered (tap, input channel): the unfolded window's order
  const float* bias;
  std::int64_t in, out, kernel;
};

std::optional<Conv> conv_of(const torch::nn::Conv1dImpl& conv, std::int64_t in) {
  const auto& o = conv.options;
  const std::int64_t k = (*o.kernel_size())[0];
  const auto* pad = c10::get_if<torch::ExpandingArray<1>>(&o.padding());
  if (o.in_channels() != in || (*o.stride())[0] != 1 || (*o.dilation())[0] != 1 || o.groups() != 1 || !o.bias() ||
      o.transposed() || !c10::get_if<torch::enumtype::kZeros>(&o.padding_mode()) || k % 2 == 0 || !pad ||
      (**pad)[0] != k / 2)
    return std::nullopt;
  const std::int64_t out = o.out_channels();
  const float* w = float_data(conv.weight, {out, in, k});  // torch's [out, in, tap]
  const float* b = float_data(conv.bias, {out});
  if (!w || !b) return std::nullopt;
  Conv c{std::vector<float>(static_cast<std::size_t>(out * k * in)), b, in, out, k};
  for (std::int64_t oc = 0; oc < out; ++oc)
    for (std::int64_t ic = 0; ic < in; ++ic)
      for (std::int64_t tap = 0; tap < k; ++tap) c.weight[(oc * k + tap) * in + ic] = w[(oc * in + ic) * k + tap];
  return c;
}

// y[B*T, out] = relu?(conv(x[B*T, in])) over time-major rows: row t of the unfolded window is the k rows
// t - k/2 .. t + k/2 of x side by side (zeros beyond the window's ends), so the convolution is one product.
void conv_rows(const Conv& c, const float* x, std::int64_t batch, std::int64_t t, std::vector<float>& unfolded,
               float* y) {
  const std::int64_t wide = c.kernel * c.in, half = c.kernel / 2;
  unfolded.assign(static_cast<std::size_t>(batch * t * wide), 0.0f);
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t step = 0; step < t; ++step)
      for (std::int64_t tap = 0; tap < c.kernel; ++tap) {
        const std::int64_t src = step + tap - half;
        if (src < 0 || src >= t) continue;
        const float* from = x + (b * t + src) * c.in;
        std::copy(from, from + c.in, unfolded.data() + (b * t + step) * wide + tap * c.in);
      }
  fill_rows(y, batch * t, c.out, c.bias);
  gemm_rows(true, batch * t, c.out, wide, 1.0f, unfolded.data(), wide, c.weight.data(), wide, 1.0f, y, c.out);
}

}  // namespace

std::optional<torch::Tensor> cnn_logits(const torch::nn::Sequential& convs, const torch::nn::Sequential& head,
                                        const torch::Tensor& x) {
  if (x.dim() != 3 || x.scalar_type() != torch::kFloat || x.size(1) == 0) return std::nullopt;
  const std::int64_t batch = x.size(0), t = x.size(1);
  // The blocks in order: a convolution, or a ReLU on what the previous one gave.
  struct Block {
    std::optional<Conv> conv;  // nullopt: ReLU
  };
  std::vector<Block> blocks;
  std::int64_t width = x.size(2), widest = width;
  for (const auto& child : convs->children()) {
    if (const auto* conv = child->as<torch::nn::Conv1dImpl>()) {
      auto c = conv_of(*conv, width);
      if (!c) return std::nullopt;
      width = c->out;
      widest = std::max(widest, width);
      blocks.push_back(Block{std::move(c)});
    } else if (child->as<torch::nn::ReLUImpl>()) {
      blocks.push_back(Block{});
    } else {
      return std::nullopt;
    }
  }
  const auto dense = DenseHead::of(head, width);
  if (!dense) return std::nullopt;
  const torch::Tensor xc = x.contiguous();
  if (!all_finite(xc)) return std::nullopt;  // torch's kernels give the answer (the predictor rejects it)

  // x is [B, T, F] time-major already: each row is one step's features, the layout the products want.
  // `now` is the current activation: x itself until the first block writes one of its own.
  const std::int64_t rows = batch * t;
  std::vector<float> a, b, unfolded;
  a.reserve(static_cast<std::size_t>(rows * widest));
  b.reserve(static_cast<std::size_t>(rows * widest));
  const float* now = xc.data_ptr<float>();
  width = x.size(2);
  for (const Block& block : blocks) {
    if (!block.conv) {
      if (now != a.data()) {
        a.assign(now, now + rows * width);
        now = a.data();
      }
      for (float& v : a) v = std::max(v, 0.0f);
      continue;
    }
    b.resize(static_cast<std::size_t>(rows * block.conv->out));
    conv_rows(*block.conv, now, batch, t, unfolded, b.data());
    std::swap(a, b);
    now = a.data();
    width = block.conv->out;
  }
  // Global average pooling over time, then the head.
  std::vector<float> pooled = mean_over_time(now, batch, t, width);
  torch::Tensor out = torch::empty({batch});
  dense->logits(pooled.data(), batch, out.data_ptr<float>());
  return out;
}

}  // namespace tbml::training
