// Inference cost with the service's real code paths: per model at batch 1 (one pair's latest window),
// per model batched (one window per pair, and 256 windows), the ensemble recompute one pair pays per new
// candle (run_models over its 4 models + the ensemble body serialised), the same with 20 MC-dropout
// passes per network, all pairs recomputed, MC-dropout samples (20 passes of one window, the networks
// only), and the
// JSON of GET /api/predictions/:pair alone. Prints one JSON object.
//   bench_service_inference --models DIR --csv BTC=a.csv,ETH=b.csv [--threads 1] [--repeats 300]
// DIR is what `tbml train --out DIR` wrote (<DIR>/models/<PAIR>/<type>/v<N>). With --synthetic instead,
// each model type is trained for one epoch on a seeded random walk (timing does not depend on weights).
// Torch threads are a process-wide setting that can be set once: run once per thread count.
#include <cmath>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <stdexcept>

#include "bench_util.h"
#include "tbml/ensemble/ensemble_decision.h"
#include "tbml/ensemble/prediction_json.h"
#include "tbml/ensemble/predictor.h"
#include "tbml/features/feature_pipeline.h"
#include "tbml/market/candle_csv.h"
#include "tbml/market/series.h"
#include "tbml/storage/model_store.h"
#include "tbml/training/model_io.h"
#include "tbml/training/torch_runtime.h"
#include "tbml/training/trainer.h"

using namespace tbml;
using namespace tbml::bench;

namespace {

constexpr std::size_t kSteps = 60;

struct Pair {
  std::string name;
  Series series;
  std::vector<float> window;  // the latest kSteps rows
  std::vector<ModelPtr> models;
};

std::vector<float> latest_window(const Series& s) {
  if (s.size() < kSteps) throw std::invalid_argument(s.pair + ": fewer than 60 candles");
  return std::vector<float>(s.row(s.size() - kSteps), s.row(s.size() - kSteps) + kSteps * s.width);
}

template <class F>
nlohmann::json time_us(int repeats, F&& f, int warmup = 10) {
  for (int i = 0; i < warmup; ++i) f();  // the first torch calls allocate
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(repeats));
  for (int i = 0; i < repeats; ++i) {
    const auto a = Clock::now();
    f();
    us.push_back(micros_between(a, Clock::now()));
  }
  return summary(std::move(us), "us");
}

}  // namespace

int main(int argc, char** argv) {
  std::string models_dir, csv;
  bool synthetic = false;
  int threads = 1, repeats = 300;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--models") && i + 1 < argc) models_dir = argv[++i];
    else if (!std::strcmp(argv[i], "--csv") && i + 1 < argc) csv = argv[++i];
    else if (!std::strcmp(argv[i], "--synthetic")) synthetic = true;
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::stoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = std::stoi(argv[++i]);
    else {
      std::cerr << "usage: bench_service_inference (--models DIR --csv P=f,... | --synthetic) [--threads N] "
                   "[--repeats N]\n";
      return 2;
    }
  }
  if (!synthetic && (models_dir.empty() || csv.empty())) {
    std::cerr << "bench_service_inference: give --models DIR --csv P=file,... or --synthetic\n";
    return 2;
  }
  try {
    configure_torch_threads(threads);
    const nlohmann::json rss_start = rss_mib();
    std::vector<Pair> pairs;
    if (synthetic) {
      for (std::string name : {"BTC", "ETH", "SOL", "BNB", "XRP", "ADA"}) {
        Pair p;
        p.name = name;
        p.series = build_series(name, bench::random_walk(700, pairs.size() + 1));
        pairs.push_back(std::move(p));
      }
      TrainOptions o;
      o.epochs = 1;
      o.patience = 0;
      for (auto& p : pairs)
        for (ModelType t : all_model_types()) p.models.push_back(train_model(t, p.series, o).model);
    } else {
      ModelStore store(models_dir);
      for (const auto& in : parse_pair_csv_list(csv)) {
        Pair p;
        p.name = in.pair;
        auto candles = load_candles_csv(in.path);
        if (candles.size() > 1'440) candles.erase(candles.begin(), candles.end() - 1'440);
        p.series = build_series(in.pair, candles);
        for (ModelType t : all_model_types()) {
          auto stored = store.load_latest(in.pair, to_string(t));
          if (!stored) throw std::runtime_error("no " + to_string(t) + " model for " + in.pair + " in " + models_dir);
          p.models.push_back(import_model(ModelArtifact{stored->meta, stored->weights}));
        }
        pairs.push_back(std::move(p));
      }
    }
    for (auto& p : pairs) p.window = latest_window(p.series);
    const nlohmann::json rss_loaded = rss_mib();
    const std::size_t width = FeaturePipeline::width();

    nlohmann::json out;
    out["torchThreads"] = threads;
    out["source"] = synthetic ? "synthetic: 1-epoch models on a random walk" : models_dir;
    out["pairs"] = pairs.size();
    out["modelsLoaded"] = pairs.size() * 4;
    out["repeats"] = repeats;

    const Pair& first = pairs.front();
    nlohmann::json per_model = nlohmann::json::object();
    for (std::size_t m = 0; m < first.models.size(); ++m) {
      const Model& model = *first.models[m];
      const std::string name = to_string(model.info().type);
      nlohmann::json entry;
      entry["parameters"] = model.info().parameters;
      entry["batch1"] = time_us(repeats, [&] { model.predict(first.window.data(), 1); });
      // One window per pair through one model: the cost of batching across pairs, were the models shared.
      std::vector<float> six;
      for (const auto& p : pairs) six.insert(six.end(), p.window.begin(), p.window.end());
      entry["batchPairs"] = time_us(repeats, [&] { model.predict(six.data(), pairs.size()); });
      // 256 consecutive windows of the pair: throughput when batching is free (evaluation, backfill).
      std::vector<float> many;
      const std::size_t n = std::min<std::size_t>(256, first.series.size() - kSteps);
      for (std::size_t i = 0; i < n; ++i) {
        const float* r = first.series.row(first.series.size() - kSteps - i);
        many.insert(many.end(), r, r + kSteps * width);
      }
      entry["batch256"] = time_us(std::max(5, repeats / 60), [&] { model.predict(many.data(), n); }, 1);
      entry["batch256"]["windows"] = n;
      // MC dropout (decision.uncertainty.mcDropoutPasses): 20 passes of the latest window, one batch.
      if (model.predict_samples(first.window.data(), 1))
        entry["mcDropout20"] = time_us(std::max(5, repeats / 10), [&] { model.predict_samples(first.window.data(), 20); });
      per_model[name] = entry;
    }
    out["perModel"] = per_model;

    PredictionMeta meta;
    meta.pair = first.name;
    meta.data_timestamp = first.series.candles.back().timestamp;
    const WeightMap& weights = default_weights();
    ResponseMeta response;
    EnsembleInputs inputs;
    inputs.weights = weights;
    inputs.weight_reason = "configured weights";
    // What one pair pays per new candle: its 4 models on the latest window, combined once for every
    // strategy, then the ensemble body.
    out["ensembleRecompute"] = time_us(repeats, [&] {
      PredictionSnapshot snap = run_models(first.models, first.window.data(), kSteps, width, meta);
      combine_snapshot(snap, inputs);
      ensemble_prediction_json(snap, Strategy::kWeighted, response).dump();
    });
    // The same with MC dropout on (decision.uncertainty.mcDropoutPasses = 20): run_models also draws the
    // networks' samples, which is what the service pays per candle when the interval is served.
    PredictionMeta mc = meta;
    mc.mc_dropout_passes = 20;
    out["ensembleRecomputeMc20"] = time_us(std::max(10, repeats / 4), [&] {
      PredictionSnapshot snap = run_models(first.models, first.window.data(), kSteps, width, mc);
      combine_snapshot(snap, inputs);
      ensemble_prediction_json(snap, Strategy::kWeighted, response).dump();
    });
    out["allPairsRecompute"] = time_us(std::max(10, repeats / 4), [&] {
      for (const auto& p : pairs) {
        PredictionMeta m = meta;
        m.pair = p.name;
        run_models(p.models, p.window.data(), kSteps, width, m);
      }
    });
    // GET /api/predictions/:pair serialises a published snapshot; no model runs.
    PredictionSnapshot snap = run_models(first.models, first.window.data(), kSteps, width, meta);
    combine_snapshot(snap, inputs);
    std::string body;
    out["predictionJson"] = time_us(repeats * 10, [&] {
      body = ensemble_prediction_json(snap, Strategy::kWeighted, response)
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    });
    out["predictionJson"]["bytes"] = body.size();
    out["memory"] = {{"start", rss_start}, {"modelsLoaded", rss_loaded}, {"end", rss_mib()}};
    std::cout << out.dump(2) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "bench_service_inference: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
