#pragma once
// What every trainer of the stage shares (the networks' trainer.cpp and the trees' tree_trainer.cpp), so
// both apply one set of honesty rules: the normaliser sees only rows read by training windows, feature
// names resolve the same way, and the incumbent is scored on the same test windows. Private to training.
#include <cstdint>
#include <vector>

#include "tbml/market/series.h"
#include "tbml/models/model.h"
#include "tbml/training/dataset.h"
#include "tbml/training/trainer.h"

namespace tbml::training {

constexpr std::size_t kEvalChunk = 512;  // windows per prediction call when scoring a part

std::vector<std::uint8_t> labels_of(const std::vector<Window>& windows);

// Rows read by at least one training window: the only rows the normaliser may look at.
std::vector<std::uint8_t> training_rows(const Dataset& ds, std::size_t n_rows);

// Fills info.feature_names / feature_version from the options, or from the FeaturePipeline when the
// series has its width. Throws std::invalid_argument on a mismatch.
void resolve_feature_names(const Series& series, const TrainOptions& options, ModelInfo& info);

// The dataset every member is trained on: the same split, embargo and window cap for networks and trees.
DatasetOptions dataset_options(const TrainOptions& options);

// Scores the incumbent on the new test windows with raw rows (it applies its own normaliser); sets
// result.incumbent_test or result.incumbent_note. May throw whatever the incumbent's predict throws.
void score_incumbent(const Model& incumbent, const Series& series, const ModelInfo& info,
                     const std::vector<Window>& test, TrainResult& result);

}  // namespace tbml::training
