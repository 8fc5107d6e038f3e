#pragma once
// The pieces the hand-written inference paths of the feed-forward networks share
// (transformer_inference.cpp, cnn_inference.cpp): row-major matrix products straight on the BLAS torch
// itself calls, layer norm over rows, and the dense head. Why straight on BLAS: torch's addmm costs
// ~2.3 us of dispatch around a 60 x 32 x 32 product that OpenBLAS does in 1.8 us, and a Transformer
// forward has nine of them plus two per head and layer. Private to the training stage (torch types).
#include <cstdint>
#include <optional>
#include <vector>

#include <torch/torch.h>

namespace tbml::training {

// Row-major C[m, n] = alpha * A[m, k] * op(B) + beta * C, op(B) = B[k, n] or, with b_transposed, the
// transpose of B[n, k] (a Linear's weight as torch stores it). Leading dimensions are row strides.
void gemm_rows(bool b_transposed, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a,
               std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc);

// The float data of a module's tensor when it is defined, float, contiguous and of exactly this shape;
// nullptr otherwise (the caller then leaves the network to torch).
const float* float_data(const torch::Tensor& t, torch::IntArrayRef shape);

// Each of `rows` rows of c[rows, width] set to `bias` (a product then accumulates onto it: beta = 1), or
// with add_rows `bias` added to it (a residual that the product then accumulates onto).
void fill_rows(float* c, std::int64_t rows, std::int64_t width, const float* bias);
void add_rows(float* c, std::int64_t rows, std::int64_t width, const float* bias);

// The mean over time of x[batch, steps, width]: [batch, width] (the networks' pooling before their head).
std::vector<float> mean_over_time(const float* x, std::int64_t batch, std::int64_t steps, std::int64_t width);

// Each row of x[rows, width] normalised to zero mean and unit (biased) variance, then scaled and shifted:
// torch's LayerNorm over the last dimension.
void layer_norm_rows(float* x, std::int64_t rows, std::int64_t width, const float* weight, const float* bias,
                     float eps);

// A LayerNorm over the last dimension of `width` with its affine weights, or nullopt.
struct RowNorm {
  const float* weight;
  const float* bias;
  float eps;
  void apply(float* x, std::int64_t rows, std::int64_t width) const {
    layer_norm_rows(x, rows, width, weight, bias, eps);
  }
};
std::optional<RowNorm> row_norm_of(const torch::nn::LayerNorm& norm, std::int64_t width);

// The dense head (networks.cpp: Linear, ReLU, Dropout, Linear to one logit), read from its modules:
// Linear, ReLU and (eval mode: identity) Dropout in any order ending in one output; nullopt otherwise.
class DenseHead {
 public:
  static std::optional<DenseHead> of(const torch::nn::Sequential& head, std::int64_t in);
  // logits[r] for each of `rows` rows of x[rows, in].
  void logits(const float* x, std::int64_t rows, float* out) const;

 private:
  struct Step {
    const float* weight = nullptr;  // [out, in] of a Linear; nullptr for ReLU
    const float* bias = nullptr;
    std::int64_t in = 0, out = 0;
  };
  std::vector<Step> steps_;
  std::int64_t in_ = 0, widest_ = 0;
};

// head(features) squeezed to [B] for features [B, W] (float): the loops above when DenseHead takes the
// head, else torch's modules. (The recurrent networks' serving paths end here: ~10 us of torch dispatch
// around a 50 x 16 product.)
torch::Tensor head_logits(const torch::nn::Sequential& head, const torch::Tensor& features);

// True when every value of the contiguous float tensor is finite (NaN or inf windows go to torch).
bool all_finite(const torch::Tensor& t);

}  // namespace tbml::training
