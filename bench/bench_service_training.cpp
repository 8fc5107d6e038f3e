// What one pair costs the service to train and to serve with the configured horizons (issue #18): every
// direction member per horizon (train_model with the options the service builds from config/default.json,
// as service_startup.cpp does), the volatility model per horizon (train_volatility_model with the GRU
// candidate `serve` registers, and once more without it to show the network's share), then the per-candle
// recompute over every horizon (run_models on the latest window + the served and EWMA volatility forecast,
// as refresh_prediction does for each horizon) and RSS. Runs one job after another on the calling thread;
// the service runs direction jobs one at a time (training.maxConcurrent 1) and each horizon's volatility
// training on its own thread. Prints one JSON object.
//   bench_service_training --csv ETH=eth.csv [--reference BTC=btc.csv] [--candles 1440] [--horizons 1,5,24]
//                          [--models lstm,gru,cnn,transformer,xgboost] [--threads 1] [--repeats 100]
#include <cstring>
#include <ctime>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "bench_util.h"
#include "tbml/config/config.h"
#include "tbml/ensemble/predictor.h"
#include "tbml/market/candle_csv.h"
#include "tbml/market/series.h"
#include "tbml/training/torch_runtime.h"
#include "tbml/training/trainer.h"
#include "tbml/training/volatility_network.h"
#include "tbml/volatility/volatility_model.h"

using namespace tbml;
using namespace tbml::bench;

namespace {

double seconds_since(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

// CPU seconds of the whole process: with one torch thread and one XGBoost thread a job's work runs on
// this thread, so on a machine shared with other builds this is close to what the job takes on idle cores
// while the wall time also counts the waits for a core.
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

std::vector<std::size_t> parse_horizons(const std::string& text) {
  std::vector<std::size_t> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) out.push_back(std::stoul(part));
  if (out.empty()) throw std::invalid_argument("--horizons: empty list");
  return out;
}

std::vector<ModelType> parse_models(const std::string& text) {
  std::vector<ModelType> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    auto t = parse_model_type(part);
    if (!t) throw std::invalid_argument("--models: unknown model " + part);
    out.push_back(*t);
  }
  return out;
}

std::vector<Candle> last_candles(const std::string& path, std::size_t n) {
  auto c = load_candles_csv(path);
  if (n && c.size() > n) c.erase(c.begin(), c.end() - static_cast<std::ptrdiff_t>(n));
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  std::string csv, reference;
  std::string horizons_text = "1,5,24", models_text = "lstm,gru,cnn,transformer,xgboost";
  std::size_t candles = 1440;
  int threads = 1, repeats = 100;
  for (int i = 1; i < argc; ++i) {
    auto next = [&] { return std::string(argv[++i]); };
    if (!std::strcmp(argv[i], "--csv") && i + 1 < argc) csv = next();
    else if (!std::strcmp(argv[i], "--reference") && i + 1 < argc) reference = next();
    else if (!std::strcmp(argv[i], "--candles") && i + 1 < argc) candles = std::stoul(next());
    else if (!std::strcmp(argv[i], "--horizons") && i + 1 < argc) horizons_text = next();
    else if (!std::strcmp(argv[i], "--models") && i + 1 < argc) models_text = next();
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::stoi(next());
    else if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = std::stoi(next());
    else {
      std::cerr << "usage: bench_service_training --csv PAIR=file [--reference PAIR=file] [--candles N] "
                   "[--horizons 1,5,24] [--models list] [--threads N] [--repeats N]\n";
      return 2;
    }
  }
  try {
    if (csv.empty()) throw std::invalid_argument("--csv PAIR=file is required");
    const auto horizons = parse_horizons(horizons_text);
    const auto types = parse_models(models_text);
    configure_torch_threads(threads);
    training::register_volatility_network();
    const nlohmann::json rss_start = rss_mib();

    // The series as the live ingest builds it: the pair's own columns plus the reference pair's.
    const Config cfg = config_from_json(builtin_defaults());
    const PairCsv in = parse_pair_csv_list(csv).at(0);
    std::vector<PairCandles> inputs{{in.pair, last_candles(in.path, candles)}};
    std::string ref_pair;
    if (!reference.empty()) {
      const PairCsv r = parse_pair_csv_list(reference).at(0);
      ref_pair = r.pair;
      inputs.push_back({r.pair, last_candles(r.path, candles)});
    }
    const Series series = build_series_set(inputs, ref_pair).at(0);

    TrainOptions base;  // as Service::Impl::start_queue fills LifecycleOptions::train
    base.epochs = cfg.training.epochs;
    base.batch_size = cfg.training.batch_size;
    base.learning_rate = cfg.training.learning_rate;
    base.patience = cfg.training.patience;
    base.seed = cfg.training.seed;
    base.sequence_length = cfg.ml.sequence_length;

    nlohmann::json out;
    out["pair"] = in.pair;
    out["reference"] = ref_pair;
    out["candles"] = series.size();
    out["features"] = series.width;
    out["torchThreads"] = threads;
    out["options"] = {{"epochs", base.epochs}, {"patience", base.patience}, {"batchSize", base.batch_size},
                      {"sequenceLength", base.sequence_length}};
    nlohmann::json per_horizon = nlohmann::json::array();
    std::map<std::size_t, std::vector<ModelPtr>> models;
    std::map<std::size_t, std::shared_ptr<const volatility::VolatilityModel>> vol;
    double direction_total = 0.0, volatility_total = 0.0, direction_cpu = 0.0, volatility_cpu = 0.0;
    std::map<std::string, double> per_member, per_member_cpu;
    const auto all_started = Clock::now();
    for (std::size_t h : horizons) {
      nlohmann::json hj = {{"horizon", h}};
      for (ModelType t : types) {
        TrainOptions o = base;
        o.horizon = h;
        const std::string name = to_string(t);
        if (cfg.ml.architectures.contains(name)) o.architecture = cfg.ml.architectures[name];
        const auto a = Clock::now();
        const double c0 = cpu_seconds();
        TrainResult r = train_model(t, series, o);
        const double s = seconds_since(a), c = cpu_seconds() - c0;
        direction_total += s;
        direction_cpu += c;
        per_member[name] += s;
        per_member_cpu[name] += c;
        hj["direction"][name] = {{"seconds", s}, {"cpuSeconds", c}, {"epochs", r.report.epochs_run},
                                 {"bestEpoch", r.report.best_epoch}, {"rssAfter", rss_mib()}};
        models[h].push_back(r.model);
      }
      volatility::VolatilityTrainOptions vo;
      vo.horizon = h;
      auto a = Clock::now();
      double c0 = cpu_seconds();
      volatility::VolatilityTrainResult vr = volatility::train_volatility_model(series, vo);
      const double with_net = seconds_since(a), with_net_cpu = cpu_seconds() - c0;
      volatility_total += with_net;
      volatility_cpu += with_net_cpu;
      per_member["volatility"] += with_net;
      per_member_cpu["volatility"] += with_net_cpu;
      vol[h] = vr.model;
      // Not part of the service's cost: the same model without the network candidate, for its share.
      volatility::VolatilityTrainOptions no_net = vo;
      no_net.fit_network = false;
      a = Clock::now();
      c0 = cpu_seconds();
      volatility::train_volatility_model(series, no_net);
      const double without_net = seconds_since(a), without_net_cpu = cpu_seconds() - c0;
      hj["volatility"] = {{"seconds", with_net}, {"cpuSeconds", with_net_cpu}, {"secondsWithoutNetwork", without_net},
                          {"cpuSecondsWithoutNetwork", without_net_cpu},
                          {"served", volatility::to_string(vr.model->served())}, {"rssAfter", rss_mib()}};
      per_horizon.push_back(hj);
    }
    out["horizons"] = per_horizon;
    out["perMemberSeconds"] = per_member;
    out["perMemberCpuSeconds"] = per_member_cpu;
    out["training"] = {{"directionSeconds", direction_total},
                       {"volatilitySeconds", volatility_total},
                       {"totalSeconds", direction_total + volatility_total},
                       {"directionCpuSeconds", direction_cpu},
                       {"volatilityCpuSeconds", volatility_cpu},
                       {"totalCpuSeconds", direction_cpu + volatility_cpu},
                       {"wallSecondsInclNoNetworkRuns", seconds_since(all_started)}};

    // Per new candle, per horizon: the members on the latest window, then the served and EWMA forecasts.
    const std::size_t steps = base.sequence_length, width = series.width;
    const float* window = series.row(series.size() - steps);
    PredictionMeta meta;
    meta.pair = in.pair;
    meta.data_timestamp = series.candles.back().timestamp;
    auto recompute = [&] {
      for (std::size_t h : horizons) {
        run_models(models[h], window, steps, width, meta);
        vol[h]->forecast(series);
        vol[h]->forecast(series, volatility::Member::kEwma);
      }
    };
    for (int i = 0; i < 5; ++i) recompute();
    std::vector<double> us, vol_us;
    const double recompute_cpu0 = cpu_seconds();
    for (int i = 0; i < repeats; ++i) {
      const auto b = Clock::now();
      recompute();
      us.push_back(micros_between(b, Clock::now()));
    }
    const double recompute_cpu_us = (cpu_seconds() - recompute_cpu0) * 1e6 / repeats;
    for (int i = 0; i < repeats; ++i) {
      const auto b = Clock::now();
      for (std::size_t h : horizons) {
        vol[h]->forecast(series);
        vol[h]->forecast(series, volatility::Member::kEwma);
      }
      vol_us.push_back(micros_between(b, Clock::now()));
    }
    out["recomputeAllHorizons"] = summary(std::move(us), "us");
    out["recomputeAllHorizons"]["cpuMean"] = recompute_cpu_us;
    out["volatilityForecastsAllHorizons"] = summary(std::move(vol_us), "us");
    out["memory"] = {{"start", rss_start}, {"end", rss_mib()}};
    std::cout << out.dump(2) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "bench_service_training: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
