#pragma once
// Multiply-adds of one forward pass of each network on one T x F window, counted from its stored
// architecture (ModelInfo::config["architecture"]), and a measured single-core GEMM rate: together the
// hardware floor the bench prints beside the measured recompute. Only the matrix products are counted
// (activations, norms and softmax are O(T x width), a few per cent).
#include <cstdint>

#include <nlohmann/json.hpp>

#include "tbml/models/model.h"

namespace tbml::bench {

inline double forward_macs(ModelType type, const nlohmann::json& arch, double t, double f) {
  auto num = [&](const char* k) { return arch.at(k).get<double>(); };
  switch (type) {
    case ModelType::kLstm:
    case ModelType::kGru: {
      const double gates = type == ModelType::kLstm ? 4 : 3, h = num("hidden"), layers = num("layers");
      // Per step and layer: the input product (F or H wide) and the recurrent one (H wide).
      const double first = t * gates * h * (f + h), rest = (layers - 1) * t * gates * h * (h + h);
      return first + rest + h * num("head") + num("head");
    }
    case ModelType::kCnn: {
      double in = f, macs = 0;
      for (const auto& c : arch.at("channels")) {
        macs += t * c.get<double>() * in * num("kernel");
        in = c.get<double>();
      }
      return macs + in * num("head") + num("head");
    }
    case ModelType::kTransformer: {
      const double d = num("dModel"), ff = num("ff"), layers = num("layers");
      // q/k/v and output projections, scores and weighted sum over T x T, the two feed-forward products.
      const double layer = t * d * 3 * d + 2 * t * t * d + t * d * d + 2 * t * d * ff;
      return t * f * d + layers * layer + d * num("head") + num("head");
    }
    case ModelType::kXgboost: return 0;  // a window summary and a few tree lookups
  }
  return 0;
}

}  // namespace tbml::bench
