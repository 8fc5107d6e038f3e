#pragma once
// A trained model as two blobs for storage: JSON metadata (ModelInfo + normaliser + architecture +
// weights checksum) and the torch archive of the network's weights.
#include <string>

#include <nlohmann/json.hpp>

#include "tbml/models/model.h"

namespace tbml {

struct ModelArtifact {
  nlohmann::json meta;
  std::string weights;
};

// Throws std::invalid_argument when `model` was not produced by this library (train_model/import_model).
ModelArtifact export_model(const Model& model);

// Rebuilds the network from meta, loads and checks the weights. Throws std::runtime_error saying why on
// any mismatch, truncation or corruption; never crashes on bad bytes.
ModelPtr import_model(const ModelArtifact& artifact);

}  // namespace tbml
