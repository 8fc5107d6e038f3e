#pragma once
// Writes off the request path: producers enqueue ops, one thread commits them in batched
// transactions. When the queue is full the producer waits up to `enqueue_timeout_ms`, then the op
// is dropped and counted (dropped_ops) — only ops never accepted are dropped; an accepted op is
// retried until it commits or until stop() gives up at its deadline (also counted). A failed
// transaction keeps its ops and is retried with exponential backoff; health shows the reason
// meanwhile.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tbml/storage/database.h"
#include "tbml/storage/records.h"

namespace tbml {

struct StorageWriterOptions {
  std::size_t max_queue = 10000;  // ops waiting (including a batch being retried)
  std::size_t batch_size = 500;   // commit as soon as this many are queued
  int flush_interval_ms = 200;    // otherwise commit whatever is queued this often
  int enqueue_timeout_ms = 50;    // producer wait when the queue is full, then drop
  int retry_initial_ms = 100;     // backoff after a failed transaction, doubling...
  int retry_max_ms = 5000;        // ...up to this
  int stop_timeout_ms = 10000;    // stop() keeps retrying a failing batch this long
};

struct StorageWriterStatus {
  bool healthy = true;              // false while the last transaction failed
  std::string last_error;           // e.g. "disk full: ..." (kept after recovery for diagnosis)
  std::int64_t last_error_at = 0;   // epoch ms
  std::int64_t last_commit_at = 0;  // epoch ms, 0 before the first commit
  std::size_t queue_depth = 0;
  std::uint64_t committed_ops = 0;
  std::uint64_t dropped_ops = 0;   // refused because the queue stayed full, or lost at stop
  std::uint64_t rejected_ops = 0;  // refused by the database as invalid data
  std::uint64_t failed_commits = 0;
};

class StorageWriter {
 public:
  StorageWriter(Database& db, StorageWriterOptions options = {});
  ~StorageWriter();  // stop()
  StorageWriter(const StorageWriter&) = delete;
  StorageWriter& operator=(const StorageWriter&) = delete;

  // Validates (throws std::invalid_argument) and queues. Returns false when the op was dropped
  // because the queue stayed full or the writer is stopped.
  bool enqueue(StorageOp op);
  // Blocks until every op accepted before the call is committed (or given up). False on timeout.
  bool flush(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Commits what is queued (retrying failures up to stop_timeout_ms, or `give_up_after` when shorter:
  // the service's shutdown deadline), then joins. Idempotent.
  void stop(std::chrono::milliseconds give_up_after = std::chrono::milliseconds::max());
  StorageWriterStatus status() const;

 private:
  void run();
  bool commit(std::vector<StorageOp>& batch);  // true when the batch is done with
  void commit_one_by_one(std::vector<StorageOp>& batch);
  void finish(std::size_t ops);  // marks ops as done with (committed, rejected or lost)

  Database& db_;
  const StorageWriterOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;      // writer: work, flush or stop
  std::condition_variable not_full_;  // producers
  std::condition_variable progress_;  // flush() waiters
  std::deque<StorageOp> queue_;
  std::size_t in_flight_ = 0;       // ops taken by the writer, not yet done with
  std::uint64_t accepted_seq_ = 0;  // ops accepted so far
  std::uint64_t done_seq_ = 0;      // ops done with so far (FIFO, so a prefix of accepted)
  std::uint64_t flush_target_ = 0;
  bool stopping_ = false;
  std::int64_t stop_timeout_ms_;  // options_.stop_timeout_ms, shortened by stop(give_up_after)
  StorageWriterStatus status_;
  std::mutex join_mu_;
  std::thread thread_;
};

}  // namespace tbml
