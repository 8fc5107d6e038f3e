// `tbml train`: offline training from candle CSVs. Loads each pair, builds its Series, trains the chosen
// models with per-epoch progress, prints test metrics next to the base-rate baseline and saves every model
// in the model store layout the service loads. Thin: the logic lives in the training library.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/csv_series.h"
#include "cli/progress_line.h"
#include "tbml/config/config.h"
#include "tbml/market/candle_csv.h"
#include "tbml/market/series.h"
#include "tbml/storage/model_store.h"
#include "tbml/training/model_io.h"
#include "tbml/training/torch_runtime.h"
#include "tbml/training/trainer.h"

namespace tbml::cli {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_interrupt(int) { g_interrupted = 1; }

struct TrainArgs {
  std::string csv;
  std::string models = "lstm,gru,cnn,transformer,xgboost";
  std::string out;
  std::size_t max_candles = 0;
  std::string reference_pair;  // --reference-pair
  TrainOptions options = [] {
    TrainOptions o;
    // One thread, as the service trains: with two on this 2-core machine libgomp's spinning idle
    // threads made training 3.4x slower (BTC, 1,449 candles, four models: 38.4 s against 11.4 s).
    o.torch_threads = 1;
    return o;
  }();
};

// One line per epoch; on a terminal the line is redrawn in place as a progress bar with an ETA (at the
// pace so far, if every epoch runs; early stopping usually ends sooner).
void print_progress(ProgressLine& line, const std::string& pair, const EpochProgress& p) {
  const std::string eta = eta_text(p.elapsed_seconds, p.epoch, p.epochs);
  line.show(fmt::format("{} {:<11} epoch {:>3}/{:<3} train loss {:.4f}  val loss {:.4f}  val acc {:.3f}  best {}{}{}",
                        pair, to_string(p.type), p.epoch, p.epochs, p.train_loss, p.validation_loss,
                        p.validation_accuracy, p.best_epoch, p.improved ? " *" : "", eta.empty() ? "" : "  " + eta),
            p.epoch, p.epochs);
}

struct Row {
  std::string pair, model;
  TrainingReport report;
  double base_brier = 0.0;
  int version = 0;
};

void print_table(const std::vector<Row>& rows) {
  std::cout << fmt::format("\n{:<10} {:<12} {:>8} {:>8} {:>8} {:>9} {:>11} {:>7} {:>6} {:>8} {:>8}\n", "pair",
                           "model", "test acc", "brier", "auc", "base rate", "base brier", "epochs", "best",
                           "seconds", "version");
  for (const auto& r : rows) {
    const auto& t = r.report.test;
    std::cout << fmt::format("{:<10} {:<12} {:>8.4f} {:>8.4f} {:>8.4f} {:>9.4f} {:>11.4f} {:>7} {:>6} {:>8.1f} {:>8}\n",
                             r.pair, r.model, t.accuracy, t.brier, t.auc, t.base_rate, r.base_brier,
                             r.report.epochs_run, r.report.best_epoch, r.report.wall_seconds, r.version);
  }
  std::cout << "(test part: the most recent windows, unseen in training; base brier = brier of always "
               "predicting the base rate)\n";
}

int run_train(const TrainArgs& args) {
  std::vector<PairCsv> inputs;
  std::vector<ModelType> types;
  std::string reference;
  try {
    reference = parse_reference_pair(args.reference_pair);
    inputs = parse_pair_csv_list(args.csv);
    types = parse_model_list(args.models);
    args.options.validate();
  } catch (const std::invalid_argument& e) {
    std::cerr << "train: " << e.what() << "\n";
    return 2;
  }
  configure_torch_threads(args.options.torch_threads);
  ModelStore store(args.out);
  ProgressLine line(std::cout, ::isatty(STDOUT_FILENO) != 0);
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);

  TrainControl control;
  control.cancelled = [] { return g_interrupted != 0; };
  std::vector<Row> rows;
  const std::vector<Series> all_series =
      load_series_set(inputs, args.max_candles, reference, [](const std::string& line) { std::cout << line << "\n"; });
  for (std::size_t input_index = 0; input_index < inputs.size(); ++input_index) {
    const PairCsv& input = inputs[input_index];
    const Series& series = all_series[input_index];
    std::cout << fmt::format("{}: {} candles from {}, {} features\n", input.pair, series.size(), input.path,
                             series.width);
    for (ModelType type : types) {
      control.on_epoch = [&](const EpochProgress& p) { print_progress(line, input.pair, p); };
      // The architectures the service trains with (config/default.json), not a second set of defaults.
      TrainOptions options = args.options;
      options.architecture = builtin_defaults().at("ml").at("architectures").value(to_string(type), nlohmann::json());
      TrainResult result;
      try {
        result = train_model(type, series, options, control);
      } catch (const TrainingCancelled&) {
        line.print("train: interrupted, " + std::to_string(rows.size()) + " model(s) saved");
        if (!rows.empty()) print_table(rows);
        return 1;
      }
      line.end();
      const ModelArtifact artifact = export_model(*result.model);
      Row row;
      row.pair = input.pair;
      row.model = to_string(type);
      row.report = result.report;
      const double r = result.report.test.base_rate;
      row.base_brier = r * (1.0 - r);
      row.version = store.save(input.pair, row.model, artifact.meta, artifact.weights);
      std::cout << fmt::format("{} {}: saved v{} under {}\n", input.pair, row.model, row.version,
                               store.root().string());
      rows.push_back(std::move(row));
    }
  }
  print_table(rows);
  return 0;
}

}  // namespace

void register_train_command(CLI::App& app, Runner& run) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train models offline from candle CSV files and save them");
  cmd->add_option("--csv", args->csv, "Pairs and files: BTC=path.csv[,ETH=path.csv]")->required();
  cmd->add_option("--out", args->out, "Data folder; models go to <out>/models/<PAIR>/<type>/v<N>/")->required();
  cmd->add_option("--models", args->models, "Comma-separated: lstm,gru,cnn,transformer,xgboost")->capture_default_str();
  cmd->add_option("--epochs", args->options.epochs, "Maximum epochs")->capture_default_str();
  cmd->add_option("--max-candles", args->max_candles, "Use only the most recent N candles (0 = all)")
      ->capture_default_str();
  add_reference_option(cmd, args->reference_pair);
  cmd->add_option("--batch-size", args->options.batch_size)->capture_default_str();
  cmd->add_option("--learning-rate", args->options.learning_rate)->capture_default_str();
  cmd->add_option("--patience", args->options.patience, "Early-stopping patience in epochs (0 = off)")
      ->capture_default_str();
  cmd->add_option("--sequence-length", args->options.sequence_length)->capture_default_str();
  cmd->add_option("--horizon", args->options.horizon, "Candles ahead the label looks")->capture_default_str();
  cmd->add_option("--seed", args->options.seed)->capture_default_str();
  cmd->add_option("--threads", args->options.torch_threads, "Torch threads (more than 1 is slower on 2 cores)")
      ->capture_default_str();
  cmd->callback([args, &run] { run = [args] { return run_train(*args); }; });
}

}  // namespace tbml::cli
