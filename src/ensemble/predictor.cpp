#include "tbml/ensemble/predictor.h"

#include <chrono>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "tbml/util/time.h"

namespace tbml {

namespace {

double micros_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
}

// Returns an error message, or empty when the model's output is usable.
std::string check_output(const std::vector<double>& out) {
  if (out.size() != 1) return fmt::format("model returned {} values for a batch of 1", out.size());
  if (!std::isfinite(out[0])) return "model returned a non-finite probability";
  if (out[0] < 0.0 || out[0] > 1.0) return fmt::format("model returned {} which is outside [0, 1]", out[0]);
  return {};
}

}  // namespace

PredictionSnapshot run_models(const std::vector<ModelPtr>& models, const float* window, std::size_t rows,
                              std::size_t width, const PredictionMeta& meta) {
  if (meta.pair.empty()) throw std::invalid_argument("run_models: pair is empty");
  if (window == nullptr || rows == 0 || width == 0) {
    throw std::invalid_argument("run_models: window for " + meta.pair + " is empty");
  }
  PredictionSnapshot snap;
  snap.pair = meta.pair;
  snap.data_timestamp = meta.data_timestamp;
  snap.computed_at = meta.computed_at != 0 ? meta.computed_at : now_ms();
  snap.feature_count = width;
  snap.horizon = meta.horizon;
  snap.sequence_length = rows;

  const auto all_start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < models.size(); ++i) {
    const ModelPtr& model = models[i];
    if (!model) {
      snap.errors[fmt::format("model#{}", i)] = "no model object";
      continue;
    }
    const ModelInfo& info = model->info();
    const std::string name = to_string(info.type);
    if (snap.find(name) != nullptr || snap.errors.count(name) != 0) {
      // Results are keyed by type name; a second model of the same type would silently overwrite.
      snap.errors[fmt::format("{}#{}", name, i)] = "duplicate model type " + name + " for this pair; ignored";
      continue;
    }
    if (info.sequence_length != rows || info.feature_names.size() != width) {
      snap.errors[name] = fmt::format("model expects a {}x{} window, got {}x{}", info.sequence_length,
                                      info.feature_names.size(), rows, width);
      continue;
    }
    const auto start = std::chrono::steady_clock::now();
    std::vector<double> out;
    std::string error;
    try {
      out = model->predict(window, 1);
      error = check_output(out);
    } catch (const std::exception& e) {
      error = std::string("prediction failed: ") + e.what();
    } catch (...) {
      error = "prediction failed with an unknown exception";
    }
    const double us = micros_since(start);
    if (!error.empty()) {
      snap.errors[name] = error;
      snap.error_inference_us[name] = us;
      continue;
    }
    ModelPrediction m;
    m.model = name;
    m.probability = out[0];
    m.version = info.version;
    m.trained_at = info.trained_at;
    m.inference_us = us;
    m.edge = info.report.edge;
    if (meta.mc_dropout_passes > 0) {
      // The interval is extra information: samples that fail or fall outside [0, 1] are dropped, the
      // prediction itself stands.
      const auto sample_start = std::chrono::steady_clock::now();
      try {
        if (auto s = model->predict_samples(window, meta.mc_dropout_passes)) {
          bool ok = !s->empty();
          for (double v : *s) ok = ok && std::isfinite(v) && v >= 0.0 && v <= 1.0;
          if (ok) m.samples = std::move(*s);
        }
      } catch (const std::exception&) {
        m.samples.clear();
      }
      m.samples_us = micros_since(sample_start);
      if (m.samples.empty()) m.samples_us = 0.0;
    }
    snap.models.push_back(std::move(m));
  }
  snap.total_us = micros_since(all_start);
  return snap;
}

}  // namespace tbml
