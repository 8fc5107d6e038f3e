#include "networks.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "cnn_inference.h"
#include "dense_kernels.h"
#include "recurrent_inference.h"
#include "transformer_inference.h"
#include "tbml/models/tensor_file.h"

namespace tbml::training {
namespace {

using nlohmann::json;

json defaults(ModelType type) {
  switch (type) {
    case ModelType::kLstm: return json{{"hidden", 50}, {"layers", 2}, {"dropout", 0.2}, {"head", 16}};
    case ModelType::kGru: return json{{"hidden", 50}, {"layers", 2}, {"dropout", 0.2}, {"head", 16}};
    case ModelType::kCnn:
      return json{{"channels", json::array({16, 32, 32})}, {"kernel", 3}, {"dropout", 0.3}, {"head", 32}};
    case ModelType::kTransformer:
      return json{{"dModel", 32}, {"heads", 4}, {"layers", 2}, {"ff", 64}, {"dropout", 0.1}, {"head", 16}};
    case ModelType::kXgboost: break;  // not a network: see tree_trainer
  }
  throw std::invalid_argument("not a network model type: " + to_string(type));
}

std::int64_t positive_int(const json& arch, const char* key, std::int64_t max) {
  const json& v = arch.at(key);
  if (!v.is_number_integer() || v.get<std::int64_t>() < 1 || v.get<std::int64_t>() > max)
    throw std::invalid_argument(std::string("architecture '") + key + "' must be an integer in [1, " +
                                std::to_string(max) + "]");
  return v.get<std::int64_t>();
}

double dropout_of(const json& arch) {
  const json& v = arch.at("dropout");
  if (!v.is_number() || !(v.get<double>() >= 0.0 && v.get<double>() < 1.0))
    throw std::invalid_argument("architecture 'dropout' must be a number in [0, 1)");
  return v.get<double>();
}

// The hand-written serving paths apply (recurrent_inference.h, transformer_inference.h, cnn_inference.h):
// eval mode, no autograd, a serving-sized batch.
bool hand_written(const torch::nn::Module& net, const torch::Tensor& x) {
  return !net.is_training() && !torch::GradMode::is_enabled() && x.dim() == 3 && x.size(0) <= kHandRecurrentMaxBatch;
}

torch::nn::Sequential dense_head(std::int64_t in, std::int64_t head, double dropout) {
  return torch::nn::Sequential(torch::nn::Linear(in, head), torch::nn::ReLU(), torch::nn::Dropout(dropout),
                               torch::nn::Linear(head, 1));
}

struct LstmNet : SequenceNet {
  LstmNet(std::int64_t width, const json& arch) {
    const auto hidden = positive_int(arch, "hidden", 4096);
    const auto layers = positive_int(arch, "layers", 16);
    const double dropout = dropout_of(arch);
    rnn = register_module(
        "rnn", torch::nn::LSTM(torch::nn::LSTMOptions(width, hidden).num_layers(layers).batch_first(true).dropout(
                   layers > 1 ? dropout : 0.0)));
    head = register_module("head", dense_head(hidden, positive_int(arch, "head", 4096), dropout));
  }
  torch::Tensor forward(torch::Tensor x) override {
    auto out = std::get<0>(rnn->forward(x));  // [B, T, H]
    return head->forward(out.select(1, out.size(1) - 1)).squeeze(-1);
  }
  torch::Tensor infer(torch::Tensor x) override {
    if (hand_written(*this, x))
      if (auto last = lstm_last_hidden(rnn, x)) return head_logits(head, *last);
    return forward(std::move(x));
  }
  torch::nn::LSTM rnn{nullptr};
  torch::nn::Sequential head{nullptr};
};

struct GruNet : SequenceNet {
  GruNet(std::int64_t width, const json& arch) {
    const auto hidden = positive_int(arch, "hidden", 4096);
    const auto layers = positive_int(arch, "layers", 16);
    const double dropout = dropout_of(arch);
    rnn = register_module(
        "rnn", torch::nn::GRU(torch::nn::GRUOptions(width, hidden).num_layers(layers).batch_first(true).dropout(
                   layers > 1 ? dropout : 0.0)));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})));
    head = register_module("head", dense_head(hidden, positive_int(arch, "head", 4096), dropout));
  }
  torch::Tensor forward(torch::Tensor x) override {
    auto out = std::get<0>(rnn->forward(x));
    return head->forward(norm->forward(out.select(1, out.size(1) - 1))).squeeze(-1);
  }
  torch::Tensor infer(torch::Tensor x) override {
    if (hand_written(*this, x))
      if (auto last = gru_last_hidden(rnn, x)) {
        // The loops' own [B, H] tensor: normalised in place.
        if (const auto n = row_norm_of(norm, last->size(1)); n && last->is_contiguous())
          n->apply(last->data_ptr<float>(), last->size(0), last->size(1));
        else
          *last = norm->forward(*last);
        return head_logits(head, *last);
      }
    return forward(std::move(x));
  }
  torch::nn::GRU rnn{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Sequential head{nullptr};
};

struct CnnNet : SequenceNet {
  CnnNet(std::int64_t width, const json& arch) {
    const auto kernel = positive_int(arch, "kernel", 64);
    if (kernel % 2 == 0) throw std::invalid_argument("architecture 'kernel' must be odd (same-length padding)");
    const json& channels = arch.at("channels");
    if (!channels.is_array() || channels.empty() || channels.size() > 8)
      throw std::invalid_argument("architecture 'channels' must be a list of 1 to 8 channel counts");
    std::int64_t in = width;
    for (std::size_t i = 0; i < channels.size(); ++i) {
      if (!channels[i].is_number_integer() || channels[i].get<std::int64_t>() < 1 ||
          channels[i].get<std::int64_t>() > 4096)
        throw std::invalid_argument("architecture 'channels' entries must be integers in [1, 4096]");
      const auto out = channels[i].get<std::int64_t>();
      convs->push_back(torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, kernel).padding(kernel / 2)));
      convs->push_back(torch::nn::ReLU());
      in = out;
    }
    register_module("convs", convs);
    head = register_module("head", dense_head(in, positive_int(arch, "head", 4096), dropout_of(arch)));
  }
  torch::Tensor forward(torch::Tensor x) override {
    auto h = convs->forward(x.transpose(1, 2));  // Conv1d wants [B, F, T]
    return head->forward(h.mean(2)).squeeze(-1);  // global average pooling over time
  }
  torch::Tensor infer(torch::Tensor x) override {
    if (hand_written(*this, x))
      if (auto logits = cnn_logits(convs, head, x)) return *logits;
    return forward(std::move(x));
  }
  torch::nn::Sequential convs;
  torch::nn::Sequential head{nullptr};
};

struct TransformerNet : SequenceNet {
  TransformerNet(std::int64_t width, std::int64_t sequence_length, const json& arch) {
    const auto d_model = positive_int(arch, "dModel", 1024);
    const auto heads = positive_int(arch, "heads", 64);
    if (d_model % heads != 0) throw std::invalid_argument("architecture 'dModel' must be a multiple of 'heads'");
    const auto layers = positive_int(arch, "layers", 16);
    const auto ff = positive_int(arch, "ff", 8192);
    const double dropout = dropout_of(arch);
    input = register_module("input", torch::nn::Linear(width, d_model));
    encoder = register_module(
        "encoder", torch::nn::TransformerEncoder(torch::nn::TransformerEncoderOptions(
                       torch::nn::TransformerEncoderLayerOptions(d_model, heads).dim_feedforward(ff).dropout(dropout),
                       layers)));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
    head = register_module("head", dense_head(d_model, positive_int(arch, "head", 4096), dropout));
    // Fixed sinusoidal encoding, recomputed at construction rather than stored with the weights.
    positions = torch::zeros({sequence_length, d_model});
    auto pos = torch::arange(sequence_length, torch::kFloat).unsqueeze(1);
    auto div = torch::exp(torch::arange(0, d_model, 2, torch::kFloat) * (-std::log(10000.0) / d_model));
    positions.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, torch::indexing::None, 2)},
                         torch::sin(pos * div));
    auto cos = torch::cos(pos * div);
    positions.index_put_({torch::indexing::Slice(), torch::indexing::Slice(1, torch::indexing::None, 2)},
                         cos.index({torch::indexing::Slice(), torch::indexing::Slice(0, d_model / 2)}));
  }
  torch::Tensor forward(torch::Tensor x) override {
    const auto t = x.size(1);
    if (t > positions.size(0))
      throw std::invalid_argument("window of " + std::to_string(t) + " steps is longer than the " +
                                  std::to_string(positions.size(0)) + " the transformer was built for");
    auto h = input->forward(x) + positions.slice(0, 0, t).unsqueeze(0);  // [B, T, D]
    h = encoder->forward(h.transpose(0, 1));                              // encoder wants [T, B, D]
    return head->forward(norm->forward(h.mean(0))).squeeze(-1);         // mean pooling over time
  }
  // Serving: at small batches the hand-written forward (transformer_inference.h); larger ones run each
  // encoder layer as torch's fused native kernel (the one Python's fast path calls; the C++ module never
  // takes it), about 3 operators instead of ~25. Same post-norm ReLU layer as forward().
  torch::Tensor infer(torch::Tensor x) override {
    if (hand_written(*this, x))
      if (auto logits = transformer_logits(input, positions, encoder, norm, head, x)) return *logits;
    if (is_training() || torch::GradMode::is_enabled() || !encoder->norm.is_empty() || x.dim() != 3 ||
        x.size(1) > positions.size(0))
      return forward(std::move(x));
    auto h = input->forward(x) + positions.slice(0, 0, x.size(1)).unsqueeze(0);  // [B, T, D], batch first
    for (const auto& module : *encoder->layers) {
      const auto* layer = module->as<torch::nn::TransformerEncoderLayerImpl>();
      if (!layer || !c10::get_if<torch::enumtype::kReLU>(&layer->options.activation()) ||
          !layer->self_attn->_qkv_same_embed_dim)
        return forward(std::move(x));
      const auto& attn = *layer->self_attn;
      h = at::_transformer_encoder_layer_fwd(
          h, layer->options.d_model(), layer->options.nhead(), attn.in_proj_weight, attn.in_proj_bias,
          attn.out_proj->weight, attn.out_proj->bias, /*use_gelu=*/false, /*norm_first=*/false,
          layer->norm1->options.eps(), layer->norm1->weight, layer->norm1->bias, layer->norm2->weight,
          layer->norm2->bias, layer->linear1->weight, layer->linear1->bias, layer->linear2->weight,
          layer->linear2->bias);
    }
    return head->forward(norm->forward(h.mean(1))).squeeze(-1);
  }
  torch::nn::Linear input{nullptr};
  torch::nn::TransformerEncoder encoder{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Sequential head{nullptr};
  torch::Tensor positions;
};

}  // namespace

json resolve_architecture(ModelType type, const json& requested) {
  json arch = defaults(type);
  if (requested.is_null()) return arch;
  if (!requested.is_object()) throw std::invalid_argument("architecture must be a JSON object");
  for (const auto& [key, value] : requested.items()) {
    if (!arch.contains(key))
      throw std::invalid_argument("unknown architecture key '" + key + "' for model " + to_string(type));
    arch[key] = value;
  }
  return arch;
}

std::shared_ptr<SequenceNet> make_network(ModelType type, std::int64_t input_width, std::int64_t sequence_length,
                                          const json& architecture) {
  if (input_width < 1) throw std::invalid_argument("input width must be positive");
  if (sequence_length < 1) throw std::invalid_argument("sequence length must be positive");
  try {
    switch (type) {
      case ModelType::kLstm: return std::make_shared<LstmNet>(input_width, architecture);
      case ModelType::kGru: return std::make_shared<GruNet>(input_width, architecture);
      case ModelType::kCnn: return std::make_shared<CnnNet>(input_width, architecture);
      case ModelType::kTransformer:
        return std::make_shared<TransformerNet>(input_width, sequence_length, architecture);
      case ModelType::kXgboost: break;
    }
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("bad architecture: ") + e.what());
  }
  throw std::invalid_argument("unknown model type");
}

std::size_t count_parameters(const torch::nn::Module& module) {
  std::size_t n = 0;
  for (const auto& p : module.parameters()) n += static_cast<std::size_t>(p.numel());
  return n;
}

std::vector<torch::Tensor> snapshot_state(const SequenceNet& net) {
  std::vector<torch::Tensor> state;
  for (const auto& p : net.parameters()) state.push_back(p.detach().clone());
  for (const auto& b : net.buffers()) state.push_back(b.detach().clone());
  return state;
}

void restore_state(SequenceNet& net, const std::vector<torch::Tensor>& state) {
  torch::NoGradGuard no_grad;
  std::size_t i = 0;
  for (auto& p : net.parameters()) p.copy_(state.at(i++));
  for (auto& b : net.buffers()) b.copy_(state.at(i++));
}

void drop_gradients(SequenceNet& net) {
  for (auto& p : net.parameters()) p.mutable_grad().reset();
}

std::string save_network_weights(const SequenceNet& net) {
  std::vector<NamedTensor> tensors;
  auto add = [&](const std::string& name, const torch::Tensor& value) {
    const torch::Tensor t = value.detach().to(torch::kFloat32).contiguous();
    NamedTensor nt;
    nt.name = name;
    nt.shape = t.sizes().vec();
    nt.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    tensors.push_back(std::move(nt));
  };
  for (const auto& item : net.named_parameters()) add(item.key(), item.value());
  for (const auto& item : net.named_buffers()) add(item.key(), item.value());
  return encode_tensors(tensors);
}

void load_network_weights(SequenceNet& net, const std::string& bytes) {
  std::vector<NamedTensor> stored;
  try {
    stored = decode_tensors(bytes);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("weights: ") + e.what());
  }
  // Every parameter and buffer of the architecture, in order, with its exact shape: nothing more, nothing less.
  std::vector<std::pair<std::string, torch::Tensor>> targets;
  for (const auto& item : net.named_parameters()) targets.emplace_back(item.key(), item.value());
  for (const auto& item : net.named_buffers()) targets.emplace_back(item.key(), item.value());
  if (stored.size() != targets.size())
    throw std::runtime_error("weights hold " + std::to_string(stored.size()) + " tensors, the architecture has " +
                             std::to_string(targets.size()));
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    auto& [name, tensor] = targets[i];
    const NamedTensor& t = stored[i];
    if (t.name != name || t.shape != tensor.sizes().vec())
      throw std::runtime_error("weights do not fit the architecture (tensor '" + name + "', file has '" + t.name + "')");
    for (float v : t.values)
      if (!std::isfinite(v)) throw std::runtime_error("tensor '" + name + "' holds non-finite values");
    const torch::Tensor from = torch::from_blob(const_cast<float*>(t.values.data()), tensor.sizes(), torch::kFloat32);
    tensor.copy_(from);
  }
}

}  // namespace tbml::training
