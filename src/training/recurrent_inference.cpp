#include "recurrent_inference.h"

#include <cmath>
#include <string>
#include <vector>

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

inline float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }
// tanh through one expf: glibc's tanhf costs about three times as much and the activations are most of
// the loops' time. Absolute error a few float ulps; saturates to +-1 at either end (exp gives inf or 0).
inline float fast_tanh(float v) { return 1.0f - 2.0f / (std::exp(2.0f * v) + 1.0f); }

// g[0, GH) += h . W_hh^T, written as axpy over rows of W_hh^T so the compiler vectorises it without
// reassociating a sum.
inline void add_recurrent(const float* w_hh_t, const float* h, std::int64_t hidden, std::int64_t gh, float* g) {
  for (std::int64_t k = 0; k < hidden; ++k) {
    const float hk = h[k];
    const float* row = w_hh_t + k * gh;
    for (std::int64_t j = 0; j < gh; ++j) g[j] += hk * row[j];
  }
}

// One layer over [B, T, I]; returns [B, T, H] (keep_sequence) or the last step's [B, H].
torch::Tensor lstm_layer(const torch::Tensor& input, const Layer& layer, std::int64_t hidden, bool keep_sequence) {
  const std::int64_t b = input.size(0), t = input.size(1), gh = 4 * hidden;
  const torch::Tensor pre =
      torch::addmm(layer.b_ih + layer.b_hh, input.reshape({b * t, input.size(2)}), layer.w_ih_t).contiguous();
  torch::Tensor out = keep_sequence ? torch::empty({b, t, hidden}) : torch::empty({b, hidden});
  const float* p = pre.data_ptr<float>();
  const float* w = layer.w_hh_t.data_ptr<float>();
  float* o = out.data_ptr<float>();
  std::vector<float> g(static_cast<std::size_t>(gh)), h(static_cast<std::size_t>(hidden)),
      c(static_cast<std::size_t>(hidden));
  for (std::int64_t row = 0; row < b; ++row) {
    std::fill(h.begin(), h.end(), 0.0f);
    std::fill(c.begin(), c.end(), 0.0f);
    for (std::int64_t step = 0; step < t; ++step) {
      const float* ps = p + (row * t + step) * gh;
      std::copy(ps, ps + gh, g.begin());
      add_recurrent(w, h.data(), hidden, gh, g.data());
      for (std::int64_t j = 0; j < hidden; ++j) {
        const float i = sigmoid(g[j]), f = sigmoid(g[hidden + j]);
        const float cand = fast_tanh(g[2 * hidden + j]), og = sigmoid(g[3 * hidden + j]);
        c[j] = f * c[j] + i * cand;
        h[j] = og * fast_tanh(c[j]);
      }
      if (keep_sequence) std::copy(h.begin(), h.end(), o + (row * t + step) * hidden);
    }
    if (!keep_sequence) std::copy(h.begin(), h.end(), o + row * hidden);
  }
  return out;
}

torch::Tensor gru_layer(const torch::Tensor& input, const Layer& layer, std::int64_t hidden, bool keep_sequence) {
  const std::int64_t b = input.size(0), t = input.size(1), gh = 3 * hidden;
  const torch::Tensor pre = torch::addmm(layer.b_ih, input.reshape({b * t, input.size(2)}), layer.w_ih_t).contiguous();
  torch::Tensor out = keep_sequence ? torch::empty({b, t, hidden}) : torch::empty({b, hidden});
  const float* p = pre.data_ptr<float>();
  const float* w = layer.w_hh_t.data_ptr<float>();
  const float* bias_hh = layer.b_hh.data_ptr<float>();
  float* o = out.data_ptr<float>();
  std::vector<float> g(static_cast<std::size_t>(gh)), h(static_cast<std::size_t>(hidden));
  for (std::int64_t row = 0; row < b; ++row) {
    std::fill(h.begin(), h.end(), 0.0f);
    for (std::int64_t step = 0; step < t; ++step) {
      const float* ps = p + (row * t + step) * gh;
      std::copy(bias_hh, bias_hh + gh, g.begin());  // the hidden side's product with its own bias
      add_recurrent(w, h.data(), hidden, gh, g.data());
      for (std::int64_t j = 0; j < hidden; ++j) {
        const float r = sigmoid(ps[j] + g[j]);
        const float z = sigmoid(ps[hidden + j] + g[hidden + j]);
        const float n = fast_tanh(ps[2 * hidden + j] + r * g[2 * hidden + j]);
        h[j] = (1.0f - z) * n + z * h[j];
      }
      if (keep_sequence) std::copy(h.begin(), h.end(), o + (row * t + step) * hidden);
    }
    if (!keep_sequence) std::copy(h.begin(), h.end(), o + row * hidden);
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
  for (std::size_t l = 0; l < layers->size(); ++l)
    h = layer_fn(h, (*layers)[l], opt.hidden_size(), l + 1 < layers->size());  // eval: no dropout between
  return h;
}

}  // namespace

std::optional<torch::Tensor> lstm_last_hidden(const torch::nn::LSTM& rnn, const torch::Tensor& x) {
  if (rnn->options.proj_size() != 0) return std::nullopt;
  return last_hidden(*rnn, rnn->options, 4, x, lstm_layer);
}

std::optional<torch::Tensor> gru_last_hidden(const torch::nn::GRU& rnn, const torch::Tensor& x) {
  return last_hidden(*rnn, rnn->options, 3, x, gru_layer);
}

}  // namespace tbml::training
