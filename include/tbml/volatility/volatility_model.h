#pragma once
// The torch-free volatility forecaster the service serves (issue #18 part 1): for a pair and a horizon
// of h candles it forecasts the realised variance of the next h returns and the 10/50/90 % quantiles of
// the h-candle log return, from the last ~200 candles of a Series.
//
// train_volatility_model fits every candidate on the training part of a chronological split — boosted
// trees on log RV, a HAR regression, a small recurrent network (when a NetworkCandidate is given or
// registered: network_candidate.h), GARCH(1,1), EWMA and the historical distribution — calibrates their
// quantiles on the validation part, scores all of them on the untouched test part, and serves by this
// rule: the learned model (of trees, HAR and the network, the one with the lowest validation QLIKE) if
// its test QLIKE is below GARCH's, otherwise GARCH. The report says by how much, with a paired
// block-bootstrap interval, so "beats GARCH / EWMA" is claimed only where it excludes zero. The served
// model is the one fitted on the training part (not refitted on all data), so its test scores describe
// what is served.
//
// A VolatilityModel is immutable; share it as std::shared_ptr<const VolatilityModel>. forecast() is
// const and thread-safe. It round-trips through to_json() + weights() / from_json(json, weights).
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/market/series.h"
#include "tbml/trees/boosted_trees.h"
#include "tbml/volatility/ewma.h"
#include "tbml/volatility/garch.h"
#include "tbml/volatility/har.h"
#include "tbml/volatility/historical.h"
#include "tbml/volatility/inputs.h"
#include "tbml/volatility/network_candidate.h"
#include "tbml/volatility/quantiles.h"
#include "tbml/volatility/split.h"

namespace tbml::volatility {

enum class Member { kTrees, kHar, kNetwork, kGarch, kEwma, kHistorical };
constexpr std::size_t kMemberCount = 6;
const std::array<Member, kMemberCount>& all_members();
std::string to_string(Member m);  // "trees", "har", "network", "garch", "ewma", "historical"
std::optional<Member> parse_member(std::string_view name);

// What the trees regress. kLogRv: log RV itself. kGarchResidual: log RV − log GARCH forecast, so the
// trees start from GARCH and learn only corrections (an offset, like XGBoost's base margin); with few
// samples and noisy targets early stopping then leaves a forecast close to GARCH's instead of a shrunken
// constant. kAuto fits both and keeps the one with the lower validation QLIKE.
enum class TreeTarget { kLogRv, kGarchResidual, kAuto };
std::string to_string(TreeTarget t);  // "logRv", "garchResidual", "auto"

// How a member's raw variance becomes the served forecast: variance = scale · raw, q_p = z_p · sqrt(variance).
// scale is the training part's mean RV / raw for the log-RV models (exp of a mean log is a median, below
// the mean QLIKE wants) and 1 for GARCH and EWMA, which forecast the variance itself. Historical uses its
// own training quantiles instead of z.
struct MemberCalibration {
  double scale = 1.0;
  StandardisedQuantiles z;
  nlohmann::json to_json() const;
  static MemberCalibration from_json(const nlohmann::json& j);
};

struct VolatilityForecast {
  std::string pair;
  std::int64_t timestamp = 0;  // the candle the forecast is made at ("now")
  std::size_t horizon = 0;     // candles
  double variance = 0.0;       // of the h-candle log return (not annualised)
  double sigma = 0.0;          // sqrt(variance)
  double q10 = 0.0, q50 = 0.0, q90 = 0.0;  // quantiles of log(close_{t+h} / close_t)
  double lower = 0.0, upper = 0.0;         // the 80 % interval [q10, q90] in log return ...
  double lower_multiplier = 0.0, median_multiplier = 0.0, upper_multiplier = 0.0;  // ... and as exp(q): price × this
  std::string member;
  double skill_vs_ewma = 0.0;  // 1 − QLIKE_member / QLIKE_EWMA on the test part (> 0: better than EWMA)
  nlohmann::json to_json() const;
};

// Everything a model is made of; train_volatility_model fills it and from_json reads it.
struct VolatilityModelParts {
  std::string pair;
  InputSpec spec;                 // horizon, lookbacks, recursion window, variance floor
  std::string feature_version;    // FeaturePipeline::version() the trees were trained on
  std::size_t feature_width = 0;  // Series row width the trees read
  Ewma ewma;
  Garch garch;
  Historical historical;
  std::optional<Har> har;
  std::shared_ptr<const BoostedTrees> trees;  // null when not fitted (or not loadable: other features)
  std::shared_ptr<const NetworkForecaster> network;  // likewise; also null when no loader is registered
  std::string network_name;                          // the candidate's name ("gru"), empty without one
  TreeTarget tree_target = TreeTarget::kLogRv;  // kLogRv or kGarchResidual (never kAuto here)
  std::array<MemberCalibration, kMemberCount> calibration{};
  std::array<double, kMemberCount> test_qlike{};  // NaN for a member that was not fitted
  Member served = Member::kGarch;
  std::int64_t trained_at = 0;  // epoch ms
  std::int64_t data_from = 0, data_to = 0;  // first and last candle timestamps training read
};

class VolatilityModel {
 public:
  // Throws std::invalid_argument when the served member is missing or the spec is invalid.
  explicit VolatilityModel(VolatilityModelParts parts);

  // Forecast at the latest row of `recent` with the served member (or `member`). Needs min_candles()
  // candles (the last ones of the pair's history; the Series' feature rows as the pipeline computed them).
  // Throws std::invalid_argument with the reason when the input is too short, its rows have the wrong
  // width, the member was not fitted, or the latest candles follow a gap too closely; never returns NaN.
  VolatilityForecast forecast(const Series& recent) const;
  VolatilityForecast forecast(const Series& recent, Member member) const;
  // Same at any row t >= min_candles() − 1 of a longer Series (what training scored at t).
  VolatilityForecast forecast_at(const Series& series, std::size_t t, Member member) const;

  bool has(Member m) const;
  Member served() const { return parts_.served; }
  std::size_t horizon() const { return parts_.spec.horizon; }
  std::size_t min_candles() const { return parts_.spec.min_candles(); }
  const VolatilityModelParts& parts() const { return parts_; }

  // Everything but the weights (format "tbml-volatility/2"). weights() is the trees' XGBoost model JSON
  // followed by the network's bytes; to_json() records each part's length and checksum ("weights"), so a
  // damaged or truncated part is refused on load (ModelStore checksums the whole blob on top). Without a
  // network it is the trees' bytes alone, as format 1 stored them. from_json throws std::invalid_argument
  // on a bad document and std::runtime_error on damaged bytes. When the stored feature version differs
  // from the running pipeline's, the trees and the network are dropped (they would read other columns)
  // and a model serving either is refused; so is one serving a network no registered loader can read.
  // `network` loads the network (null: the registered candidate).
  nlohmann::json to_json() const;
  std::string weights() const;
  static VolatilityModel from_json(const nlohmann::json& j, const std::string& weights,
                                   const NetworkCandidate* network = nullptr);

 private:
  VolatilityModelParts parts_;
};

// variance = scale · raw and the quantiles of one member (historical: its training quantiles).
struct CalibratedForecast {
  double variance = 0.0, q10 = 0.0, q50 = 0.0, q90 = 0.0;
};
CalibratedForecast calibrate(Member m, double raw_variance, const MemberCalibration& c, const Historical& h);
// What is added to the trees' output before exp(): log GARCH (floored) for kGarchResidual, else 0.
double tree_offset(TreeTarget target, const InputRow& row, const InputSpec& spec);

struct VolatilityTrainOptions {
  std::size_t horizon = 5;
  std::vector<std::size_t> lookbacks{1, 6, 24, 120};
  std::size_t window = 200;          // returns the EWMA/GARCH recursions read at each forecast
  std::size_t max_candles = 0;       // 0 = all; otherwise the most recent ones
  SplitOptions split;                // 60 / 20 / 20 by default
  double ewma_lambda = 0.94;
  double rv_floor_fraction = 1e-3;   // variance floor = this × the training part's mean RV
  bool fit_trees = true;
  TreeTarget tree_target = TreeTarget::kAuto;
  bool fit_har = true;
  bool fit_network = true;                 // when a candidate is given here or registered
  std::optional<NetworkCandidate> network; // unset: registered_network_candidate()
  BoostedTreesOptions trees = default_tree_options();
  std::size_t bootstrap_resamples = 1000;
  std::uint64_t bootstrap_seed = 42;
  std::size_t block_length = 0;      // 0 = default_block_length(test samples, horizon)
  // Asked between the candidates' fits (each tree target, HAR, the network, the scoring); true throws
  // VolatilityTrainCancelled, so a shutdown waits for one fit rather than the whole run.
  std::function<bool()> cancelled;

  static BoostedTreesOptions default_tree_options();  // kSquaredError, depth 2, min child weight 50, eta 0.05, 1 thread
  void validate() const;  // throws std::invalid_argument naming the bad field
};

struct VolatilityTrainCancelled : std::runtime_error {
  VolatilityTrainCancelled() : std::runtime_error("volatility training cancelled") {}
};

struct VolatilityTrainResult {
  std::shared_ptr<const VolatilityModel> model;
  nlohmann::json report;  // see train_volatility_model
  double seconds = 0.0;
};

// Report: {"pair","horizon","candles","samples":{"train","validation","test","embargoed"},
//  "span":{"train":{"from","to"},"validation":{...},"test":{...}} (timestamps of the "now" candles),
//  "rvFloor","rvFloorRule", "served", "learned","learnedReason", "reason", "calibrationRule",
//  "candidates":{"<member>":{"test":ScoreCard,"validation":ScoreCard}} (ScoreCard: {"samples","qlike",
//   "mseLogVar","coverage80","pinball":{"q10","q50","q90","mean"}}),
//  "skillVsEwma":{"<member>": 1 − QLIKE/QLIKE_EWMA on test},
//  "comparisons":{"<a>-<b>": BootstrapInterval of QLIKE_a − QLIKE_b on test},
//  "parameters":{"ewma","garch","historical","har","trees":{"bestRound","roundsRun","trainRmse",
//   "validationRmse","inputs","target","targets":{"logRv"|"garchResidual":{"validationQlike","bestRound"}},
//   "options","topFeatures":[{"name","gainShare"}]},"network": the candidate's to_json() or
//   {"skipped": why}, "calibration":{"<member>":{"scale","z"}}}, "seconds"}.
// Throws std::invalid_argument when the series is too short for the split (saying how many samples).
VolatilityTrainResult train_volatility_model(const Series& series, const VolatilityTrainOptions& options);

}  // namespace tbml::volatility
