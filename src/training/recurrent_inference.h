#pragma once
// Eval-mode forward of the LSTM and GRU the networks use (batch-first, one direction, biases, no
// projection) as plain loops over their own weight tensors, for the few-window batches of serving.
// Why: at batch 1 torch spends ~1 ms per network dispatching ~10 operators per step and layer (60 steps x
// 2 layers) around ~20k multiply-adds each; the arithmetic itself takes a tenth of that. Same equations
// as torch's (gate order i, f, g, o and r, z, n), so results agree to float rounding. Private to the
// training stage (torch types).
#include <optional>

#include <torch/torch.h>

namespace tbml::training {

// Windows up to this batch take the loops (their cost is linear in the batch); larger batches (6 pairs'
// worth, evaluation) stay on torch's path, whose per-step GEMMs amortise its dispatch over the batch.
constexpr std::int64_t kHandRecurrentMaxBatch = 4;

// The top layer's hidden state after the last step, [B, H], for x = [B, T, F] (float, any strides);
// nullopt when the module is configured in a way these loops do not implement (then use forward()).
std::optional<torch::Tensor> lstm_last_hidden(const torch::nn::LSTM& rnn, const torch::Tensor& x);
std::optional<torch::Tensor> gru_last_hidden(const torch::nn::GRU& rnn, const torch::Tensor& x);

}  // namespace tbml::training
