#pragma once
// The history database: one SQLite file `<dir>/tbml.sqlite` in WAL mode holding candles,
// predictions with their outcomes, volatility forecasts with their realised values, training runs,
// weight changes and a small key/value table.
//
// Two connections: writes go through one, reads through the other. WAL lets the reader see the last
// committed state while a write transaction is open, so history and stats requests never wait for
// the writer thread's batches. Each connection is guarded by its own mutex.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tbml/market/candle.h"
#include "tbml/storage/records.h"
#include "tbml/storage/storage_error.h"

namespace tbml {

namespace sqlite {
class Connection;
}

struct DatabaseOptions {
  std::filesystem::path dir = "data/ml";
  int busy_timeout_ms = 5000;  // how long a write waits for another process's lock
  std::int64_t max_pages = 0;  // 0 = unlimited; otherwise caps the file (a quota; tests use it)
};

class Database {
 public:
  static constexpr const char* kFileName = "tbml.sqlite";

  // Creates the folder and applies pending schema migrations. Throws StorageError when the file
  // cannot be opened or migrated.
  explicit Database(DatabaseOptions options);
  explicit Database(const std::filesystem::path& dir);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::filesystem::path& file() const { return file_; }
  int schema_version() const;
  static int latest_schema_version();

  // ---- writes (each call is one transaction; apply() runs many ops in one) ----
  void apply(const std::vector<StorageOp>& ops);  // all or nothing; throws StorageError
  void upsert_candles(const std::string& pair, const std::vector<Candle>& candles);
  void record_prediction(const PredictionRecord& prediction);
  // Returns how many predictions got the outcome (only unresolved ones are touched).
  int resolve_outcome(const OutcomeUpdate& update);
  std::int64_t record_training_run(const TrainingRunRecord& run);  // returns the row id
  void record_weights(const WeightChange& change);
  void put_kv(const std::string& key, const std::string& value, std::int64_t at);

  void record_volatility_forecast(const VolatilityForecastRecord& forecast);
  // Returns 1 when the forecast got its realised values, 0 when there is no such forecast or it
  // already has them (the first outcome stays).
  int resolve_volatility(const VolatilityOutcomeUpdate& update);

  // Removes predictions and volatility forecasts created, and training runs finished, strictly
  // before now - max_age_hours; a row exactly max_age_hours old is kept. Weight changes older than
  // that go too, except each pair's latest (the weights in force). Throws std::invalid_argument for
  // a non-positive age.
  CleanupResult cleanup(double max_age_hours, std::int64_t now_ms);
  // Candles have their own retention: removes candles with ts strictly before now - max_age_hours.
  std::int64_t cleanup_candles(double max_age_hours, std::int64_t now_ms);
  // Moves the WAL into the main file and truncates it (after cleanup, at shutdown).
  void checkpoint();

  // ---- reads (separate connection, last committed state) ----
  // The newest `max_rows` candles of the pair, oldest first (ready to refill a ring buffer).
  std::vector<Candle> load_candles(const std::string& pair, std::size_t max_rows) const;
  std::vector<std::string> pairs_with_candles() const;
  // Newest first by candle time; limit is clamped to [1, 10000].
  std::vector<PredictionRecord> history(const HistoryQuery& query) const;
  // horizon 0: whichever horizon's row comes first (the lowest id).
  std::optional<PredictionRecord> find_prediction(const std::string& pair, const std::string& model,
                                                  std::int64_t candle_ts, int horizon = 0) const;
  // The pair's volatility forecasts for candles at or after `since`, newest first by candle time
  // (then shortest horizon first), of one horizon (0 = every horizon); limit is clamped to [1, 10000].
  std::vector<VolatilityForecastRow> volatility_history(const std::string& pair, std::size_t limit,
                                                        std::int64_t since, int horizon = 0) const;
  std::optional<VolatilityForecastRow> find_volatility_forecast(const std::string& pair, int horizon,
                                                                std::int64_t candle_ts) const;
  // Forecasts still waiting for their outcome: unresolved, for `horizon` (0 = every horizon), made
  // at candles at or after `since`; oldest first, at most 10000 (page on by candle time).
  std::vector<VolatilityForecastRow> load_pending_volatility(const std::string& pair, int horizon,
                                                             std::int64_t since) const;
  // Newest first; an empty pair lists every pair.
  std::vector<TrainingRunRecord> training_runs(const std::string& pair, std::size_t limit) const;
  std::optional<WeightChange> latest_weights(const std::string& pair) const;
  std::optional<std::string> get_kv(const std::string& key) const;
  StorageStats stats() const;
  std::string integrity_check() const;  // "ok" or SQLite's list of problems

 private:
  void apply_one(const StorageOp& op);  // inside an open write transaction
  // apply_one for the volatility ops (database_volatility.cpp).
  void apply_volatility(const VolatilityForecastRecord& forecast);
  void apply_volatility(const VolatilityOutcomeUpdate& update);
  void migrate();

  DatabaseOptions options_;
  std::filesystem::path file_;
  mutable std::mutex write_mu_;
  mutable std::mutex read_mu_;
  std::unique_ptr<sqlite::Connection> writer_;
  std::unique_ptr<sqlite::Connection> reader_;
};

}  // namespace tbml
