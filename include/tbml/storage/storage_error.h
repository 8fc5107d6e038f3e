#pragma once
// Storage faults as the health endpoint reports them: a short kind ("disk full", "read-only",
// "database is locked") plus SQLite's own message, so an operator knows what to fix.
#include <stdexcept>
#include <string>

namespace tbml {

enum class StorageFault {
  kDiskFull,  // SQLITE_FULL
  kReadOnly,  // SQLITE_READONLY / SQLITE_PERM / SQLITE_CANTOPEN on a read-only folder
  kLocked,    // SQLITE_BUSY / SQLITE_LOCKED after busy_timeout
  kIo,        // SQLITE_IOERR
  kCorrupt,   // SQLITE_CORRUPT / SQLITE_NOTADB
  kData,      // constraint or type errors: retrying the same op cannot help
  kOther,
};

std::string to_string(StorageFault fault);

// Transient faults (disk full, locked, I/O) may clear; the writer retries those with backoff.
bool is_retryable(StorageFault fault);

class StorageError : public std::runtime_error {
 public:
  StorageError(StorageFault fault, int sqlite_code, const std::string& message)
      : std::runtime_error(describe(fault, message)), fault_(fault), code_(sqlite_code) {}
  StorageFault fault() const { return fault_; }
  int sqlite_code() const { return code_; }

 private:
  // "disk full: database or disk is full"; SQLite's own text alone when it already says the kind.
  static std::string describe(StorageFault fault, const std::string& message) {
    const std::string kind = to_string(fault);
    if (message.compare(0, kind.size(), kind) == 0) return message;
    return kind + ": " + message;
  }
  StorageFault fault_;
  int code_;
};

}  // namespace tbml
