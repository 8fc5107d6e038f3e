#include "tbml/training/trainer.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <cmath>
#include <numeric>
#include <random>

#include "networks.h"
#include "tbml/training/calibration.h"
#include "tbml/training/dataset.h"
#include "tbml/training/metrics.h"
#include "tbml/training/normaliser.h"
#include "tbml/training/tree_trainer.h"
#include "tbml/util/time.h"
#include "torch_model.h"
#include "train_support.h"

namespace tbml {

void TrainOptions::validate() const {
  if (epochs < 1) throw std::invalid_argument("epochs must be at least 1");
  if (batch_size < 1) throw std::invalid_argument("batch_size must be at least 1");
  if (!(learning_rate > 0.0) || !std::isfinite(learning_rate))
    throw std::invalid_argument("learning_rate must be a positive number");
  if (patience < 0) throw std::invalid_argument("patience must not be negative");
  if (!(weight_decay >= 0.0) || !std::isfinite(weight_decay))
    throw std::invalid_argument("weight_decay must be a non-negative number");
  if (torch_threads < 0) throw std::invalid_argument("torch_threads must not be negative");
  if (!architecture.is_null() && !architecture.is_object())
    throw std::invalid_argument("architecture must be a JSON object");
}

namespace {

using training::kEvalChunk;
using training::labels_of;
using training::resolve_feature_names;
using training::score_incumbent;
using training::SequenceNet;
using training::training_rows;

constexpr double kMinImprovement = 1e-5;  // smaller validation-loss changes count as a stall
constexpr double kGradClip = 1.0;         // keeps early LSTM/GRU steps from exploding

// Windows of `rows` (already normalised) gathered into one [n, T, F] tensor.
torch::Tensor gather(const std::vector<float>& rows, std::size_t width, std::size_t steps,
                     const std::vector<Window>& windows, const std::size_t* order, std::size_t n) {
  auto out = torch::empty({static_cast<std::int64_t>(n), static_cast<std::int64_t>(steps),
                           static_cast<std::int64_t>(width)},
                          torch::kFloat);
  float* dst = out.data_ptr<float>();
  for (std::size_t i = 0; i < n; ++i) {
    const Window& w = windows[order ? order[i] : i];
    copy_window(rows.data(), width, w.last, steps, dst + i * steps * width);
  }
  return out;
}

std::vector<double> evaluate(SequenceNet& net, const std::vector<float>& rows, std::size_t width,
                             std::size_t steps, const std::vector<Window>& windows) {
  net.eval();
  torch::NoGradGuard no_grad;
  std::vector<double> p;
  p.reserve(windows.size());
  std::vector<std::size_t> order(std::min(kEvalChunk, windows.size()));
  for (std::size_t start = 0; start < windows.size(); start += kEvalChunk) {
    const std::size_t n = std::min(kEvalChunk, windows.size() - start);
    std::iota(order.begin(), order.begin() + n, start);
    auto chunk = training::probabilities(net, gather(rows, width, steps, windows, order.data(), n));
    p.insert(p.end(), chunk.begin(), chunk.end());
  }
  return p;
}

nlohmann::json training_settings(const TrainOptions& o) {
  return nlohmann::json{{"epochs", o.epochs},
                        {"batchSize", o.batch_size},
                        {"learningRate", o.learning_rate},
                        {"patience", o.patience},
                        {"seed", o.seed},
                        {"weightDecay", o.weight_decay},
                        {"trainFraction", o.train_fraction},
                        {"validationFraction", o.validation_fraction},
                        {"maxWindows", o.max_windows}};
}

}  // namespace

TrainResult train_model(ModelType type, const Series& series, const TrainOptions& options,
                        const TrainControl& control) {
  if (type == ModelType::kXgboost) return train_tree_model(series, options, control);  // tree_trainer.cpp
  const auto started = std::chrono::steady_clock::now();
  options.validate();
  if (series.width == 0) throw std::invalid_argument("series has no feature columns");

  ModelInfo info;
  info.type = type;
  info.pair = series.pair;
  info.sequence_length = options.sequence_length;
  info.horizon = options.horizon;
  resolve_feature_names(series, options, info);

  const Dataset ds = make_dataset(series, training::dataset_options(options));

  const std::size_t width = series.width;
  const std::size_t steps = ds.sequence_length;
  const Normaliser normaliser = Normaliser::fit(series.features.data(), width, training_rows(ds, series.size()));
  std::vector<float> rows = series.features;  // one normalised copy; windows index into it
  normaliser.apply(rows.data(), series.size());

  if (options.torch_threads > 0) torch::set_num_threads(options.torch_threads);
  torch::manual_seed(options.seed);
  const nlohmann::json arch = training::resolve_architecture(type, options.architecture);
  auto net = training::make_network(type, static_cast<std::int64_t>(width), static_cast<std::int64_t>(steps), arch);
  torch::optim::Adam optimizer(net->parameters(),
                               torch::optim::AdamOptions(options.learning_rate).weight_decay(options.weight_decay));

  const std::vector<std::uint8_t> y_val = labels_of(ds.validation);
  std::mt19937_64 rng(options.seed);
  std::vector<std::size_t> order(ds.train.size());
  std::iota(order.begin(), order.end(), 0);
  auto is_cancelled = [&] { return control.cancelled && control.cancelled(); };

  TrainingReport report;
  double best_loss = std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> best_state = snapshot_state(*net);
  const auto batch = static_cast<std::size_t>(options.batch_size);

  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    net->train();
    std::shuffle(order.begin(), order.end(), rng);  // shuffling only inside the training part
    double loss_sum = 0.0;
    for (std::size_t start = 0; start < order.size(); start += batch) {
      if (is_cancelled()) throw TrainingCancelled();
      const std::size_t n = std::min(batch, order.size() - start);
      auto x = gather(rows, width, steps, ds.train, order.data() + start, n);
      auto target = torch::empty({static_cast<std::int64_t>(n)}, torch::kFloat);
      float* t = target.data_ptr<float>();
      for (std::size_t i = 0; i < n; ++i) t[i] = static_cast<float>(ds.train[order[start + i]].label);
      optimizer.zero_grad();
      auto loss = torch::binary_cross_entropy_with_logits(net->forward(x), target);
      loss.backward();
      torch::nn::utils::clip_grad_norm_(net->parameters(), kGradClip);
      optimizer.step();
      loss_sum += loss.item<double>() * static_cast<double>(n);
    }
    if (is_cancelled()) throw TrainingCancelled();

    const auto p_val = evaluate(*net, rows, width, steps, ds.validation);
    EpochProgress progress;
    progress.type = type;
    progress.epoch = epoch;
    progress.epochs = options.epochs;
    progress.train_loss = loss_sum / static_cast<double>(order.size());
    progress.validation_loss = log_loss(p_val, y_val);
    progress.validation_accuracy = accuracy(p_val, y_val);
    if (!std::isfinite(progress.train_loss))
      throw std::runtime_error("training diverged: non-finite loss at epoch " + std::to_string(epoch));
    if (progress.validation_loss < best_loss - kMinImprovement) {
      best_loss = progress.validation_loss;
      report.best_epoch = epoch;
      best_state = snapshot_state(*net);
      progress.improved = true;
    }
    progress.best_epoch = report.best_epoch;
    report.epochs_run = epoch;
    progress.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (control.on_epoch) control.on_epoch(progress);
    if (options.patience > 0 && epoch - report.best_epoch >= options.patience) break;
  }

  restore_state(*net, best_state);
  drop_gradients(*net);
  report.train = split_metrics(evaluate(*net, rows, width, steps, ds.train), labels_of(ds.train));
  const std::vector<double> p_val_best = evaluate(*net, rows, width, steps, ds.validation);
  report.validation = split_metrics(p_val_best, y_val);
  // Calibrated on validation predictions only; the test part stays unseen by both network and calibrator.
  const CalibrationChoice calibration = choose_calibrator(p_val_best, y_val);
  const PlattCalibrator& calibrator = calibration.calibrator;
  report.calibration = calibration.to_json();
  const std::vector<double> p_test = evaluate(*net, rows, width, steps, ds.test);
  const std::vector<std::uint8_t> y_test = labels_of(ds.test);
  report.test_uncalibrated = split_metrics(p_test, y_test);
  const std::vector<double> p_served = calibrator.apply(p_test);
  report.test = split_metrics(p_served, y_test);
  report.edge = measure_edge(p_served, y_test, report.train.base_rate, options.horizon);
  report.data_from = ds.data_from;
  report.data_to = ds.data_to;
  report.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  info.parameters = training::count_parameters(*net);
  info.config = nlohmann::json{{"architecture", arch}, {"training", training_settings(options)}};
  info.report = report;
  info.trained_at = now_ms();

  TrainResult result;
  result.report = report;
  result.model = std::make_shared<training::TorchModel>(info, normaliser, arch, net, calibrator);
  if (control.incumbent) {
    try {
      score_incumbent(*control.incumbent, series, info, ds.test, result);
    } catch (const std::exception& e) {
      result.incumbent_test.reset();
      result.incumbent_note = std::string("incumbent failed to predict: ") + e.what();
    }
  }
  return result;
}

}  // namespace tbml
