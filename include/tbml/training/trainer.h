#pragma once
// Trains one network on one pair's Series: chronological dataset, normaliser fitted on the training part,
// Adam + binary cross-entropy, early stopping on validation loss with the best weights restored, metrics on
// every part. Torch-free interface: the result is a tbml::Model.
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/market/series.h"
#include "tbml/models/model.h"

namespace tbml {

struct TrainOptions {
  int epochs = 30;
  int batch_size = 64;
  double learning_rate = 1e-3;
  int patience = 5;  // epochs without a validation-loss improvement before stopping; 0 = never stop early
  std::uint64_t seed = 42;
  std::size_t sequence_length = 60;
  std::size_t horizon = 5;
  double train_fraction = 0.70;
  double validation_fraction = 0.15;
  std::size_t max_windows = 0;  // 0 = all windows; otherwise the most recent ones
  double weight_decay = 0.0;
  nlohmann::json architecture = nlohmann::json::object();  // merged over the type's defaults
  int torch_threads = 0;                                    // 0 = leave torch's setting alone
  // Column names of the Series' feature rows. Empty: FeaturePipeline::names() when the width matches.
  std::vector<std::string> feature_names;
  std::string feature_version;

  void validate() const;  // throws std::invalid_argument naming the bad field
};

struct EpochProgress {
  ModelType type = ModelType::kLstm;
  int epoch = 0;  // 1-based
  int epochs = 0;
  double train_loss = 0.0;
  double validation_loss = 0.0;
  double validation_accuracy = 0.0;
  int best_epoch = 0;
  bool improved = false;
  double elapsed_seconds = 0.0;
};

struct TrainControl {
  std::function<bool()> cancelled;                      // polled between batches
  std::function<void(const EpochProgress&)> on_epoch;  // after every epoch
  ModelPtr incumbent;  // if set, also scored on the new test split (same windows, its own normaliser)
};

struct TrainResult {
  ModelPtr model;
  TrainingReport report;
  std::optional<SplitMetrics> incumbent_test;
  std::string incumbent_note;  // why the incumbent could not be scored, when it could not
};

// Thrown by train_model when TrainControl::cancelled returned true; no model is produced.
class TrainingCancelled : public std::runtime_error {
 public:
  TrainingCancelled() : std::runtime_error("training cancelled") {}
};

// Throws std::invalid_argument for bad options or too little data, TrainingCancelled on cancel and
// std::runtime_error if torch fails.
TrainResult train_model(ModelType type, const Series& series, const TrainOptions& options,
                        const TrainControl& control = {});

}  // namespace tbml
