#include "schema.h"

namespace tbml::schema {

const std::vector<const char*>& migrations() {
  static const std::vector<const char*> list = {
      // 1: initial schema.
      R"sql(
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
)sql",
      // 2: volatility forecasts (issue #18). One row per (pair, horizon, candle): the forecast made
      // at that candle for the next `horizon` candles, and once known what was realised.
      R"sql(
CREATE TABLE volatility_forecasts (
  id                INTEGER PRIMARY KEY,
  pair              TEXT    NOT NULL,
  candle_ts         INTEGER NOT NULL,
  horizon           INTEGER NOT NULL CHECK (horizon > 0),
  member            TEXT    NOT NULL,
  model_version     INTEGER NOT NULL DEFAULT 0,
  variance          REAL    NOT NULL CHECK (variance > 0),
  q10               REAL    NOT NULL,
  q50               REAL    NOT NULL,
  q90               REAL    NOT NULL,
  ewma_variance     REAL    NOT NULL CHECK (ewma_variance > 0),
  created_at        INTEGER NOT NULL,
  realised_variance REAL    NULL CHECK (realised_variance >= 0),
  realised_return   REAL    NULL,
  resolved_at       INTEGER NULL,
  CHECK (q10 <= q50 AND q50 <= q90),
  UNIQUE (pair, horizon, candle_ts)
);
CREATE INDEX volatility_forecasts_by_pair_time ON volatility_forecasts (pair, candle_ts DESC);
CREATE INDEX volatility_forecasts_by_created ON volatility_forecasts (created_at);
)sql",
      // 3: several horizons (issue #18): a prediction is unique per (pair, model, horizon, candle), so
      // each horizon's forecast for a candle is its own row. SQLite cannot change a UNIQUE constraint in
      // place: the table is rebuilt with every row kept.
      R"sql(
CREATE TABLE predictions_by_horizon (
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
  UNIQUE (pair, model, horizon, candle_ts)
);
INSERT INTO predictions_by_horizon SELECT id, pair, model, strategy, probability, confidence, direction,
  candle_ts, horizon, model_version, created_at, outcome, resolved_at FROM predictions;
DROP TABLE predictions;
ALTER TABLE predictions_by_horizon RENAME TO predictions;
CREATE INDEX predictions_by_pair_time ON predictions (pair, candle_ts DESC);
CREATE INDEX predictions_by_created ON predictions (created_at);
)sql",
  };
  return list;
}

}  // namespace tbml::schema
