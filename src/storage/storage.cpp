#include "tbml/storage/storage.h"

#include "log.h"
#include "tbml/util/time.h"

namespace tbml {

nlohmann::json StorageHealth::to_json() const {
  return {{"healthy", healthy},
          {"reason", reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(reason)},
          {"queueDepth", writer.queue_depth},
          {"lastCommitAt", writer.last_commit_at},
          {"lastError",
           writer.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(writer.last_error)},
          {"committedWrites", writer.committed_ops},
          {"droppedWrites", writer.dropped_ops},
          {"rejectedWrites", writer.rejected_ops},
          {"failedCommits", writer.failed_commits}};
}

Storage::Storage(StorageOptions options)
    : options_(std::move(options)), models_(options_.base_dir, options_.keep_model_versions) {
  if (!(options_.max_age_hours > 0) || options_.candle_max_age_hours < 0 ||
      options_.cleanup_interval.count() < 0) {
    throw std::invalid_argument(
        "storage options: maxAgeHours must be > 0, candle age and cleanup interval >= 0");
  }
  try {
    models_.cleanup_temp();
    if (auto bad = models_.verify_all()) {
      storage_log()->warn("{} stored model version(s) failed verification and were quarantined",
                          bad);
    }
  } catch (const std::exception& e) {
    storage_log()->error("model folder check failed: {}", e.what());
  }
  try {
    db_ = open_database();
    const std::string integrity = db_->integrity_check();
    if (integrity != "ok") storage_log()->error("database integrity check: {}", integrity);
    writer_ = std::make_unique<StorageWriter>(*db_, options_.writer);
    storage_log()->info("storage at {} (schema v{})", db_->file().string(), db_->schema_version());
  } catch (const std::exception& e) {
    writer_.reset();
    db_.reset();
    open_error_ = std::string("database unavailable: ") + e.what();
    storage_log()->error("{}; running without history", open_error_);
  }
  if (db_ && options_.cleanup_interval.count() > 0) {
    retention_ = std::thread([this] { retention_loop(); });
  }
}

Storage::~Storage() { shutdown(); }

// A file that is not a database (or whose header is destroyed) is moved aside with its WAL and a
// fresh database is created, so history keeps working; the old file stays for inspection.
std::unique_ptr<Database> Storage::open_database() {
  const DatabaseOptions db_options{options_.base_dir, options_.busy_timeout_ms, 0};
  try {
    return std::make_unique<Database>(db_options);
  } catch (const StorageError& e) {
    if (e.fault() != StorageFault::kCorrupt) throw;
    const auto file = options_.base_dir / Database::kFileName;
    const std::string suffix = ".bad-" + std::to_string(now_ms());
    for (const char* part : {"", "-wal", "-shm"}) {
      std::error_code ec;
      const std::filesystem::path from = file.string() + part;
      if (std::filesystem::exists(from, ec)) {
        std::filesystem::rename(from, file.string() + part + suffix, ec);
        if (ec) throw;
      }
    }
    storage_log()->error("database {} is unreadable ({}); quarantined as {}{} and starting empty",
                         file.string(), e.what(), Database::kFileName, suffix);
    return std::make_unique<Database>(db_options);
  }
}

bool Storage::enqueue(StorageOp op) {
  if (!writer_) {
    validate(op);
    return false;
  }
  return writer_->enqueue(std::move(op));
}

bool Storage::flush(std::chrono::milliseconds timeout) {
  return writer_ ? writer_->flush(timeout) : false;
}

CleanupResult Storage::cleanup(double max_age_hours) {
  if (!db_) throw StorageError(StorageFault::kOther, 0, open_error_);
  auto removed = db_->cleanup(max_age_hours, now_ms());
  db_->checkpoint();
  storage_log()->info(
      "cleanup older than {} h removed {} predictions, {} volatility forecasts, {} training runs, "
      "{} weight changes",
      max_age_hours, removed.predictions, removed.volatility_forecasts, removed.training_runs,
      removed.weight_changes);
  return removed;
}

void Storage::run_retention() {
  try {
    cleanup(options_.max_age_hours);
    if (options_.candle_max_age_hours > 0) {
      auto candles = db_->cleanup_candles(options_.candle_max_age_hours, now_ms());
      if (candles > 0) storage_log()->info("retention removed {} old candles", candles);
    }
    std::lock_guard lock(mu_);
    last_retention_error_.clear();
  } catch (const std::exception& e) {
    storage_log()->error("scheduled cleanup failed: {}", e.what());
    std::lock_guard lock(mu_);
    last_retention_error_ = std::string("cleanup failed: ") + e.what();
  }
}

void Storage::retention_loop() {
  const auto interval = options_.cleanup_interval;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (stop_cv_.wait_for(lock, interval, [this] { return stopping_; })) break;
    lock.unlock();
    run_retention();
    lock.lock();
  }
}

StorageHealth Storage::health() const {
  StorageHealth h;
  if (!db_) {
    h.reason = open_error_;
    return h;
  }
  h.writer = writer_->status();
  h.healthy = h.writer.healthy;
  if (!h.writer.healthy) h.reason = h.writer.last_error;
  std::lock_guard lock(mu_);
  if (h.healthy && !last_retention_error_.empty()) h.reason = last_retention_error_;
  return h;
}

nlohmann::json Storage::stats_json() const {
  nlohmann::json models = nlohmann::json::array();
  std::size_t model_count = 0;
  for (const auto& m : models_.list()) {
    models.push_back(
        {{"pair", m.pair}, {"type", m.type}, {"versions", m.versions}, {"bytes", m.bytes}});
    if (!m.versions.empty()) ++model_count;
  }
  nlohmann::json out = {
      {"baseDir", options_.base_dir.string()},
      {"models", {{"count", model_count}, {"bytes", models_.total_bytes()}, {"items", models}}},
      {"health", health().to_json()}};
  if (db_) {
    try {
      out["database"] = db_->stats().to_json();
    } catch (const std::exception& e) {
      out["database"] = {{"error", e.what()}};
    }
  } else {
    out["database"] = {{"error", open_error_}};
  }
  return out;
}

void Storage::shutdown(std::chrono::milliseconds give_up_after) {
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (retention_.joinable()) retention_.join();
  if (writer_) writer_->stop(give_up_after);
  if (db_) {
    try {
      db_->checkpoint();
    } catch (const std::exception& e) {
      storage_log()->warn("final checkpoint failed: {}", e.what());
    }
  }
}

}  // namespace tbml
