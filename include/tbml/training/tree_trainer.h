#pragma once
// Trains gradient-boosted trees (ModelType::kXgboost) on one pair's Series under the networks' rules:
// the same chronological windows, split and embargo (make_dataset), the z-score normaliser fitted on
// training windows only and applied to raw rows before the window summary (tbml/trees/window_summary.h),
// early stopping on the validation part with the best round kept, the same Platt calibration check,
// metrics on every part and the incumbent scored on the same test windows. train_model() dispatches
// kXgboost here, so callers need not know which kind of model they train.
//
// Hyper-parameters come from options.architecture (see resolve_tree_architecture in
// tbml/trees/boosted_trees.h); options.seed seeds the subsampling and options.torch_threads (1 when 0)
// is XGBoost's nthread. epochs, batch_size, learning_rate, patience and weight_decay are the networks'
// and do not apply. The report counts boosting rounds as epochs: epochs_run = rounds run, best_epoch =
// rounds kept; TrainControl::on_epoch is called after every round and cancellation is polled there.
#include "tbml/training/trainer.h"

namespace tbml {

// Throws std::invalid_argument for bad options (unknown architecture keys named) or too little data,
// TrainingCancelled on cancel and std::runtime_error if XGBoost fails.
TrainResult train_tree_model(const Series& series, const TrainOptions& options, const TrainControl& control = {});

// Checks the configured tree settings (ml.architectures.xgboost) at start-up, so a typo stops the service
// before it trains; throws std::invalid_argument naming the key.
void check_tree_architecture(const nlohmann::json& architecture);

}  // namespace tbml
