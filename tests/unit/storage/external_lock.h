#pragma once
// Another connection holding the database's write lock, as a second process would: a real
// "database is locked" fault for tests, released on demand.
#include <sqlite3.h>

#include <filesystem>
#include <stdexcept>

namespace tbml::test {

class ExternalWriteLock {
 public:
  explicit ExternalWriteLock(const std::filesystem::path& file) {
    if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("open failed");
    if (sqlite3_exec(db_, "BEGIN IMMEDIATE; INSERT INTO kv VALUES('external','held',1);", nullptr,
                     nullptr, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sqlite3_errmsg(db_));
    }
  }
  ~ExternalWriteLock() {
    release();
    sqlite3_close(db_);
  }
  void release() {
    if (held_) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    held_ = false;
  }

 private:
  sqlite3* db_ = nullptr;
  bool held_ = true;
};

}  // namespace tbml::test
