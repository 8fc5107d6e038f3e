#include "tbml/training/tree_trainer.h"

#include <chrono>
#include <cmath>

#include "tbml/training/calibration.h"
#include "tbml/training/dataset.h"
#include "tbml/training/metrics.h"
#include "tbml/training/normaliser.h"
#include "tbml/trees/boosted_trees.h"
#include "tbml/trees/window_summary.h"
#include "tbml/util/time.h"
#include "train_support.h"
#include "tree_model.h"

namespace tbml {
namespace {

using training::labels_of;

std::vector<float> as_float(const std::vector<std::uint8_t>& y) { return std::vector<float>(y.begin(), y.end()); }

nlohmann::json tree_training_settings(const TrainOptions& o, int threads) {
  return nlohmann::json{{"seed", o.seed},
                        {"threads", threads},
                        {"trainFraction", o.train_fraction},
                        {"validationFraction", o.validation_fraction},
                        {"maxWindows", o.max_windows}};
}

}  // namespace

TrainResult train_tree_model(const Series& series, const TrainOptions& options, const TrainControl& control) {
  const auto started = std::chrono::steady_clock::now();
  options.validate();
  if (series.width == 0) throw std::invalid_argument("series has no feature columns");
  const nlohmann::json arch = resolve_tree_architecture(options.architecture);
  BoostedTreesOptions trees_options = tree_options_from_architecture(arch);
  trees_options.objective = TreeObjective::kBinaryLogistic;
  trees_options.threads = options.torch_threads > 0 ? options.torch_threads : 1;
  trees_options.seed = options.seed;

  ModelInfo info;
  info.type = ModelType::kXgboost;
  info.pair = series.pair;
  info.sequence_length = options.sequence_length;
  info.horizon = options.horizon;
  training::resolve_feature_names(series, options, info);

  const Dataset ds = make_dataset(series, training::dataset_options(options));

  // As for the networks: z-scores fitted on the rows training windows read, applied to every raw row,
  // then each window summarised from its normalised rows (exactly what TreeModel::predict does).
  const std::size_t width = series.width;
  const std::size_t steps = ds.sequence_length;
  const Normaliser normaliser =
      Normaliser::fit(series.features.data(), width, training::training_rows(ds, series.size()));
  std::vector<float> rows = series.features;
  normaliser.apply(rows.data(), series.size());
  const std::vector<float> x_train = training::summarise_windows(rows.data(), width, steps, ds.train);
  const std::vector<float> x_val = training::summarise_windows(rows.data(), width, steps, ds.validation);
  const std::vector<float> x_test = training::summarise_windows(rows.data(), width, steps, ds.test);
  const std::vector<std::uint8_t> y_train = labels_of(ds.train);
  const std::vector<std::uint8_t> y_val = labels_of(ds.validation);
  const std::vector<std::uint8_t> y_test = labels_of(ds.test);

  auto is_cancelled = [&] { return control.cancelled && control.cancelled(); };
  if (is_cancelled()) throw TrainingCancelled();
  auto on_round = [&](const BoostedTreesRound& r) {
    if (is_cancelled()) throw TrainingCancelled();
    if (!control.on_epoch) return;
    EpochProgress progress;
    progress.type = ModelType::kXgboost;
    progress.epoch = r.round;
    progress.epochs = r.max_rounds;
    progress.train_loss = r.train_loss;
    progress.validation_loss = r.validation_loss;
    progress.validation_accuracy = r.validation_accuracy;
    progress.best_epoch = r.best_round;
    progress.improved = r.improved;
    progress.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    control.on_epoch(progress);
  };
  const std::size_t columns = window_summary_width(width);
  BoostedTrees trees =
      BoostedTrees::fit(x_train, as_float(y_train), x_val, as_float(y_val), columns, trees_options, on_round);
  if (is_cancelled()) throw TrainingCancelled();

  TrainingReport report;
  report.epochs_run = trees.fit_info().rounds_run;
  report.best_epoch = trees.fit_info().best_round;
  report.train = split_metrics(trees.predict(x_train.data(), ds.train.size()), y_train);
  const std::vector<double> p_val = trees.predict(x_val.data(), ds.validation.size());
  report.validation = split_metrics(p_val, y_val);
  // Calibrated on validation predictions only, with the networks' held-out check.
  const CalibrationChoice calibration = choose_calibrator(p_val, y_val);
  report.calibration = calibration.to_json();
  const std::vector<double> p_test = trees.predict(x_test.data(), ds.test.size());
  report.test_uncalibrated = split_metrics(p_test, y_test);
  const std::vector<double> p_served = calibration.calibrator.apply(p_test);
  report.test = split_metrics(p_served, y_test);
  report.edge = measure_edge(p_served, y_test, report.train.base_rate, options.horizon);
  report.data_from = ds.data_from;
  report.data_to = ds.data_to;
  report.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  info.parameters = trees.nodes();
  info.config = nlohmann::json{{"architecture", arch},
                               {"training", tree_training_settings(options, trees_options.threads)}};
  info.report = report;
  info.trained_at = now_ms();

  TrainResult result;
  result.report = report;
  result.model = std::make_shared<training::TreeModel>(info, normaliser, arch, std::move(trees), calibration.calibrator);
  if (control.incumbent) {
    try {
      training::score_incumbent(*control.incumbent, series, info, ds.test, result);
    } catch (const std::exception& e) {
      result.incumbent_test.reset();
      result.incumbent_note = std::string("incumbent failed to predict: ") + e.what();
    }
  }
  return result;
}

void check_tree_architecture(const nlohmann::json& architecture) { (void)resolve_tree_architecture(architecture); }

}  // namespace tbml
