#pragma once
// The four sequence networks. Private to the training stage (torch types). Every network maps a batch
// [B, T, F] of normalised feature windows to one logit per window [B]; sigmoid(logit) = P(up).
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "tbml/models/model.h"

namespace tbml::training {

struct SequenceNet : torch::nn::Module {
  virtual torch::Tensor forward(torch::Tensor x) = 0;  // [B, T, F] -> logits [B]
  // The same logits for serving and evaluation (eval mode, no autograd); the recurrent networks override
  // it with hand-written loops at small batches (recurrent_inference.h). Anywhere else it is forward().
  virtual torch::Tensor infer(torch::Tensor x) { return forward(std::move(x)); }
};

// Fills in defaults and validates an architecture object for `type`; unknown keys or out-of-range values
// throw std::invalid_argument naming them. The result is what gets stored with the model.
nlohmann::json resolve_architecture(ModelType type, const nlohmann::json& requested);

// Builds a freshly initialised network (uses torch's global RNG: seed it first for repeatability).
std::shared_ptr<SequenceNet> make_network(ModelType type, std::int64_t input_width,
                                          std::int64_t sequence_length, const nlohmann::json& architecture);

std::size_t count_parameters(const torch::nn::Module& module);

// Copies of every parameter and buffer (early stopping keeps the best epoch's) and their restoration.
std::vector<torch::Tensor> snapshot_state(const SequenceNet& net);
void restore_state(SequenceNet& net, const std::vector<torch::Tensor>& state);
// Frees the gradients training left on the parameters: a served network never reads them, and they would
// double its parameter memory for as long as the model serves (a loaded model has none).
void drop_gradients(SequenceNet& net);

// The network's parameters and buffers as named float tensors (models/tensor_file.h, never torch's own
// archive: its reader can crash on damaged bytes), and loading them back: every tensor of the
// architecture, in order, with its exact shape, finite. Throws std::runtime_error saying why.
std::string save_network_weights(const SequenceNet& net);
void load_network_weights(SequenceNet& net, const std::string& bytes);

}  // namespace tbml::training
