#pragma once
// The torch-free face of the volatility network candidate (issue #18): a learned forecaster that
// train_volatility_model fits, scores and may serve like the trees and HAR, but whose code lives in the
// training stage (the only one compiling libtorch). The training stage provides a NetworkCandidate — a
// trainer and a loader — either passed in VolatilityTrainOptions::network or registered once at start-up
// (training::register_volatility_network()), which is what VolatilityServing and VolatilityModel::from_json
// pick up when nothing is passed.
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/market/series.h"
#include "tbml/volatility/inputs.h"

namespace tbml::volatility {

// A fitted network. Immutable once returned; raw_variance is const and thread-safe.
class NetworkForecaster {
 public:
  virtual ~NetworkForecaster() = default;
  // The raw h-candle variance at each row t[i] of `series` (reading rows t[i] − sequence_length() + 1 ..
  // t[i] and the base inputs rows[i] computed there); calibrated later like the other members. Throws
  // std::invalid_argument when a row is too early or the series has another width.
  virtual std::vector<double> raw_variance(const Series& series, const std::vector<std::size_t>& t,
                                           const std::vector<InputRow>& rows) const = 0;
  virtual std::size_t sequence_length() const = 0;  // feature rows read per forecast
  virtual std::size_t feature_width() const = 0;    // Series row width it reads
  virtual nlohmann::json to_json() const = 0;       // architecture, normalisers, fit report: for the loader
  virtual std::string weights() const = 0;          // the network's parameters (opaque bytes)
};

// What a trainer gets: the series and the forecast times of the chronological split (already embargoed),
// with each sample's target RV and base inputs, exactly as the other candidates see them. Fit on train;
// validation is for early stopping only; test is never read by the trainer.
struct NetworkSamples {
  std::vector<std::size_t> t;
  std::vector<double> rv;
  std::vector<InputRow> rows;
};
struct NetworkTrainingData {
  const Series* series = nullptr;
  InputSpec spec;  // horizon, lookbacks, floor (the training part's)
  NetworkSamples train, validation;
  // Polled between batches: when it says true the trainer throws VolatilityTrainCancelled, so a shutdown
  // waits for one batch, not for the whole fit (empty: never cancelled).
  std::function<bool()> cancelled;
};

struct NetworkCandidate {
  std::string name;  // what the report calls it, e.g. "gru"
  // Throws std::invalid_argument (bad data) or std::runtime_error (training failed); the caller then
  // trains the other members without it and says why in the report.
  std::function<std::shared_ptr<const NetworkForecaster>(const NetworkTrainingData&)> train;
  // From to_json() + weights(). Throws std::invalid_argument / std::runtime_error on a bad document or
  // damaged bytes, never crashes.
  std::function<std::shared_ptr<const NetworkForecaster>(const nlohmann::json&, const std::string&)> load;
};

// Process-wide default, set once at start-up before any training thread runs (later calls replace it).
void register_network_candidate(NetworkCandidate candidate);
std::optional<NetworkCandidate> registered_network_candidate();

}  // namespace tbml::volatility
