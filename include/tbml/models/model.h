#pragma once
// A trained, immutable model as the rest of the service sees it: no torch types here, so the API,
// ensemble and storage code never compile libtorch headers. Models are shared as
// std::shared_ptr<const Model>; predict() is const and safe to call from several threads.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/models/edge.h"

namespace tbml {

// The four networks (libtorch, training/) and gradient-boosted trees (XGBoost, training/tree_*).
enum class ModelType { kLstm, kGru, kCnn, kTransformer, kXgboost };

const std::vector<ModelType>& all_model_types();
std::string to_string(ModelType type);
std::optional<ModelType> parse_model_type(std::string_view name);  // "lstm", "gru", "cnn", "transformer", "xgboost"
bool is_network(ModelType type);  // a libtorch sequence network (not the trees)
// A comma list such as "lstm, cnn"; throws std::invalid_argument naming an unknown or missing model.
std::vector<ModelType> parse_model_list(const std::string& list);

// Metrics of one model on one chronological part of the data.
struct SplitMetrics {
  std::size_t samples = 0;
  double loss = 0.0;       // binary cross-entropy
  double accuracy = 0.0;   // threshold 0.5
  double brier = 0.0;
  double auc = 0.5;
  double base_rate = 0.0;  // share of label 1 in this part
  nlohmann::json to_json() const;
  static SplitMetrics from_json(const nlohmann::json& j);
};

struct TrainingReport {
  // train and validation: the network's own output (the calibrator is fitted on validation predictions);
  // test: as served (calibrated when the calibrator passed its check on validation data).
  SplitMetrics train, validation, test;
  std::optional<SplitMetrics> test_uncalibrated;  // the test part before calibration (absent in old meta)
  nlohmann::json calibration;  // whether Platt scaling passed its held-out check, with the numbers (null in old meta)
  // The served probabilities' Brier score on the test part against the training base rate, with its
  // block-bootstrap interval: whether the model has a real edge (absent in old meta: treated as none).
  std::optional<DirectionEdge> edge;
  int epochs_run = 0;
  int best_epoch = 0;
  double wall_seconds = 0.0;
  std::int64_t data_from = 0;  // first and last candle timestamp used
  std::int64_t data_to = 0;
  bool cancelled = false;
  // Whether the served probabilities' calibration was checked on held-out validation predictions
  // (calibration.heldOut > 0), whichever way the check went: what position sizing requires.
  bool calibration_checked() const;
  nlohmann::json to_json() const;
  static TrainingReport from_json(const nlohmann::json& j);
};

struct ModelInfo {
  ModelType type = ModelType::kLstm;
  std::string pair;
  int version = 0;
  std::int64_t trained_at = 0;  // epoch ms
  std::vector<std::string> feature_names;
  std::string feature_version;
  std::size_t sequence_length = 60;
  std::size_t horizon = 5;
  std::size_t parameters = 0;
  nlohmann::json config;  // architecture and training settings used
  TrainingReport report;
  nlohmann::json to_json() const;
  static ModelInfo from_json(const nlohmann::json& j);
};

class Model {
 public:
  virtual ~Model() = default;
  virtual const ModelInfo& info() const = 0;
  // `windows` holds `batch` windows, each sequence_length rows of feature_names.size() raw (unnormalised)
  // floats, row-major. The model applies its stored normaliser. Returns P(close rises over the horizon).
  virtual std::vector<double> predict(const float* windows, std::size_t batch) const = 0;
  // What the model leans on: (feature name, total split gain) for models that can say (the trees),
  // summed over everything derived from the feature and sorted descending; empty for the others.
  virtual std::vector<std::pair<std::string, double>> feature_importance() const { return {}; }
  // Monte-Carlo dropout: `passes` served (calibrated) probabilities for ONE window, each from a forward
  // pass with the dropout layers active, for an interval on P(up). nullopt for models without dropout
  // (the trees) and by default; predict() is unaffected.
  virtual std::optional<std::vector<double>> predict_samples(const float* window, std::size_t passes) const {
    return std::nullopt;
  }
};

using ModelPtr = std::shared_ptr<const Model>;

}  // namespace tbml
