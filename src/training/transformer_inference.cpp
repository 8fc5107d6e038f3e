#include "transformer_inference.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "dense_kernels.h"
#include "vector_math.h"

namespace tbml::training {
namespace {

// One encoder layer's weights, read from torch's TransformerEncoderLayer (post-norm, as the C++ module
// always is).
struct EncoderLayer {
  const float* w_qkv;  // [3D, D]: q, k, v projections stacked
  const float* b_qkv;  // [3D]
  const float* w_out;  // [D, D]
  const float* b_out;
  const float* w_ff1;  // [FF, D]
  const float* b_ff1;
  const float* w_ff2;  // [D, FF]
  const float* b_ff2;
  RowNorm norm1, norm2;
  std::int64_t heads, ff;
};

std::optional<EncoderLayer> layer_of(const torch::nn::Module& module, std::int64_t d) {
  const auto* layer = module.as<torch::nn::TransformerEncoderLayerImpl>();
  if (!layer || !c10::get_if<torch::enumtype::kReLU>(&layer->options.activation()) ||
      layer->options.d_model() != d)
    return std::nullopt;
  const auto& attn = *layer->self_attn;
  const auto& ao = attn.options;
  if (!attn._qkv_same_embed_dim || ao.embed_dim() != d || !ao.bias() || ao.add_bias_kv() || ao.add_zero_attn() ||
      ao.num_heads() < 1 || d % ao.num_heads() != 0)
    return std::nullopt;
  const std::int64_t ff = layer->options.dim_feedforward();
  EncoderLayer l{float_data(attn.in_proj_weight, {3 * d, d}),
                 float_data(attn.in_proj_bias, {3 * d}),
                 float_data(attn.out_proj->weight, {d, d}),
                 float_data(attn.out_proj->bias, {d}),
                 float_data(layer->linear1->weight, {ff, d}),
                 float_data(layer->linear1->bias, {ff}),
                 float_data(layer->linear2->weight, {d, ff}),
                 float_data(layer->linear2->bias, {d}),
                 {},
                 {},
                 ao.num_heads(),
                 ff};
  const auto n1 = row_norm_of(layer->norm1, d), n2 = row_norm_of(layer->norm2, d);
  if (!l.w_qkv || !l.b_qkv || !l.w_out || !l.b_out || !l.w_ff1 || !l.b_ff1 || !l.w_ff2 || !l.b_ff2 || !n1 || !n2)
    return std::nullopt;
  l.norm1 = *n1;
  l.norm2 = *n2;
  return l;
}

// softmax's numerators, 8 lanes wide where the CPU has AVX2 (the build targets baseline x86-64: 4).
__attribute__((target("avx2,fma"))) TBML_VECTOR_MATH void exp_shifted_avx2(float* __restrict v, std::int64_t n,
                                                                           float shift) {
  for (std::int64_t j = 0; j < n; ++j) v[j] = exp_approx(v[j] - shift);
}
void exp_shifted(float* v, std::int64_t n, float shift) {
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2) exp_shifted_avx2(v, n, shift);
  else exp_shifted_inplace(v, n, shift);
}

// Scratch of one forward, sized once per call.
struct Buffers {
  std::vector<float> h, qkv, ctx, ff, scores;
};

// h[B*T, D] <- norm2(y + ff(y)) with y = norm1(h + attention(h)): torch's post-norm encoder layer in
// eval mode (dropout is the identity).
void encoder_layer(const EncoderLayer& l, std::int64_t batch, std::int64_t t, std::int64_t d, Buffers& buf) {
  const std::int64_t rows = batch * t, hd = d / l.heads;
  float* h = buf.h.data();
  float* qkv = buf.qkv.data();
  float* ctx = buf.ctx.data();
  float* s = buf.scores.data();
  fill_rows(qkv, rows, 3 * d, l.b_qkv);
  gemm_rows(true, rows, 3 * d, d, 1.0f, h, d, l.w_qkv, d, 1.0f, qkv, 3 * d);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (std::int64_t b = 0; b < batch; ++b) {
    const float* base = qkv + b * t * 3 * d;
    for (std::int64_t head = 0; head < l.heads; ++head) {
      const float* q = base + head * hd;
      const float* k = base + d + head * hd;
      const float* v = base + 2 * d + head * hd;
      gemm_rows(true, t, t, hd, scale, q, 3 * d, k, 3 * d, 0.0f, s, t);  // scores [T, T] = q k^T / sqrt(hd)
      for (std::int64_t i = 0; i < t; ++i) {                              // softmax over each row
        float* row = s + i * t;
        exp_shifted(row, t, max_lanes(row, t));
        const float inv = 1.0f / sum_lanes(row, t);
        for (std::int64_t j = 0; j < t; ++j) row[j] *= inv;
      }
      gemm_rows(false, t, hd, t, 1.0f, s, t, v, 3 * d, 0.0f, ctx + b * t * d + head * hd, d);  // [T, hd]
    }
  }
  // h <- norm1(h + out_proj(ctx)): the residual and the bias first, the product accumulated onto them.
  add_rows(h, rows, d, l.b_out);
  gemm_rows(true, rows, d, d, 1.0f, ctx, d, l.w_out, d, 1.0f, h, d);
  l.norm1.apply(h, rows, d);
  // h <- norm2(h + linear2(relu(linear1(h)))).
  float* f = buf.ff.data();
  fill_rows(f, rows, l.ff, l.b_ff1);
  gemm_rows(true, rows, l.ff, d, 1.0f, h, d, l.w_ff1, d, 1.0f, f, l.ff);
  for (std::int64_t i = 0; i < rows * l.ff; ++i) f[i] = std::max(f[i], 0.0f);
  add_rows(h, rows, d, l.b_ff2);
  gemm_rows(true, rows, d, l.ff, 1.0f, f, l.ff, l.w_ff2, l.ff, 1.0f, h, d);
  l.norm2.apply(h, rows, d);
}

}  // namespace

std::optional<torch::Tensor> transformer_logits(const torch::nn::Linear& input, const torch::Tensor& positions,
                                                const torch::nn::TransformerEncoder& encoder,
                                                const torch::nn::LayerNorm& norm, const torch::nn::Sequential& head,
                                                const torch::Tensor& x) {
  if (x.dim() != 3 || x.scalar_type() != torch::kFloat || x.size(1) == 0 || positions.dim() != 2 ||
      x.size(1) > positions.size(0) || !encoder->norm.is_empty())
    return std::nullopt;
  const std::int64_t batch = x.size(0), t = x.size(1), f = x.size(2), d = positions.size(1);
  const float* w_in = float_data(input->weight, {d, f});
  const float* b_in = float_data(input->bias, {d});
  const float* pos = float_data(positions, {positions.size(0), d});
  const auto final_norm = row_norm_of(norm, d);
  const auto dense = DenseHead::of(head, d);
  if (!w_in || !b_in || !pos || !final_norm || !dense) return std::nullopt;
  std::vector<EncoderLayer> layers;
  for (const auto& module : *encoder->layers) {
    auto l = layer_of(*module, d);
    if (!l) return std::nullopt;
    layers.push_back(*l);
  }
  const torch::Tensor xc = x.contiguous();
  if (!all_finite(xc)) return std::nullopt;  // torch's kernels give the answer (the predictor rejects it)

  const std::int64_t rows = batch * t;
  std::int64_t widest_ff = 1;
  for (const auto& l : layers) widest_ff = std::max(widest_ff, l.ff);
  Buffers buf;
  buf.h.resize(static_cast<std::size_t>(rows * d));
  buf.qkv.resize(static_cast<std::size_t>(rows * 3 * d));
  buf.ctx.resize(static_cast<std::size_t>(rows * d));
  buf.ff.resize(static_cast<std::size_t>(rows * widest_ff));
  buf.scores.resize(static_cast<std::size_t>(t * t));
  // h = x W_in^T + b_in + positions[step]: bias and position first, the product onto them.
  float* h = buf.h.data();
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t step = 0; step < t; ++step)
      for (std::int64_t j = 0; j < d; ++j) h[(b * t + step) * d + j] = b_in[j] + pos[step * d + j];
  gemm_rows(true, rows, d, f, 1.0f, xc.data_ptr<float>(), f, w_in, f, 1.0f, h, d);
  for (const auto& l : layers) encoder_layer(l, batch, t, d, buf);
  // Mean over time, the final layer norm, the head.
  std::vector<float> pooled = mean_over_time(h, batch, t, d);
  final_norm->apply(pooled.data(), batch, d);
  torch::Tensor out = torch::empty({batch});
  dense->logits(pooled.data(), batch, out.data_ptr<float>());
  return out;
}

}  // namespace tbml::training
