#include "recurrent_inference.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "vector_math.h"

namespace tbml::training {
namespace {

struct Layer {
  torch::Tensor w_ih_t;  // [I, G*H]: input projection of all steps in one GEMM
  torch::Tensor w_hh_t;  // [H, G*H] contiguous: the per-step product below reads it row by row
  torch::Tensor b_ih, b_hh;
};

std::optional<std::vector<Layer>> layers_of(const torch::nn::Module& m, std::int64_t layers, std::int64_t gates,
                                            std::int64_t hidden) {
  const auto params = m.named_parameters(false);
  std::vector<Layer> out;
  for (std::int64_t l = 0; l < layers; ++l) {
    const std::string s = std::to_string(l);
    const auto* w_ih = params.find("weight_ih_l" + s);
    const auto* w_hh = params.find("weight_hh_l" + s);
    const auto* b_ih = params.find("bias_ih_l" + s);
    const auto* b_hh = params.find("bias_hh_l" + s);
    if (!w_ih || !w_hh || !b_ih || !b_hh) return std::nullopt;
    if (w_hh->sizes() != torch::IntArrayRef{gates * hidden, hidden} || w_ih->size(0) != gates * hidden ||
        w_ih->scalar_type() != torch::kFloat)
      return std::nullopt;
    out.push_back(Layer{w_ih->t(), w_hh->t().contiguous(), *b_ih, *b_hh});
  }
  return out;
}

// g[0, GH) += h . W_hh^T, written as axpy over rows of W_hh^T so the compiler vectorises it without
// reassociating a sum.
inline void add_recurrent(const float* __restrict w_hh_t, const float* __restrict h, std::int64_t hidden,
                          std::int64_t gh, float* __restrict g) {
  for (std::int64_t k = 0; k < hidden; ++k) {
    const float hk = h[k];
    const float* __restrict row = w_hh_t + k * gh;
    for (std::int64_t j = 0; j < gh; ++j) g[j] += hk * row[j];
  }
}

// The layers are compiled twice, for baseline x86-64 (4 lanes) and AVX2 (8), chosen once at load time.
// TBML_VECTOR_MATH on the layers themselves lets the activations inline into each version (an earlier
// AVX2 clone whose helpers stayed baseline calls was slower than none); interleaved runs on this machine:
// GRU 238 -> 178 us, LSTM 240 -> 225 us. No FMA: the same roundings as the baseline version.
#if defined(__clang__)
// clang 16 (the ASan and TSan builds) resolves the clones' calls of inline library code, such as
// ~vector<float>, against other libraries' exported copies, which fails to link ("DSO missing from command
// line"); those builds check behaviour, not speed, so they get the one baseline version.
#define TBML_LAYER TBML_VECTOR_MATH
#else
#define TBML_LAYER __attribute__((target_clones("avx2", "default"))) TBML_VECTOR_MATH
#endif

// One layer over [B, T, I]; returns [B, T, H] (keep_sequence) or the last step's [B, H].
TBML_LAYER torch::Tensor lstm_layer(const torch::Tensor& input, const Layer& layer, std::int64_t hidden, bool keep_sequence) {
  const std::int64_t b = input.size(0), t = input.size(1), gh = 4 * hidden;
  const torch::Tensor pre =
      torch::addmm(layer.b_ih + layer.b_hh, input.reshape({b * t, input.size(2)}), layer.w_ih_t).contiguous();
  torch::Tensor out = keep_sequence ? torch::empty({b, t, hidden}) : torch::empty({b, hidden});
  const float* p = pre.data_ptr<float>();
  const float* w = layer.w_hh_t.data_ptr<float>();
  float* o = out.data_ptr<float>();
  std::vector<float> gv(static_cast<std::size_t>(gh)), hv(static_cast<std::size_t>(hidden)),
      cv(static_cast<std::size_t>(hidden)), tv(static_cast<std::size_t>(hidden));
  float* __restrict g = gv.data();
  float* __restrict h = hv.data();
  float* __restrict c = cv.data();
  float* __restrict tc = tv.data();
  for (std::int64_t row = 0; row < b; ++row) {
    std::fill(h, h + hidden, 0.0f);
    std::fill(c, c + hidden, 0.0f);
    for (std::int64_t step = 0; step < t; ++step) {
      const float* ps = p + (row * t + step) * gh;
      std::copy(ps, ps + gh, g);
      add_recurrent(w, h, hidden, gh, g);
      sigmoid_inplace(g, 2 * hidden);               // input and forget gates
      tanh_inplace(g + 2 * hidden, hidden);         // candidate
      sigmoid_inplace(g + 3 * hidden, hidden);      // output gate
      for (std::int64_t j = 0; j < hidden; ++j) tc[j] = g[hidden + j] * c[j] + g[j] * g[2 * hidden + j];
      std::copy(tc, tc + hidden, c);
      tanh_inplace(tc, hidden);
      for (std::int64_t j = 0; j < hidden; ++j) h[j] = g[3 * hidden + j] * tc[j];
      if (keep_sequence) std::copy(h, h + hidden, o + (row * t + step) * hidden);
    }
    if (!keep_sequence) std::copy(h, h + hidden, o + row * hidden);
  }
  return out;
}

TBML_LAYER torch::Tensor gru_layer(const torch::Tensor& input, const Layer& layer, std::int64_t hidden, bool keep_sequence) {
  const std::int64_t b = input.size(0), t = input.size(1), gh = 3 * hidden;
  const torch::Tensor pre = torch::addmm(layer.b_ih, input.reshape({b * t, input.size(2)}), layer.w_ih_t).contiguous();
  torch::Tensor out = keep_sequence ? torch::empty({b, t, hidden}) : torch::empty({b, hidden});
  const float* p = pre.data_ptr<float>();
  const float* w = layer.w_hh_t.data_ptr<float>();
  const float* bias_hh = layer.b_hh.data_ptr<float>();
  float* o = out.data_ptr<float>();
  std::vector<float> gv(static_cast<std::size_t>(gh)), hv(static_cast<std::size_t>(hidden)),
      av(static_cast<std::size_t>(gh));
  float* __restrict g = gv.data();
  float* __restrict h = hv.data();
  float* __restrict a = av.data();
  for (std::int64_t row = 0; row < b; ++row) {
    std::fill(h, h + hidden, 0.0f);
    for (std::int64_t step = 0; step < t; ++step) {
      const float* __restrict ps = p + (row * t + step) * gh;
      std::copy(bias_hh, bias_hh + gh, g);  // the hidden side's product with its own bias
      add_recurrent(w, h, hidden, gh, g);
      for (std::int64_t j = 0; j < 2 * hidden; ++j) a[j] = ps[j] + g[j];
      sigmoid_inplace(a, 2 * hidden);  // reset r, update z
      for (std::int64_t j = 0; j < hidden; ++j) a[2 * hidden + j] = ps[2 * hidden + j] + a[j] * g[2 * hidden + j];
      tanh_inplace(a + 2 * hidden, hidden);  // n
      for (std::int64_t j = 0; j < hidden; ++j) {
        const float z = a[hidden + j];
        h[j] = (1.0f - z) * a[2 * hidden + j] + z * h[j];
      }
      if (keep_sequence) std::copy(h, h + hidden, o + (row * t + step) * hidden);
    }
    if (!keep_sequence) std::copy(h, h + hidden, o + row * hidden);
  }
  return out;
}

template <class Options, class LayerFn>
std::optional<torch::Tensor> last_hidden(const torch::nn::Module& m, const Options& opt, std::int64_t gates,
                                         const torch::Tensor& x, LayerFn layer_fn) {
  if (!opt.batch_first() || opt.bidirectional() || !opt.bias() || x.dim() != 3 || x.size(1) == 0 ||
      x.size(2) != opt.input_size() || x.scalar_type() != torch::kFloat)
    return std::nullopt;
  auto layers = layers_of(m, opt.num_layers(), gates, opt.hidden_size());
  if (!layers) return std::nullopt;
  torch::Tensor h = x.contiguous();
  // NaN or inf in a window: torch's own kernels give the answer (the predictor rejects it), never the
  // finite-math activations.
  const float* v = h.data_ptr<float>();
  for (std::int64_t i = 0, n = h.numel(); i < n; ++i)
    if (!std::isfinite(v[i])) return std::nullopt;
  for (std::size_t l = 0; l < layers->size(); ++l)
    h = layer_fn(h, (*layers)[l], opt.hidden_size(), l + 1 < layers->size());  // eval: no dropout between
  return h;
}

#undef TBML_LAYER

}  // namespace

std::optional<torch::Tensor> lstm_last_hidden(const torch::nn::LSTM& rnn, const torch::Tensor& x) {
  if (rnn->options.proj_size() != 0) return std::nullopt;
  return last_hidden(*rnn, rnn->options, 4, x, lstm_layer);
}

std::optional<torch::Tensor> gru_last_hidden(const torch::nn::GRU& rnn, const torch::Tensor& x) {
  return last_hidden(*rnn, rnn->options, 3, x, gru_layer);
}

}  // namespace tbml::training
