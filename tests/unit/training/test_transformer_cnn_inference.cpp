// The Transformer's and the CNN's hand-written serving paths (transformer_inference.h, cnn_inference.h)
// give torch's forward() logits: for the default architectures and non-default ones the architecture
// config allows, at batch 1 and up to the paths' limit (4), past it (torch's path), and for windows with a
// NaN or inf (torch's path, NaN out as before).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "../../../src/training/cnn_inference.h"  // private to the stage: the paths themselves
#include "../../../src/training/networks.h"
#include "../../../src/training/transformer_inference.h"

namespace tbml {
namespace {

using nlohmann::json;

// A network with every parameter moved off its initialisation (layer norms start at weight 1, bias 0,
// which would hide a mix-up of the two), in eval mode.
std::shared_ptr<training::SequenceNet> network(ModelType type, std::int64_t width, std::int64_t steps,
                                               const json& requested) {
  auto net = training::make_network(type, width, steps, training::resolve_architecture(type, requested));
  torch::NoGradGuard no_grad;
  for (auto& p : net->parameters()) p.add_(torch::randn_like(p) * 0.1);
  net->eval();
  return net;
}

template <class Impl>
std::shared_ptr<Impl> child(const training::SequenceNet& net, const std::string& name) {
  auto m = std::dynamic_pointer_cast<Impl>(net.named_children()[name]);
  EXPECT_TRUE(m) << name;
  return m;
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

struct Case {
  ModelType type;
  json architecture;  // null: the defaults
  std::int64_t width, steps;
};

std::string name_of(const Case& c) { return to_string(c.type) + " " + (c.architecture.is_null() ? "defaults" : c.architecture.dump()); }

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {ModelType::kTransformer, nullptr, 8, 20},
      {ModelType::kTransformer, nullptr, 107, 60},  // the serving shape
      {ModelType::kTransformer, {{"dModel", 24}, {"heads", 3}, {"layers", 3}, {"ff", 40}, {"head", 8}}, 8, 20},
      {ModelType::kTransformer, {{"dModel", 16}, {"heads", 1}, {"layers", 1}, {"ff", 16}}, 5, 12},
      {ModelType::kCnn, nullptr, 8, 20},
      {ModelType::kCnn, nullptr, 107, 60},
      {ModelType::kCnn, {{"channels", json::array({8, 16})}, {"kernel", 5}, {"head", 8}}, 8, 20},
      {ModelType::kCnn, {{"channels", json::array({12})}, {"kernel", 1}}, 6, 9},
  };
  return all;
}

TEST(TransformerCnnInference, InferEqualsForwardAtEveryBatch) {
  torch::manual_seed(11);
  for (const Case& c : cases()) {
    auto net = network(c.type, c.width, c.steps, c.architecture);
    c10::InferenceMode guard;
    for (std::int64_t batch : {1, 2, 4, 5}) {  // 5: past the hand-written paths' limit
      const torch::Tensor x = torch::randn({batch, c.steps, c.width});
      const torch::Tensor a = net->forward(x), b = net->infer(x);
      ASSERT_EQ(a.sizes(), b.sizes()) << name_of(c);
      EXPECT_LT(max_diff(a, b), 1e-5) << name_of(c) << " batch " << batch;
      EXPECT_GT(a.abs().max().item<double>(), 1e-3) << name_of(c);  // not trivially zero logits
    }
  }
}

// The paths themselves run (infer() would fall back to torch silently): called directly on the
// network's own modules, they answer, and give forward()'s logits.
TEST(TransformerCnnInference, HandWrittenPathsTakeTheNetworks) {
  torch::manual_seed(12);
  for (const Case& c : cases()) {
    auto net = network(c.type, c.width, c.steps, c.architecture);
    c10::InferenceMode guard;
    for (std::int64_t batch : {1, 3}) {
      const torch::Tensor x = torch::randn({batch, c.steps, c.width});
      std::optional<torch::Tensor> got;
      torch::Tensor want;
      if (c.type == ModelType::kCnn) {
        got = training::cnn_logits(torch::nn::Sequential(child<torch::nn::SequentialImpl>(*net, "convs")),
                                   torch::nn::Sequential(child<torch::nn::SequentialImpl>(*net, "head")), x);
        want = net->forward(x);
      } else {
        // Any positions table works: a random one, one step longer than the window (a shorter window).
        torch::nn::Linear input(child<torch::nn::LinearImpl>(*net, "input"));
        torch::nn::TransformerEncoder encoder(child<torch::nn::TransformerEncoderImpl>(*net, "encoder"));
        torch::nn::LayerNorm norm(child<torch::nn::LayerNormImpl>(*net, "norm"));
        torch::nn::Sequential head(child<torch::nn::SequentialImpl>(*net, "head"));
        const torch::Tensor positions = torch::randn({c.steps + 1, input->options.out_features()});
        got = training::transformer_logits(input, positions, encoder, norm, head, x);
        auto h = input->forward(x) + positions.slice(0, 0, c.steps).unsqueeze(0);
        want = head->forward(norm->forward(encoder->forward(h.transpose(0, 1)).mean(0))).squeeze(-1);
      }
      ASSERT_TRUE(got.has_value()) << name_of(c);
      EXPECT_LT(max_diff(*got, want), 1e-5) << name_of(c) << " batch " << batch;
    }
  }
}

TEST(TransformerCnnInference, NonFiniteWindowsGoToTorch) {
  torch::manual_seed(13);
  for (const Case& c : cases()) {
    auto net = network(c.type, c.width, c.steps, c.architecture);
    c10::InferenceMode guard;
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
      torch::Tensor x = torch::randn({2, c.steps, c.width});
      x[1][c.steps - 1][0] = bad;
      const torch::Tensor a = net->forward(x), b = net->infer(x);
      // Window 0 is clean; window 1 gives what torch gives (the predictor rejects a non-finite answer).
      EXPECT_LT(std::abs(a[0].item<double>() - b[0].item<double>()), 1e-5) << name_of(c);
      if (std::isnan(a[1].item<double>())) {
        EXPECT_TRUE(std::isnan(b[1].item<double>())) << name_of(c) << " " << bad;
      } else {
        EXPECT_EQ(a[1].item<double>(), b[1].item<double>()) << name_of(c) << " " << bad;
      }
      if (std::isnan(bad)) {
        EXPECT_TRUE(std::isnan(b[1].item<double>())) << name_of(c);
      }
    }
    // Directly: the paths decline a non-finite window rather than answer it.
    torch::Tensor one = torch::randn({1, c.steps, c.width});
    one[0][0][0] = std::numeric_limits<float>::infinity();
    if (c.type == ModelType::kCnn) {
      EXPECT_FALSE(training::cnn_logits(torch::nn::Sequential(child<torch::nn::SequentialImpl>(*net, "convs")),
                                        torch::nn::Sequential(child<torch::nn::SequentialImpl>(*net, "head")), one));
    } else {
      torch::nn::Linear input(child<torch::nn::LinearImpl>(*net, "input"));
      EXPECT_FALSE(training::transformer_logits(
          input, torch::zeros({c.steps, input->options.out_features()}),
          torch::nn::TransformerEncoder(child<torch::nn::TransformerEncoderImpl>(*net, "encoder")),
          torch::nn::LayerNorm(child<torch::nn::LayerNormImpl>(*net, "norm")),
          torch::nn::Sequential(child<torch::nn::SequentialImpl>(*net, "head")), one));
    }
  }
}

}  // namespace
}  // namespace tbml
