#include "tbml/storage/records.h"

#include <cmath>
#include <stdexcept>

#include "tbml/market/pair_name.h"
#include "tbml/storage/storage_error.h"

namespace tbml {
namespace {

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument(what); }

void check_pair(const std::string& pair) {
  if (!is_valid_pair_name(pair)) bad("invalid pair name '" + pair + "'");
}

// Model names: "ensemble" or a model type; lower-case identifiers keep the column tidy.
void check_model(const std::string& model) {
  bool ok = !model.empty() && model.size() <= 32;
  for (char c : model) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (!ok) bad("invalid model name '" + model + "'");
}

void check_text(const std::string& value, std::size_t max, const char* field) {
  if (value.size() > max) bad(std::string(field) + " longer than " + std::to_string(max));
}

void check_unit(double value, const char* field) {
  if (!std::isfinite(value) || value < 0.0 || value > 1.0) {
    bad(std::string(field) + " must be a finite number in [0, 1]");
  }
}

void check_time(std::int64_t value, const char* field) {
  if (value < 0) bad(std::string(field) + " must not be negative");
}

void check(const CandleBatch& batch) {
  check_pair(batch.pair);
  for (const auto& c : batch.candles) {
    check_time(c.timestamp, "candle timestamp");
    for (double v : {c.open, c.high, c.low, c.close, c.volume}) {
      if (!std::isfinite(v)) bad("candle values must be finite (pair " + batch.pair + ")");
    }
  }
}

void check(const PredictionRecord& p) {
  check_pair(p.pair);
  check_model(p.model);
  check_text(p.strategy, 32, "strategy");
  check_text(p.direction, 16, "direction");
  if (p.direction.empty()) bad("direction is empty");
  check_unit(p.probability, "probability");
  check_unit(p.confidence, "confidence");
  check_time(p.candle_ts, "candle_ts");
  check_time(p.created_at, "created_at");
  if (p.horizon < 0) bad("horizon must not be negative");
}

void check(const OutcomeUpdate& u) {
  check_pair(u.pair);
  if (!u.model.empty()) check_model(u.model);
  if (u.horizon < 0) bad("horizon must not be negative");
  check_time(u.candle_ts, "candle_ts");
  check_time(u.resolved_at, "resolved_at");
}

void check(const TrainingRunRecord& r) {
  check_pair(r.pair);
  check_model(r.model);
  if (!is_valid_training_result(r.result)) bad("invalid training result '" + r.result + "'");
  check_time(r.started_at, "started_at");
  check_time(r.finished_at, "finished_at");
  if (!std::isfinite(r.duration_s) || r.duration_s < 0) bad("duration_s must be finite and >= 0");
  check_text(r.reason, 2000, "reason");
}

void check(const WeightChange& w) {
  check_pair(w.pair);
  check_time(w.at, "at");
  check_text(w.strategy, 32, "strategy");
  check_text(w.reason, 2000, "reason");
  for (const auto& [name, weight] : w.weights) {
    check_model(name);
    if (!std::isfinite(weight) || weight < 0)
      bad("weight of '" + name + "' must be finite and >= 0");
  }
}

void check(const KvPut& kv) {
  if (kv.key.empty()) bad("kv key is empty");
  check_text(kv.key, 200, "kv key");
  check_time(kv.at, "at");
}

// Member names come from the volatility stage ("garch", "trees", ...): short identifiers.
void check_member(const std::string& member) {
  bool ok = !member.empty() && member.size() <= 32;
  for (char c : member) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-' || c == '.');
  }
  if (!ok) bad("member must be 1 to 32 letters, digits, '_', '-' or '.' (got '" + member + "')");
}

void check_finite(double value, const char* field) {
  if (!std::isfinite(value)) bad(std::string(field) + " must be a finite number");
}

void check_positive(double value, const char* field) {
  if (!std::isfinite(value) || value <= 0) bad(std::string(field) + " must be a finite number > 0");
}

void check_horizon(int horizon) {
  if (horizon <= 0) bad("horizon must be > 0 (got " + std::to_string(horizon) + ")");
}

void check(const VolatilityForecastRecord& f) {
  check_pair(f.pair);
  check_member(f.member);
  check_horizon(f.horizon);
  check_time(f.candle_ts, "candle_ts");
  check_time(f.created_at, "created_at");
  if (f.model_version < 0) bad("model_version must not be negative");
  check_positive(f.variance, "variance");
  check_positive(f.ewma_variance, "ewma_variance");
  check_finite(f.q10, "q10");
  check_finite(f.q50, "q50");
  check_finite(f.q90, "q90");
  if (!(f.q10 <= f.q50 && f.q50 <= f.q90)) {
    bad("quantiles must satisfy q10 <= q50 <= q90 (got " + std::to_string(f.q10) + ", " +
        std::to_string(f.q50) + ", " + std::to_string(f.q90) + ")");
  }
}

void check(const VolatilityOutcomeUpdate& u) {
  check_pair(u.pair);
  check_horizon(u.horizon);
  check_time(u.candle_ts, "candle_ts");
  check_time(u.resolved_at, "resolved_at");
  if (!std::isfinite(u.realised_variance) || u.realised_variance < 0) {
    bad("realised_variance must be a finite number >= 0");
  }
  check_finite(u.realised_return, "realised_return");
}

}  // namespace

void validate(const StorageOp& op) {
  std::visit([](const auto& value) { check(value); }, op);
}

bool is_valid_training_result(const std::string& result) {
  return result == "accepted" || result == "rejected" || result == "failed" ||
         result == "cancelled";
}

nlohmann::json StorageStats::to_json() const {
  nlohmann::json per_pair = nlohmann::json::object();
  for (const auto& p : pairs) {
    per_pair[p.pair] = {{"candles", p.candles},
                        {"predictions", p.predictions},
                        {"resolvedPredictions", p.resolved},
                        {"trainingRuns", p.training_runs},
                        {"volatilityForecasts", p.volatility_forecasts},
                        {"resolvedVolatilityForecasts", p.volatility_resolved}};
  }
  return {{"schemaVersion", schema_version},
          {"databaseBytes", db_bytes},
          {"walBytes", wal_bytes},
          {"counts",
           {{"candles", candles},
            {"predictions", predictions},
            {"trainingRuns", training_runs},
            {"weightChanges", weight_changes},
            {"kv", kv},
            {"volatilityForecasts", volatility_forecasts}}},
          {"pairs", per_pair}};
}

nlohmann::json CleanupResult::to_json() const {
  return {{"predictions", predictions},
          {"trainingRuns", training_runs},
          {"weightChanges", weight_changes},
          {"volatilityForecasts", volatility_forecasts}};
}

std::string to_string(StorageFault fault) {
  switch (fault) {
    case StorageFault::kDiskFull:
      return "disk full";
    case StorageFault::kReadOnly:
      return "read-only";
    case StorageFault::kLocked:
      return "database is locked";
    case StorageFault::kIo:
      return "I/O error";
    case StorageFault::kCorrupt:
      return "database corrupt";
    case StorageFault::kData:
      return "invalid data";
    case StorageFault::kOther:
      return "storage error";
  }
  return "storage error";
}

bool is_retryable(StorageFault fault) { return fault != StorageFault::kData; }

}  // namespace tbml
