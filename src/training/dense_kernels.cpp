#include "dense_kernels.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "vector_math.h"

namespace tbml::training {

void gemm_rows(bool b_transposed, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a,
               std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  // The sizes here are a window's (tens to hundreds), far inside BLAS's 32-bit int.
  cblas_sgemm(CblasRowMajor, CblasNoTrans, b_transposed ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb),
              beta, c, static_cast<int>(ldc));
}

const float* float_data(const torch::Tensor& t, torch::IntArrayRef shape) {
  if (!t.defined() || t.scalar_type() != torch::kFloat || !t.is_contiguous() || t.sizes() != shape) return nullptr;
  return t.data_ptr<float>();
}

void fill_rows(float* c, std::int64_t rows, std::int64_t width, const float* bias) {
  for (std::int64_t r = 0; r < rows; ++r) std::copy(bias, bias + width, c + r * width);
}

void add_rows(float* c, std::int64_t rows, std::int64_t width, const float* bias) {
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < width; ++j) c[r * width + j] += bias[j];
}

std::vector<float> mean_over_time(const float* x, std::int64_t batch, std::int64_t steps, std::int64_t width) {
  std::vector<float> pooled(static_cast<std::size_t>(batch * width), 0.0f);
  for (std::int64_t b = 0; b < batch; ++b) {
    float* p = pooled.data() + b * width;
    for (std::int64_t step = 0; step < steps; ++step)
      for (std::int64_t j = 0; j < width; ++j) p[j] += x[(b * steps + step) * width + j];
    for (std::int64_t j = 0; j < width; ++j) p[j] /= static_cast<float>(steps);
  }
  return pooled;
}

void layer_norm_rows(float* x, std::int64_t rows, std::int64_t width, const float* weight, const float* bias,
                     float eps) {
  for (std::int64_t r = 0; r < rows; ++r) {
    float* __restrict v = x + r * width;
    const float mean = sum_lanes(v, width) / static_cast<float>(width);
    for (std::int64_t j = 0; j < width; ++j) v[j] -= mean;
    const float var = sum_lanes_of(v, width, [](float x) { return x * x; });
    const float inv = 1.0f / std::sqrt(var / static_cast<float>(width) + eps);
    for (std::int64_t j = 0; j < width; ++j) v[j] = v[j] * inv * weight[j] + bias[j];
  }
}

std::optional<RowNorm> row_norm_of(const torch::nn::LayerNorm& norm, std::int64_t width) {
  const auto& o = norm->options;
  if (o.normalized_shape() != std::vector<std::int64_t>{width} || !o.elementwise_affine()) return std::nullopt;
  const float* w = float_data(norm->weight, {width});
  const float* b = float_data(norm->bias, {width});
  if (!w || !b) return std::nullopt;
  return RowNorm{w, b, static_cast<float>(o.eps())};
}

std::optional<DenseHead> DenseHead::of(const torch::nn::Sequential& head, std::int64_t in) {
  DenseHead h;
  h.in_ = h.widest_ = in;
  std::int64_t width = in;
  for (const auto& child : head->children()) {
    if (const auto* linear = child->as<torch::nn::LinearImpl>()) {
      const std::int64_t out = linear->options.out_features();
      Step s;
      s.weight = float_data(linear->weight, {out, width});
      s.bias = float_data(linear->bias, {out});
      if (!s.weight || !s.bias) return std::nullopt;
      s.in = width;
      s.out = out;
      h.steps_.push_back(s);
      width = out;
      h.widest_ = std::max(h.widest_, width);
    } else if (child->as<torch::nn::ReLUImpl>()) {
      h.steps_.push_back(Step{});
    } else if (!child->as<torch::nn::DropoutImpl>()) {
      return std::nullopt;  // the callers run in eval mode, where dropout is the identity
    }
  }
  if (width != 1) return std::nullopt;
  return h;
}

void DenseHead::logits(const float* x, std::int64_t rows, float* out) const {
  std::vector<float> a(static_cast<std::size_t>(widest_)), b(static_cast<std::size_t>(widest_));
  for (std::int64_t r = 0; r < rows; ++r) {
    std::copy(x + r * in_, x + (r + 1) * in_, a.begin());
    std::int64_t width = in_;
    for (const Step& s : steps_) {
      if (!s.weight) {
        for (std::int64_t j = 0; j < width; ++j) a[j] = std::max(a[j], 0.0f);
        continue;
      }
      for (std::int64_t o = 0; o < s.out; ++o) {
        const float* w = s.weight + o * s.in;
        float sum = 0.0f;
        for (std::int64_t j = 0; j < s.in; ++j) sum += w[j] * a[j];
        b[o] = s.bias[o] + sum;
      }
      std::swap(a, b);
      width = s.out;
    }
    out[r] = a[0];
  }
}

torch::Tensor head_logits(const torch::nn::Sequential& head, const torch::Tensor& features) {
  if (features.dim() == 2 && features.scalar_type() == torch::kFloat)
    if (const auto dense = DenseHead::of(head, features.size(1))) {
      const torch::Tensor in = features.contiguous();
      torch::Tensor out = torch::empty({features.size(0)});
      dense->logits(in.data_ptr<float>(), features.size(0), out.data_ptr<float>());
      return out;
    }
  return head.ptr()->forward(features).squeeze(-1);
}

bool all_finite(const torch::Tensor& t) {
  // NaN and inf are the floats whose exponent bits are all set: integer tests the compiler vectorises
  // (an early-exit isfinite loop it does not), over the whole window.
  const float* v = t.data_ptr<float>();
  std::uint32_t bad = 0;
  for (std::int64_t i = 0, n = t.numel(); i < n; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, v + i, sizeof bits);
    bad |= (bits & 0x7f800000u) == 0x7f800000u;
  }
  return bad == 0;
}

}  // namespace tbml::training
