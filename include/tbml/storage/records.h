#pragma once
// Plain rows of the history database. Timestamps are epoch milliseconds throughout.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "tbml/market/candle.h"

namespace tbml {

// Candles received for one pair; stored so training data outgrows core's window and survives
// restarts.
struct CandleBatch {
  std::string pair;
  std::vector<Candle> candles;
};

// One prediction; (pair, model, candle_ts) is unique, a repeat overwrites the values but keeps the
// outcome. `model` is "ensemble" or a model type name.
struct PredictionRecord {
  std::int64_t id = 0;  // assigned by the database
  std::string pair;
  std::string model;
  std::string strategy;
  double probability = 0.0;
  double confidence = 0.0;
  std::string direction;  // "up" / "down"
  std::int64_t candle_ts = 0;
  int horizon = 0;
  int model_version = 0;
  std::int64_t created_at = 0;
  std::optional<bool> outcome;  // true = price went up over the horizon; empty until known
  std::optional<std::int64_t> resolved_at;
};

// Realised outcome for (pair, candle_ts); an empty `model` resolves every model's prediction, a zero
// `horizon` every horizon's (each horizon's outcome is its own: close[t+h] > close[t]).
struct OutcomeUpdate {
  std::string pair;
  std::string model;
  std::int64_t candle_ts = 0;
  bool outcome = false;
  std::int64_t resolved_at = 0;
  int horizon = 0;
};

struct TrainingRunRecord {
  std::int64_t id = 0;  // assigned by the database
  std::string pair;
  std::string model;
  std::int64_t started_at = 0;
  std::int64_t finished_at = 0;
  double duration_s = 0.0;
  nlohmann::json config = nlohmann::json::object();
  nlohmann::json metrics = nlohmann::json::object();
  std::string result;  // accepted | rejected | failed | cancelled
  std::string reason;
  int version = 0;  // model version produced (0 when none)
};

struct WeightChange {
  std::int64_t id = 0;
  std::string pair;
  std::int64_t at = 0;
  std::string strategy;
  std::map<std::string, double> weights;
  std::string reason;
};

struct KvPut {
  std::string key;
  std::string value;
  std::int64_t at = 0;
};

// A volatility forecast made at candle `candle_ts` for the next `horizon` candles: `variance` of the
// horizon's summed log returns and quantiles q10 <= q50 <= q90 of the horizon log return
// log(close[t+h] / close[t]); `ewma_variance` is the EWMA baseline's forecast, kept to score skill.
// (pair, horizon, candle_ts) is unique: a repeat replaces the forecast values and keeps any realised
// values already recorded (they describe the market, not the forecast).
struct VolatilityForecastRecord {
  std::string pair;
  std::int64_t candle_ts = 0;
  int horizon = 0;     // candles, > 0
  std::string member;  // the model member that made the forecast ("garch", "trees", ...)
  int model_version = 0;
  double variance = 0, q10 = 0, q50 = 0, q90 = 0, ewma_variance = 0;
  std::int64_t created_at = 0;
};

// What was realised over the horizon of the forecast (pair, horizon, candle_ts): the realised variance
// (sum of squared candle log returns) and the horizon log return. The first outcome stays.
struct VolatilityOutcomeUpdate {
  std::string pair;
  std::int64_t candle_ts = 0;
  int horizon = 0;
  double realised_variance = 0, realised_return = 0;
  std::int64_t resolved_at = 0;
};

// A stored volatility forecast; the realised values are empty until the outcome is known.
struct VolatilityForecastRow : VolatilityForecastRecord {
  std::optional<double> realised_variance;
  std::optional<double> realised_return;
  std::optional<std::int64_t> resolved_at;
};

// One write queued for the storage writer thread.
using StorageOp = std::variant<CandleBatch, PredictionRecord, OutcomeUpdate, TrainingRunRecord,
                               WeightChange, KvPut, VolatilityForecastRecord,
                               VolatilityOutcomeUpdate>;

// Throws std::invalid_argument naming the bad field, so bad data is refused before it is queued.
void validate(const StorageOp& op);
bool is_valid_training_result(const std::string& result);

struct HistoryQuery {
  std::string pair;
  std::size_t limit = 100;
  std::int64_t since = 0;  // only predictions for candles at or after this time
  std::string model;       // empty = every model and the ensemble
  int horizon = 0;         // 0 = every horizon
};

struct PairCounts {
  std::string pair;
  std::int64_t candles = 0;
  std::int64_t predictions = 0;
  std::int64_t resolved = 0;
  std::int64_t training_runs = 0;
  std::int64_t volatility_forecasts = 0;
  std::int64_t volatility_resolved = 0;
};

struct StorageStats {
  int schema_version = 0;
  std::uintmax_t db_bytes = 0;
  std::uintmax_t wal_bytes = 0;
  std::int64_t candles = 0;
  std::int64_t predictions = 0;
  std::int64_t training_runs = 0;
  std::int64_t weight_changes = 0;
  std::int64_t kv = 0;
  std::int64_t volatility_forecasts = 0;
  std::vector<PairCounts> pairs;  // sorted by pair
  nlohmann::json to_json() const;
};

struct CleanupResult {
  std::int64_t predictions = 0;
  std::int64_t training_runs = 0;
  std::int64_t weight_changes = 0;  // older than the limit, except each pair's latest
  std::int64_t volatility_forecasts = 0;
  nlohmann::json to_json() const;
};

}  // namespace tbml
