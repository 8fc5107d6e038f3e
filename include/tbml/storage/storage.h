#pragma once
// The storage stage as the service wires it: the history database, its writer thread, the model
// store and scheduled retention, with one health summary. If the database cannot be opened
// (read-only folder, corrupt file) the service still starts: writes are refused, reads return
// nothing, and health carries the reason — predictions keep being served.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tbml/storage/database.h"
#include "tbml/storage/model_store.h"
#include "tbml/storage/storage_writer.h"

namespace tbml {

struct StorageOptions {
  std::filesystem::path base_dir = "data/ml";
  double max_age_hours = 168;  // predictions, volatility forecasts, training runs, old weight changes
  double candle_max_age_hours = 0;  // 0 = keep candles
  std::chrono::milliseconds cleanup_interval{std::chrono::hours(1)};  // 0 = only on demand
  int keep_model_versions = ModelStore::kDefaultKeepVersions;
  int busy_timeout_ms = 5000;
  StorageWriterOptions writer;
};

struct StorageHealth {
  bool healthy = false;
  std::string reason;  // empty when healthy
  StorageWriterStatus writer;
  nlohmann::json to_json() const;
};

class Storage {
 public:
  // Cleans temp files, verifies stored models (quarantining bad ones), opens the database and
  // starts the writer and retention threads. Throws only for invalid options.
  explicit Storage(StorageOptions options);
  ~Storage();  // shutdown()
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  bool available() const { return db_ != nullptr; }
  Database* db() { return db_.get(); }  // null when the database could not be opened
  ModelStore& models() { return models_; }

  bool enqueue(StorageOp op);  // false when unavailable or dropped; throws on invalid data
  bool flush(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // On demand (POST /api/storage/cleanup): throws std::invalid_argument for a bad age,
  // StorageError when the database is unavailable or the delete fails.
  CleanupResult cleanup(double max_age_hours);

  StorageHealth health() const;
  // For GET /api/storage/stats: database counts and sizes, models on disk, writer status.
  nlohmann::json stats_json() const;

  // Stops retention, drains the writer (giving up on failing writes after `give_up_after` at most),
  // checkpoints the WAL. Idempotent.
  void shutdown(std::chrono::milliseconds give_up_after = std::chrono::milliseconds::max());

 private:
  std::unique_ptr<Database> open_database();
  void retention_loop();
  void run_retention();

  StorageOptions options_;
  ModelStore models_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<StorageWriter> writer_;
  std::string open_error_;
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  bool shut_down_ = false;
  std::string last_retention_error_;
  std::thread retention_;
};

}  // namespace tbml
