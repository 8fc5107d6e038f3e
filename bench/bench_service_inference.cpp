// Inference cost with the service's real code paths: per model at batch 1 (one pair's latest window),
// per model batched (one window per pair, and 256 windows), the ensemble recompute one pair pays per new
// candle (run_models over its members + the ensemble body serialised), the same for three horizons'
// members, the same with 20 MC-dropout passes per network, all pairs recomputed, MC-dropout samples (20
// passes of one window, the networks only), the rest of a refresh (window and history copies, the base
// rate over labelled windows), the FLOP floor (multiply-adds of each forward over a measured GEMM rate)
// and the JSON of GET /api/predictions/:pair alone. Prints one JSON object.
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
#include "forward_flops.h"
#include "tbml/ensemble/ensemble_decision.h"
#include "tbml/ensemble/prediction_json.h"
#include "tbml/ensemble/predictor.h"
#include "tbml/features/feature_pipeline.h"
#include "tbml/market/candle_csv.h"
#include "tbml/market/pair_state.h"
#include "tbml/market/series.h"
#include "tbml/storage/model_store.h"
#include "tbml/training/dataset.h"
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
    std::vector<Candle> long_history;  // the first pair's last 5,000 candles (training.maxCandles), for the refresh parts
    if (synthetic) {
      long_history = bench::random_walk(5'000, 1);
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
        if (long_history.empty())
          long_history.assign(candles.end() - static_cast<std::ptrdiff_t>(std::min<std::size_t>(5'000, candles.size())),
                              candles.end());
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
    // Its parts: the members alone (run_models), and the combination for every strategy alone.
    out["runModels"] = time_us(repeats, [&] { run_models(first.models, first.window.data(), kSteps, width, meta); });
    {
      const PredictionSnapshot members = run_models(first.models, first.window.data(), kSteps, width, meta);
      out["combineSnapshot"] = time_us(repeats, [&] {
        PredictionSnapshot snap = members;
        combine_snapshot(snap, inputs);
      });
    }
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
    out["allPairsRecompute"]["perPairMedian"] = out["allPairsRecompute"]["median"].get<double>() / pairs.size();
    // The service's ml.horizons (1, 5, 24): one pair pays its members of every horizon on the same window.
    // The serving set holds one horizon per pair, so the next pairs' members stand in for the other two
    // (same architectures and window; the cost does not depend on the weights).
    const std::size_t horizons = std::min<std::size_t>(3, pairs.size());
    out["allHorizonsRecompute"] = time_us(std::max(10, repeats / 2), [&] {
      for (std::size_t h = 0; h < horizons; ++h) {
        PredictionSnapshot snap = run_models(pairs[h].models, first.window.data(), kSteps, width, meta);
        combine_snapshot(snap, inputs);
        ensemble_prediction_json(snap, Strategy::kWeighted, response).dump();
      }
    });
    out["allHorizonsRecompute"]["horizons"] = horizons;
    // Batching across pairs: each pair has its own weights, so their windows cannot share a forward call;
    // what that would give were the weights shared is the per-model batchPairs figure over the pairs.
    double batch1 = 0, shared = 0;
    for (const auto& [name, m] : per_model.items()) {
      batch1 += m["batch1"]["median"].get<double>();
      shared += m["batchPairs"]["median"].get<double>() / pairs.size();
    }
    out["batching"] = {{"membersBatch1MedianSum", batch1}, {"sharedWeightsPerPairMedianSum", shared},
                       {"note", "per-pair weights: the service runs each pair's members at batch 1; "
                                "sharedWeights is hypothetical"}};
    // The rest of a refresh (Service::Impl::refresh_prediction): the window copy, and per horizon the
    // history copy (training.maxCandles rows with features) and the base rate over its labelled windows.
    {
      PairState state(first.name, 5'000);
      state.ingest(long_history);
      std::vector<float> w(kSteps * width);
      out["refresh"]["candles"] = state.size();
      out["refresh"]["copyWindow"] = time_us(repeats, [&] { state.copy_window(kSteps, w.data(), nullptr); });
      Series history;
      out["refresh"]["copySeries"] = time_us(std::max(10, repeats / 4), [&] { history = state.copy_series(5'000); });
      std::size_t up = 0;
      out["refresh"]["baseRate"] = time_us(std::max(10, repeats / 4), [&] {
        up = 0;
        for (const Window& lw : eligible_windows(history, 1, 5)) up += lw.label;
      });
    }
    // The hardware floor: multiply-adds of one forward of each member on a kSteps x width window, over
    // the rate of torch's own matrix product on this core (batch 1 is matrix-vector work, which cannot
    // reach it: this is a bound, not a target).
    {
      const double rate = measured_gemm_macs_per_second();
      double macs = 0;
      nlohmann::json each = nlohmann::json::object();
      for (const auto& m : first.models) {
        const ModelInfo& info = m->info();
        const double n = info.config.contains("architecture")
                             ? forward_macs(info.type, info.config["architecture"], kSteps, width)
                             : 0.0;
        each[to_string(info.type)] = n;
        macs += n;
      }
      out["flopFloor"] = {{"macsPerModel", each},
                          {"macsPerPairHorizon", macs},
                          {"gemmGflops", 2 * rate / 1e9},
                          {"floorUsPerPairHorizon", macs / rate * 1e6}};
    }
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
