#pragma once
// The four sequence networks. Private to the training stage (torch types). Every network maps a batch
// [B, T, F] of normalised feature windows to one logit per window [B]; sigmoid(logit) = P(up).
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "tbml/models/model.h"

namespace tbml::training {

struct SequenceNet : torch::nn::Module {
  virtual torch::Tensor forward(torch::Tensor x) = 0;  // [B, T, F] -> logits [B]
};

// Fills in defaults and validates an architecture object for `type`; unknown keys or out-of-range values
// throw std::invalid_argument naming them. The result is what gets stored with the model.
nlohmann::json resolve_architecture(ModelType type, const nlohmann::json& requested);

// Builds a freshly initialised network (uses torch's global RNG: seed it first for repeatability).
std::shared_ptr<SequenceNet> make_network(ModelType type, std::int64_t input_width,
                                          std::int64_t sequence_length, const nlohmann::json& architecture);

std::size_t count_parameters(const torch::nn::Module& module);

}  // namespace tbml::training
