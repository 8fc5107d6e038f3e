#pragma once
// Eval-mode forward of the CNN network (networks.cpp: same-length Conv1d + ReLU blocks over time,
// global average pooling, dense head) as one BLAS product per convolution over an unfolded window and
// plain loops over its own weight tensors, for the few-window batches of serving. Why: torch's modules
// take ~60 us for the ~0.6 M multiply-adds of one window of the default architecture, this ~35
// (docs/performance.md, Recompute). Private to the training stage (torch types).
#include <optional>

#include <torch/torch.h>

namespace tbml::training {

// Logits [B] for x = [B, T, F] (float); nullopt when a module is configured in a way this does not
// implement or x holds a NaN or inf (then torch's path gives the answer).
std::optional<torch::Tensor> cnn_logits(const torch::nn::Sequential& convs, const torch::nn::Sequential& head,
                                        const torch::Tensor& x);

}  // namespace tbml::training
