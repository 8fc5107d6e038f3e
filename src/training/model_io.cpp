#include "tbml/training/model_io.h"

#include <cmath>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "networks.h"
#include "tbml/models/tensor_file.h"
#include "tbml/trees/boosted_trees.h"
#include "tbml/util/atomic_file.h"
#include "torch_model.h"
#include "tree_model.h"

namespace tbml {
namespace {

// Networks: named float tensors (models/tensor_file). The first format, torch's own archive, is refused:
// its reader can crash the process on a damaged or hostile file, so such models are retrained.
constexpr const char* kTorchFormat = kTensorFileFormat;
constexpr const char* kOldTorchFormat = "tbml-torch-1";
constexpr const char* kTreeFormat = "tbml-xgboost-1";  // weights: XGBoost's JSON model bytes

[[noreturn]] void fail(const std::string& why) { throw std::runtime_error("cannot import model: " + why); }

void load_weights(training::SequenceNet& net, const std::string& bytes) {
  try {
    training::load_network_weights(net, bytes);
  } catch (const std::runtime_error& e) {
    fail(e.what());
  }
}

}  // namespace

ModelArtifact export_model(const Model& model) {
  ModelArtifact artifact;
  artifact.meta = model.info().to_json();
  if (const auto* torch_model = dynamic_cast<const training::TorchModel*>(&model)) {
    artifact.weights = torch_model->weights();
    artifact.meta["format"] = kTorchFormat;
    artifact.meta["normaliser"] = torch_model->normaliser().to_json();
    artifact.meta["architecture"] = torch_model->architecture();
    artifact.meta["calibration"] = torch_model->calibrator().to_json();
  } else if (const auto* tree_model = dynamic_cast<const training::TreeModel*>(&model)) {
    artifact.weights = tree_model->weights();
    artifact.meta["format"] = kTreeFormat;
    artifact.meta["normaliser"] = tree_model->normaliser().to_json();
    artifact.meta["architecture"] = tree_model->architecture();
    artifact.meta["calibration"] = tree_model->calibrator().to_json();
  } else {
    throw std::invalid_argument("export_model: not a model of the training library");
  }
  artifact.meta["weightsBytes"] = artifact.weights.size();
  artifact.meta["weightsChecksum"] = checksum_hex(artifact.weights);
  return artifact;
}

ModelPtr import_model(const ModelArtifact& artifact) {
  const nlohmann::json& meta = artifact.meta;
  if (!meta.is_object()) fail("meta is not a JSON object");
  try {
    const std::string format = meta.value("format", std::string());
    if (format == kOldTorchFormat)
      fail(std::string("format ") + kOldTorchFormat + " (torch archive) is no longer read: its loader can crash on "
           "a damaged or hostile file; the model must be retrained");
    if (format != kTorchFormat && format != kTreeFormat)
      fail("unknown format '" + format + "' (expected " + kTorchFormat + " or " + kTreeFormat + ")");
    const auto size = meta.at("weightsBytes").get<std::size_t>();
    if (artifact.weights.size() != size)
      fail("weights have " + std::to_string(artifact.weights.size()) + " bytes, meta says " +
           std::to_string(size) + " (truncated?)");
    if (checksum_hex(artifact.weights) != meta.at("weightsChecksum").get<std::string>())
      fail("weights checksum mismatch (corrupted)");

    ModelInfo info = ModelInfo::from_json(meta);
    if (info.feature_names.empty()) fail("meta lists no features");
    Normaliser normaliser = Normaliser::from_json(meta.at("normaliser"));
    if (normaliser.width() != info.feature_names.size())
      fail("normaliser has " + std::to_string(normaliser.width()) + " features, meta lists " +
           std::to_string(info.feature_names.size()));
    // Models saved before calibration existed have no "calibration" key: they serve raw probabilities.
    const auto it = meta.find("calibration");
    const PlattCalibrator calibrator =
        it == meta.end() ? PlattCalibrator() : PlattCalibrator::from_json(*it);
    if ((format == kTreeFormat) != (info.type == ModelType::kXgboost))
      fail("format " + format + " cannot hold a " + to_string(info.type) + " model");

    ModelPtr model;
    if (format == kTreeFormat) {
      const auto arch = resolve_tree_architecture(meta.at("architecture"));
      std::optional<BoostedTrees> trees;
      try {
        trees = BoostedTrees::load(artifact.weights);
      } catch (const std::runtime_error& e) {
        fail(std::string("xgboost: ") + e.what());
      }
      if (trees->nodes() != info.parameters)
        fail("trees have " + std::to_string(trees->nodes()) + " nodes, meta says " + std::to_string(info.parameters));
      model = std::make_shared<training::TreeModel>(std::move(info), std::move(normaliser), arch, std::move(*trees),
                                                    calibrator);
    } else {
      const auto arch = training::resolve_architecture(info.type, meta.at("architecture"));
      auto net = training::make_network(info.type, static_cast<std::int64_t>(info.feature_names.size()),
                                        static_cast<std::int64_t>(info.sequence_length), arch);
      load_weights(*net, artifact.weights);
      if (training::count_parameters(*net) != info.parameters)
        fail("network has " + std::to_string(training::count_parameters(*net)) + " parameters, meta says " +
             std::to_string(info.parameters));
      model = std::make_shared<training::TorchModel>(std::move(info), std::move(normaliser), arch, net, calibrator);
    }
    // One trial prediction so a model that cannot run is rejected here, not on the request path.
    const ModelInfo& loaded = model->info();
    std::vector<float> zeros(loaded.sequence_length * loaded.feature_names.size(), 0.0f);
    const auto p = model->predict(zeros.data(), 1);
    if (p.size() != 1 || !std::isfinite(p[0])) fail("trial prediction is not a finite probability");
    return model;
  } catch (const std::runtime_error&) {
    throw;
  } catch (const c10::Error& e) {
    fail(std::string("torch: ") + e.what_without_backtrace());
  } catch (const nlohmann::json::exception& e) {
    fail(std::string("bad meta: ") + e.what());
  } catch (const std::exception& e) {
    fail(e.what());
  }
}

}  // namespace tbml
