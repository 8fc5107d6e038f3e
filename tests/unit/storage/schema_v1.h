#pragma once
// A database as the first release left it: schema version 1, written with the SQL that release shipped
// (migration 1, frozen here on purpose so that editing a shipped migration fails the migration tests).
#include <sqlite3.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace tbml::test {

inline constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE candles (
  pair   TEXT    NOT NULL,
  ts     INTEGER NOT NULL,
  open   REAL    NOT NULL,
  high   REAL    NOT NULL,
  low    REAL    NOT NULL,
  close  REAL    NOT NULL,
  volume REAL    NOT NULL,
  PRIMARY KEY (pair, ts)
) WITHOUT ROWID;

CREATE TABLE predictions (
  id            INTEGER PRIMARY KEY,
  pair          TEXT    NOT NULL,
  model         TEXT    NOT NULL,
  strategy      TEXT    NOT NULL DEFAULT '',
  probability   REAL    NOT NULL CHECK (probability >= 0 AND probability <= 1),
  confidence    REAL    NOT NULL,
  direction     TEXT    NOT NULL,
  candle_ts     INTEGER NOT NULL,
  horizon       INTEGER NOT NULL,
  model_version INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  outcome       INTEGER NULL CHECK (outcome IN (0, 1)),
  resolved_at   INTEGER NULL,
  UNIQUE (pair, model, candle_ts)
);
CREATE INDEX predictions_by_pair_time ON predictions (pair, candle_ts DESC);
CREATE INDEX predictions_by_created ON predictions (created_at);

CREATE TABLE training_runs (
  id           INTEGER PRIMARY KEY,
  pair         TEXT    NOT NULL,
  model        TEXT    NOT NULL,
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER NOT NULL,
  duration_s   REAL    NOT NULL,
  config_json  TEXT    NOT NULL,
  metrics_json TEXT    NOT NULL,
  result       TEXT    NOT NULL CHECK (result IN ('accepted', 'rejected', 'failed', 'cancelled')),
  reason       TEXT    NOT NULL DEFAULT '',
  version      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX training_runs_by_pair ON training_runs (pair, finished_at DESC);
CREATE INDEX training_runs_by_finished ON training_runs (finished_at);

CREATE TABLE weight_changes (
  id           INTEGER PRIMARY KEY,
  pair         TEXT    NOT NULL,
  at           INTEGER NOT NULL,
  strategy     TEXT    NOT NULL,
  weights_json TEXT    NOT NULL,
  reason       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX weight_changes_by_pair ON weight_changes (pair, at DESC, id DESC);

CREATE TABLE kv (
  key        TEXT PRIMARY KEY,
  value      TEXT    NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Creates `<dir>/tbml.sqlite` at schema version 1, then runs `extra_sql` (rows to migrate) on it.
inline void create_v1_database(const std::filesystem::path& dir, const std::string& extra_sql) {
  std::filesystem::create_directories(dir);
  sqlite3* db = nullptr;
  const auto file = dir / "tbml.sqlite";
  if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot create " + file.string());
  }
  const std::string sql =
      std::string("PRAGMA journal_mode=WAL; BEGIN;"
                  "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                  " applied_at INTEGER NOT NULL);"
                  "INSERT INTO schema_migrations VALUES (1, 1000);") +
      kSchemaV1 + extra_sql + "; COMMIT;";
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  if (rc != SQLITE_OK) throw std::runtime_error("version 1 database: " + message);
}

}  // namespace tbml::test
