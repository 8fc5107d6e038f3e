#pragma once
// Eval-mode forward of the Transformer network (networks.cpp: input projection plus sinusoidal
// positions, post-norm ReLU encoder layers, mean pooling over time, layer norm, dense head) as BLAS
// products and plain loops over its own weight tensors, for the few-window batches of serving.
// Why: at batch 1 torch's path (fused encoder layers, ~20 operators around them) takes ~210 us for
// the 1.65 M multiply-adds of the default architecture, this one ~90 (docs/performance.md, Recompute).
// Private to the training stage (torch types).
#include <optional>

#include <torch/torch.h>

namespace tbml::training {

// Logits [B] for x = [B, T, F] (float); nullopt when a module is configured in a way this does not
// implement, the window is longer than `positions` ([T_max, D]), or x holds a NaN or inf (then torch's
// path gives the answer).
std::optional<torch::Tensor> transformer_logits(const torch::nn::Linear& input, const torch::Tensor& positions,
                                                const torch::nn::TransformerEncoder& encoder,
                                                const torch::nn::LayerNorm& norm, const torch::nn::Sequential& head,
                                                const torch::Tensor& x);

}  // namespace tbml::training
