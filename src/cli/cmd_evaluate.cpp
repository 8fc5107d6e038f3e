// `tbml evaluate`: walk-forward evaluation on candle CSVs of every direction model, ensemble strategy and
// baseline (--target direction), of the volatility forecasters against EWMA and GARCH (--target volatility),
// or both (--target all), at each of --horizons. Markdown report on stdout (or --md), every number in
// --json, SVG charts with --plot. Thin: the logic lives in the evaluation library.
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/csv_series.h"
#include "cli/progress_line.h"
#include "tbml/evaluation/charts.h"
#include "tbml/evaluation/evaluator.h"
#include "tbml/evaluation/report.h"
#include "tbml/evaluation/targets.h"
#include "tbml/evaluation/trading_report.h"
#include "tbml/evaluation/volatility_evaluator.h"
#include "tbml/market/candle_csv.h"
#include "tbml/market/series.h"
#include "tbml/training/torch_runtime.h"
#include "tbml/training/volatility_network.h"
#include "tbml/util/atomic_file.h"

namespace tbml::cli {
namespace {

struct EvaluateArgs {
  std::vector<std::string> csv;
  std::string models = "lstm,gru,cnn,transformer,xgboost";
  std::string json_path, md_path, plot_dir;
  std::string target = "direction";
  std::string horizons;  // empty: --horizon
  std::size_t max_candles = 4000;
  std::size_t vol_train_window = 0;  // 0: --train-window
  bool vol_network = true;           // the GRU volatility candidate in every fold
  std::string reference_pair;        // --reference-pair
  evaluation::EvaluationOptions options;
  evaluation::VolatilityEvaluationOptions volatility;
  bool trading = false;  // the trading report after each direction evaluation
  std::string strategy = "weighted";
  evaluation::TradingOptions trade;
};

// The command line exactly as typed, for the report (Linux keeps it in /proc/self/cmdline).
std::string command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string out;
  std::string arg;
  for (char c : raw) {
    if (c != '\0') {
      arg += c;
      continue;
    }
    if (!out.empty()) out += ' ';
    out += arg.find_first_of(" \t\"'") == std::string::npos ? arg : "'" + arg + "'";
    arg.clear();
  }
  return out;
}

int run_evaluate(EvaluateArgs args) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<PairCsv> inputs;
  evaluation::EvaluationTarget target{};
  std::vector<std::size_t> horizons;
  std::string reference;
  try {
    reference = parse_reference_pair(args.reference_pair);
    std::string list;
    for (const auto& item : args.csv) list += (list.empty() ? "" : ",") + item;
    inputs = parse_pair_csv_list(list);
    target = evaluation::parse_target(args.target);
    horizons = args.horizons.empty() ? std::vector<std::size_t>{args.options.walk.horizon}
                                     : evaluation::parse_horizons(args.horizons);
    if (evaluation::includes_direction(target)) {
      args.options.models = parse_model_list(args.models);
      for (std::size_t h : horizons) {
        auto o = args.options;
        o.walk.horizon = h;
        o.validate();
      }
    }
    if (args.trading) {
      if (!evaluation::includes_direction(target)) throw std::invalid_argument("--trading needs --target direction or all");
      args.trade.strategy = parse_strategy(args.strategy);
      args.trade.validate();
    }
    args.volatility.walk = args.options.walk;
    if (args.vol_train_window > 0) args.volatility.walk.train_window = args.vol_train_window;
    if (args.vol_network) args.volatility.train.network = training::volatility_network_candidate();
    else args.volatility.train.fit_network = false;
    if (evaluation::includes_volatility(target))
      for (std::size_t h : horizons) {
        auto o = args.volatility;
        o.walk.horizon = h;
        o.train.horizon = h;
        o.validate();
      }
  } catch (const std::invalid_argument& e) {
    std::cerr << "evaluate: " << e.what() << "\n";
    return 2;
  }
  configure_torch_threads(args.options.train.torch_threads > 0 ? args.options.train.torch_threads : 1);

  // Fold messages ("BTC fold 3/8: ...") drive a bar on a terminal; every other message stays as a line.
  ProgressLine progress(std::cerr, ::isatty(STDERR_FILENO) != 0);
  auto say = [&progress, started](const std::string& line) {
    static const std::regex fold("fold ([0-9]+)/([0-9]+): (training)?");
    std::smatch m;
    if (!std::regex_search(line, m, fold)) return progress.print(line);
    const int total = std::stoi(m[2]);
    const int done = std::stoi(m[1]) - (m[3].matched ? 1 : 0);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // On a terminal the bar line also shows the time so far; plain lines are the messages as they are.
    progress.show(progress.terminal() ? fmt::format("{}  ({:.0f} s so far)", line, secs) : line, done, total);
  };
  const std::vector<Series> series = load_series_set(inputs, args.max_candles, reference, say);
  for (std::size_t i = 0; i < inputs.size(); ++i)
    progress.print(fmt::format("{}: {} candles from {}", inputs[i].pair, series[i].size(), inputs[i].path));
  const std::string command = command_line();
  std::string markdown;
  nlohmann::json json;
  json["command"] = command;
  std::vector<std::string> charts;

  if (evaluation::includes_direction(target)) {
    const auto direction_started = std::chrono::steady_clock::now();
    json["direction"] = nlohmann::json::array();
    for (std::size_t h : horizons) {
      auto options = args.options;
      options.walk.horizon = h;
      std::vector<evaluation::PairEvaluation> results;
      for (const auto& s : series) {
        try {
          results.push_back(evaluation::evaluate_pair(s, options, say));
        } catch (const std::invalid_argument& e) {
          progress.print("evaluate: " + s.pair + ": " + e.what());
          return 2;
        }
      }
      evaluation::EvaluationReport report = evaluation::build_report(results, options);
      report.command = command;
      std::string md = evaluation::to_markdown(report, results);
      if (horizons.size() > 1 || evaluation::includes_volatility(target))
        md.replace(0, std::string("# Walk-forward evaluation").size(),
                   fmt::format("# Direction, horizon {} h: walk-forward evaluation", h));
      markdown += md + "\n";
      nlohmann::json direction = evaluation::to_json(report, results);
      const std::string dir = horizons.size() > 1 ? args.plot_dir + "/direction_h" + std::to_string(h) : args.plot_dir;
      if (args.trading) {
        const evaluation::TradingReport trading = evaluation::build_trading_report(results, args.trade);
        std::string tmd = evaluation::trading_markdown(trading);
        if (horizons.size() > 1) tmd.replace(0, std::string("# Trading report").size(), fmt::format("# Trading report, horizon {} h", h));
        markdown += tmd + "\n";
        direction["trading"] = evaluation::trading_json(trading);
        if (!args.plot_dir.empty())
          for (const auto& path : evaluation::write_trading_charts(dir, trading)) charts.push_back(path);
      }
      json["direction"].push_back(std::move(direction));
      if (!args.plot_dir.empty())
        for (const auto& path : evaluation::write_charts(dir, report)) charts.push_back(path);
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - direction_started).count();
    json["directionWallSeconds"] = secs;
    progress.print(fmt::format("evaluate: direction done in {:.0f} s", secs));
  }

  if (evaluation::includes_volatility(target)) {
    const auto volatility_started = std::chrono::steady_clock::now();
    std::vector<std::vector<evaluation::VolatilityPairEvaluation>> by_horizon;
    for (std::size_t h : horizons) {
      std::vector<evaluation::VolatilityPairEvaluation> results;
      for (const auto& s : series) {
        try {
          results.push_back(evaluation::evaluate_volatility_pair(s, h, args.volatility, say));
        } catch (const std::invalid_argument& e) {
          progress.print("evaluate: " + s.pair + ": " + e.what());
          return 2;
        }
      }
      by_horizon.push_back(std::move(results));
    }
    const evaluation::VolatilityReport report = evaluation::build_volatility_report(by_horizon, args.volatility);
    std::string md = evaluation::volatility_markdown(report);
    if (!evaluation::includes_direction(target)) md.insert(md.find("\n\n") + 2, "Command:\n\n```\n" + command + "\n```\n\n");
    markdown += md;
    json["volatility"] = evaluation::volatility_json(report, by_horizon);
    if (!args.plot_dir.empty())
      for (const auto& path : evaluation::write_volatility_charts(args.plot_dir, report, by_horizon))
        charts.push_back(path);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - volatility_started).count();
    json["volatilityWallSeconds"] = secs;
    progress.print(fmt::format("evaluate: volatility done in {:.0f} s", secs));
  }

  // One target at one horizon keeps the direction report's JSON layout of earlier versions.
  if (target == evaluation::EvaluationTarget::kDirection && horizons.size() == 1) {
    nlohmann::json single = json["direction"][0];
    single["directionWallSeconds"] = json["directionWallSeconds"];
    json = std::move(single);
  }
  if (args.md_path.empty()) {
    std::cout << markdown;
  } else {
    write_file_atomic(args.md_path, markdown);
    std::cerr << "report written to " << args.md_path << "\n";
  }
  if (!args.json_path.empty()) {
    write_file_atomic(args.json_path, json.dump(1) + "\n");
    std::cerr << "JSON written to " << args.json_path << "\n";
  }
  for (const auto& path : charts) std::cerr << "chart " << path << "\n";
  progress.end();
  std::cerr << fmt::format("evaluate: done in {:.0f} s\n",
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return 0;
}

}  // namespace

void register_evaluate_command(CLI::App& app, Runner& run) {
  auto args = std::make_shared<EvaluateArgs>();
  auto& o = args->options;
  auto* cmd = app.add_subcommand("evaluate", "Walk-forward out-of-sample evaluation of models, ensembles and baselines");
  cmd->add_option("--csv", args->csv, "PAIR=file.csv (repeatable, or comma-separated)")->required();
  cmd->add_option("--json", args->json_path, "Write every number as JSON to this file");
  cmd->add_option("--md", args->md_path, "Write the Markdown report to this file instead of stdout");
  cmd->add_option("--plot", args->plot_dir, "Write SVG charts (reliability, cumulative return) to this folder");
  cmd->add_option("--models", args->models, "Comma-separated: lstm,gru,cnn,transformer,xgboost")->capture_default_str();
  cmd->add_option("--target", args->target, "direction, volatility or all")->capture_default_str();
  cmd->add_option("--horizons", args->horizons, "Comma-separated horizons in candles, e.g. 1,5,24 (default: --horizon)");
  cmd->add_option("--vol-train-window", args->vol_train_window,
                  "Candles each volatility fold trains on (0 = --train-window)")->capture_default_str();
  cmd->add_option("--vol-network", args->vol_network, "Train the GRU volatility candidate in every fold (true/false)")
      ->capture_default_str();
  cmd->add_option("--max-candles", args->max_candles, "Use only the most recent N candles of each CSV (0 = all)")
      ->capture_default_str();
  add_reference_option(cmd, args->reference_pair);
  cmd->add_option("--train-window", o.walk.train_window, "Candles each fold trains on")->capture_default_str();
  cmd->add_option("--block", o.walk.block, "Label candles per evaluated block")->capture_default_str();
  cmd->add_option("--blocks", o.walk.blocks, "Blocks evaluated (the most recent ones)")->capture_default_str();
  cmd->add_option("--retrain-every", o.walk.retrain_every, "Blocks served by one training")->capture_default_str();
  cmd->add_option("--sequence-length", o.walk.sequence_length)->capture_default_str();
  cmd->add_option("--horizon", o.walk.horizon, "Candles ahead the label looks")->capture_default_str();
  cmd->add_option("--validation-fraction", o.validation_fraction, "Share of each fold's windows for validation")
      ->capture_default_str();
  cmd->add_option("--cost", o.cost, "Cost per trade of the long/flat rule (0.001 = 0.1 %)")->capture_default_str();
  // The trading report (docs/decision.md); defaults are config/default.json's decision and ensemble values.
  auto& t = args->trade;
  cmd->add_flag("--trading", args->trading, "Add the trading report: the service's signal and sizing rules after costs");
  cmd->add_option("--fee", t.costs.fee, "Fee per unit of position changed (0.001 = Binance spot taker 0.1 %)")
      ->capture_default_str();
  cmd->add_option("--slippage", t.costs.slippage, "Slippage per unit of position changed")->capture_default_str();
  cmd->add_option("--signal-threshold", t.signal_threshold, "Minimum confidence for BUY/SELL (ensemble.signalThreshold)")
      ->capture_default_str();
  cmd->add_option("--strategy", args->strategy, "Ensemble strategy of the service rule (stacked: weighted)")
      ->capture_default_str();
  cmd->add_option("--kelly-fraction", t.sizing.kelly_fraction, "Share of full Kelly")->capture_default_str();
  cmd->add_option("--volatility-target", t.sizing.volatility_target, "Annualised volatility target")->capture_default_str();
  cmd->add_option("--max-position", t.sizing.max_position, "Cap on |position| (1 = the whole account)")
      ->capture_default_str();
  cmd->add_option("--min-outcomes", t.sizing.min_outcomes, "Resolved outcomes needed before sizing")->capture_default_str();
  cmd->add_flag("--allow-short", t.sizing.allow_short, "SELL goes short (default: flat, as on spot)");
  cmd->add_option("--outcome-window", t.outcome_window, "Resolved outcomes the average moves come from")
      ->capture_default_str();
  cmd->add_option("--epochs", o.train.epochs)->capture_default_str();
  cmd->add_option("--patience", o.train.patience)->capture_default_str();
  cmd->add_option("--batch-size", o.train.batch_size)->capture_default_str();
  cmd->add_option("--learning-rate", o.train.learning_rate)->capture_default_str();
  cmd->add_option("--seed", o.train.seed)->capture_default_str();
  cmd->add_option("--threads", o.train.torch_threads, "Torch threads (more than 1 is slower on 2 cores)")
      ->capture_default_str();
  cmd->callback([args, &run] { run = [args] { return run_evaluate(*args); }; });
}

}  // namespace tbml::cli
