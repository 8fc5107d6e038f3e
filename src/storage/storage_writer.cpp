#include "tbml/storage/storage_writer.h"

#include <algorithm>

#include "log.h"
#include "tbml/util/time.h"

namespace tbml {

StorageWriter::StorageWriter(Database& db, StorageWriterOptions options)
    : db_(db), options_(options), stop_timeout_ms_(options.stop_timeout_ms) {
  if (options_.max_queue == 0 || options_.batch_size == 0 || options_.flush_interval_ms <= 0 ||
      options_.retry_initial_ms <= 0 || options_.retry_max_ms < options_.retry_initial_ms ||
      options_.enqueue_timeout_ms < 0 || options_.stop_timeout_ms < 0) {
    throw std::invalid_argument(
        "storage writer options: queue, batch, flush interval and retry times must be positive");
  }
  thread_ = std::thread([this] { run(); });
}

StorageWriter::~StorageWriter() { stop(); }

bool StorageWriter::enqueue(StorageOp op) {
  validate(op);
  std::unique_lock lock(mu_);
  const bool has_room = not_full_.wait_for(
      lock, std::chrono::milliseconds(options_.enqueue_timeout_ms),
      [&] { return stopping_ || queue_.size() + in_flight_ < options_.max_queue; });
  if (!has_room || stopping_) {
    ++status_.dropped_ops;
    // The first drop and then every 1000th, so a stuck disk does not flood the log.
    if (status_.dropped_ops % 1000 == 1) {
      storage_log()->warn("storage queue {} ({} ops waiting): write dropped, {} dropped so far",
                          stopping_ ? "stopped" : "full", queue_.size() + in_flight_,
                          status_.dropped_ops);
    }
    return false;
  }
  queue_.push_back(std::move(op));
  ++accepted_seq_;
  if (queue_.size() >= options_.batch_size) wake_.notify_one();
  return true;
}

bool StorageWriter::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  const std::uint64_t target = accepted_seq_;
  flush_target_ = std::max(flush_target_, target);
  wake_.notify_one();
  return progress_.wait_for(lock, timeout, [&] { return done_seq_ >= target; });
}

void StorageWriter::stop(std::chrono::milliseconds give_up_after) {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    stop_timeout_ms_ = std::min<std::int64_t>(stop_timeout_ms_, std::max<std::int64_t>(0, give_up_after.count()));
  }
  wake_.notify_all();
  not_full_.notify_all();
  // Only the first caller joins; later callers find the thread already joined.
  std::lock_guard join_lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

StorageWriterStatus StorageWriter::status() const {
  std::lock_guard lock(mu_);
  StorageWriterStatus s = status_;
  s.queue_depth = queue_.size() + in_flight_;
  return s;
}

void StorageWriter::finish(std::size_t ops) {
  // Caller holds mu_.
  in_flight_ -= ops;
  done_seq_ += ops;
  not_full_.notify_all();
  progress_.notify_all();
}

void StorageWriter::run() {
  std::vector<StorageOp> batch;
  int backoff_ms = options_.retry_initial_ms;
  std::int64_t give_up_at = 0;
  std::unique_lock lock(mu_);
  for (;;) {
    if (batch.empty()) {
      wake_.wait_for(lock, std::chrono::milliseconds(options_.flush_interval_ms), [&] {
        return stopping_ || queue_.size() >= options_.batch_size || flush_target_ > done_seq_;
      });
      if (queue_.empty()) {
        if (stopping_) break;
        continue;
      }
      const std::size_t n = std::min(queue_.size(), options_.batch_size);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      in_flight_ = n;
    }
    lock.unlock();
    const bool done = commit(batch);
    lock.lock();
    if (done) {
      backoff_ms = options_.retry_initial_ms;
      continue;
    }
    if (stopping_) {
      if (give_up_at == 0) give_up_at = steady_ms() + stop_timeout_ms_;
      if (steady_ms() >= give_up_at) {
        const std::size_t lost = batch.size() + queue_.size();
        status_.dropped_ops += lost;
        storage_log()->error("storage writer stopping: {} queued writes lost after retrying ({})",
                             lost, status_.last_error);
        queue_.clear();
        batch.clear();
        in_flight_ = 0;
        done_seq_ = accepted_seq_;
        progress_.notify_all();
        break;
      }
    }
    wake_.wait_for(lock, std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, options_.retry_max_ms);
  }
}

bool StorageWriter::commit(std::vector<StorageOp>& batch) {
  try {
    db_.apply(batch);
    std::lock_guard lock(mu_);
    if (!status_.healthy) storage_log()->info("storage writes recovered");
    status_.healthy = true;
    status_.last_commit_at = now_ms();
    status_.committed_ops += batch.size();
    finish(batch.size());
    batch.clear();
    return true;
  } catch (const StorageError& e) {
    if (e.fault() == StorageFault::kData) {
      commit_one_by_one(batch);
      return batch.empty();
    }
    std::lock_guard lock(mu_);
    // Log when the reason changes, not on every retry.
    if (status_.healthy || status_.last_error != e.what()) {
      storage_log()->error("storage transaction failed, {} writes kept for retry: {}", batch.size(),
                           e.what());
    }
    status_.healthy = false;
    status_.last_error = e.what();
    status_.last_error_at = now_ms();
    ++status_.failed_commits;
    return false;
  }
}

// A batch refused as invalid data: commit the good ops one by one and reject only the bad ones.
void StorageWriter::commit_one_by_one(std::vector<StorageOp>& batch) {
  std::size_t handled = 0;
  for (; handled < batch.size(); ++handled) {
    try {
      db_.apply({batch[handled]});
      std::lock_guard lock(mu_);
      ++status_.committed_ops;
      status_.last_commit_at = now_ms();
    } catch (const StorageError& e) {
      if (e.fault() != StorageFault::kData) break;  // a storage fault: retry the rest later
      std::lock_guard lock(mu_);
      ++status_.rejected_ops;
      storage_log()->warn("storage write rejected as invalid data: {}", e.what());
    }
  }
  std::lock_guard lock(mu_);
  finish(handled);
  batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(handled));
}

}  // namespace tbml
