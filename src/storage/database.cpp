#include "tbml/storage/database.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <map>
#include <stdexcept>
#include <system_error>

#include "schema.h"
#include "sqlite_connection.h"

namespace tbml {
namespace {

constexpr int kWriteFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
constexpr int kReadFlags =
    SQLITE_OPEN_READWRITE;  // a WAL reader needs write access to the -shm file

std::uintmax_t file_size_or_zero(const std::filesystem::path& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

std::int64_t cutoff_ms(double max_age_hours, std::int64_t now_ms) {
  if (!std::isfinite(max_age_hours) || max_age_hours <= 0) {
    throw std::invalid_argument("maxAgeHours must be a finite number > 0");
  }
  return now_ms - static_cast<std::int64_t>(std::llround(max_age_hours * 3600.0 * 1000.0));
}

PredictionRecord read_prediction(const sqlite::Statement& s) {
  PredictionRecord p;
  p.id = s.column_int(0);
  p.pair = s.column_text(1);
  p.model = s.column_text(2);
  p.strategy = s.column_text(3);
  p.probability = s.column_double(4);
  p.confidence = s.column_double(5);
  p.direction = s.column_text(6);
  p.candle_ts = s.column_int(7);
  p.horizon = static_cast<int>(s.column_int(8));
  p.model_version = static_cast<int>(s.column_int(9));
  p.created_at = s.column_int(10);
  if (!s.column_is_null(11)) p.outcome = s.column_int(11) != 0;
  if (!s.column_is_null(12)) p.resolved_at = s.column_int(12);
  return p;
}

constexpr const char* kPredictionColumns =
    "id, pair, model, strategy, probability, confidence, direction, candle_ts, horizon, "
    "model_version, created_at, outcome, resolved_at";

TrainingRunRecord read_training_run(const sqlite::Statement& s) {
  TrainingRunRecord r;
  r.id = s.column_int(0);
  r.pair = s.column_text(1);
  r.model = s.column_text(2);
  r.started_at = s.column_int(3);
  r.finished_at = s.column_int(4);
  r.duration_s = s.column_double(5);
  r.config = nlohmann::json::parse(s.column_text(6), nullptr, false);
  r.metrics = nlohmann::json::parse(s.column_text(7), nullptr, false);
  r.result = s.column_text(8);
  r.reason = s.column_text(9);
  r.version = static_cast<int>(s.column_int(10));
  return r;
}

}  // namespace

Database::Database(const std::filesystem::path& dir) : Database(DatabaseOptions{dir}) {}

Database::Database(DatabaseOptions options) : options_(std::move(options)) {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) {
    const int e = ec.value();
    const StorageFault fault = (e == EROFS || e == EACCES || e == EPERM) ? StorageFault::kReadOnly
                               : e == ENOSPC                             ? StorageFault::kDiskFull
                                                                         : StorageFault::kIo;
    throw StorageError(fault, SQLITE_CANTOPEN,
                       "cannot create folder " + options_.dir.string() + ": " + ec.message());
  }
  file_ = options_.dir / kFileName;
  writer_ = std::make_unique<sqlite::Connection>(file_, kWriteFlags, options_.busy_timeout_ms);
  // WAL: readers never block the writer and a crash leaves the last committed transaction intact.
  // synchronous=NORMAL: in WAL mode a commit is not fsynced, only checkpoints are. A process crash
  // (kill -9) loses nothing committed because the WAL pages are already in the OS page cache; a
  // power cut may lose the last few commits but never corrupts the file. That trade buys far fewer
  // fsyncs on a busy 2-core box; model files, which matter more, are fsynced explicitly by
  // ModelStore.
  writer_->exec("PRAGMA journal_mode=WAL");
  writer_->exec("PRAGMA synchronous=NORMAL");
  writer_->exec("PRAGMA foreign_keys=ON");
  if (options_.max_pages > 0) {
    // A number we formatted ourselves; pragmas take no bound parameters.
    const std::string pragma = "PRAGMA max_page_count=" + std::to_string(options_.max_pages);
    writer_->exec(pragma.c_str());
  }
  migrate();
  reader_ = std::make_unique<sqlite::Connection>(file_, kReadFlags, options_.busy_timeout_ms);
  reader_->exec("PRAGMA foreign_keys=ON");
  reader_->exec("PRAGMA query_only=ON");
}

Database::~Database() = default;

int Database::latest_schema_version() { return static_cast<int>(schema::migrations().size()); }

void Database::migrate() {
  std::lock_guard lock(write_mu_);
  writer_->exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
  const auto& steps = schema::migrations();
  int current = static_cast<int>(
      writer_->query_int("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  if (current > latest_schema_version()) {
    throw StorageError(StorageFault::kOther, 0,
                       "database schema version " + std::to_string(current) +
                           " is newer than this build understands (" +
                           std::to_string(latest_schema_version()) + ")");
  }
  for (int version = current + 1; version <= latest_schema_version(); ++version) {
    sqlite::Transaction tx(*writer_);
    writer_->exec(steps[static_cast<std::size_t>(version - 1)]);
    auto stmt = writer_->prepare(
        "INSERT INTO schema_migrations (version, applied_at) "
        "VALUES (?, CAST(strftime('%s','now') AS INTEGER) * 1000)");
    stmt.bind(1, version);
    stmt.run();
    tx.commit();
  }
}

int Database::schema_version() const {
  std::lock_guard lock(read_mu_);
  return static_cast<int>(
      reader_->query_int("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
}

// ---------------------------------------------------------------- writes

void Database::apply(const std::vector<StorageOp>& ops) {
  for (const auto& op : ops) validate(op);
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*writer_);
  for (const auto& op : ops) apply_one(op);
  tx.commit();
}

void Database::apply_one(const StorageOp& op) {
  auto& w = *writer_;
  if (const auto* batch = std::get_if<CandleBatch>(&op)) {
    auto stmt = w.prepare(
        "INSERT INTO candles (pair, ts, open, high, low, close, volume) VALUES (?,?,?,?,?,?,?) "
        "ON CONFLICT (pair, ts) DO UPDATE SET open=excluded.open, high=excluded.high, "
        "low=excluded.low, close=excluded.close, volume=excluded.volume");
    for (const auto& c : batch->candles) {
      stmt.bind(1, batch->pair).bind(2, c.timestamp).bind(3, c.open).bind(4, c.high);
      stmt.bind(5, c.low).bind(6, c.close).bind(7, c.volume);
      stmt.run();
    }
  } else if (const auto* p = std::get_if<PredictionRecord>(&op)) {
    // A repeat for the same candle replaces the values but keeps an outcome already recorded.
    auto stmt = w.prepare(
        "INSERT INTO predictions (pair, model, strategy, probability, confidence, direction, "
        "candle_ts, horizon, model_version, created_at, outcome, resolved_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT (pair, model, horizon, candle_ts) DO UPDATE SET strategy=excluded.strategy, "
        "probability=excluded.probability, confidence=excluded.confidence, "
        "direction=excluded.direction, "
        "model_version=excluded.model_version, created_at=excluded.created_at, "
        "outcome=COALESCE(predictions.outcome, excluded.outcome), "
        "resolved_at=COALESCE(predictions.resolved_at, excluded.resolved_at)");
    stmt.bind(1, p->pair).bind(2, p->model).bind(3, p->strategy).bind(4, p->probability);
    stmt.bind(5, p->confidence).bind(6, p->direction).bind(7, p->candle_ts).bind(8, p->horizon);
    stmt.bind(9, p->model_version).bind(10, p->created_at);
    if (p->outcome)
      stmt.bind(11, *p->outcome ? 1 : 0);
    else
      stmt.bind_null(11);
    if (p->resolved_at)
      stmt.bind(12, *p->resolved_at);
    else
      stmt.bind_null(12);
    stmt.run();
  } else if (const auto* u = std::get_if<OutcomeUpdate>(&op)) {
    auto stmt = w.prepare(
        "UPDATE predictions SET outcome = ?1, resolved_at = ?2 "
        "WHERE pair = ?3 AND candle_ts = ?4 AND (?5 = '' OR model = ?5) AND (?6 = 0 OR horizon = ?6) "
        "AND outcome IS NULL");
    stmt.bind(1, u->outcome ? 1 : 0).bind(2, u->resolved_at).bind(3, u->pair);
    stmt.bind(4, u->candle_ts).bind(5, u->model).bind(6, u->horizon);
    stmt.run();
  } else if (const auto* r = std::get_if<TrainingRunRecord>(&op)) {
    auto stmt = w.prepare(
        "INSERT INTO training_runs (pair, model, started_at, finished_at, duration_s, config_json, "
        "metrics_json, result, reason, version) VALUES (?,?,?,?,?,?,?,?,?,?)");
    stmt.bind(1, r->pair).bind(2, r->model).bind(3, r->started_at).bind(4, r->finished_at);
    stmt.bind(5, r->duration_s).bind(6, r->config.dump()).bind(7, r->metrics.dump());
    stmt.bind(8, r->result).bind(9, r->reason).bind(10, r->version);
    stmt.run();
  } else if (const auto* wc = std::get_if<WeightChange>(&op)) {
    auto stmt = w.prepare(
        "INSERT INTO weight_changes (pair, at, strategy, weights_json, reason) VALUES (?,?,?,?,?)");
    nlohmann::json weights(wc->weights);
    stmt.bind(1, wc->pair).bind(2, wc->at).bind(3, wc->strategy).bind(4, weights.dump());
    stmt.bind(5, wc->reason);
    stmt.run();
  } else if (const auto* kv = std::get_if<KvPut>(&op)) {
    auto stmt = w.prepare(
        "INSERT INTO kv (key, value, updated_at) VALUES (?,?,?) "
        "ON CONFLICT (key) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at");
    stmt.bind(1, kv->key).bind(2, kv->value).bind(3, kv->at);
    stmt.run();
  } else if (const auto* vf = std::get_if<VolatilityForecastRecord>(&op)) {
    apply_volatility(*vf);
  } else if (const auto* vo = std::get_if<VolatilityOutcomeUpdate>(&op)) {
    apply_volatility(*vo);
  }
}

void Database::upsert_candles(const std::string& pair, const std::vector<Candle>& candles) {
  apply({CandleBatch{pair, candles}});
}

void Database::record_prediction(const PredictionRecord& prediction) { apply({prediction}); }

int Database::resolve_outcome(const OutcomeUpdate& update) {
  validate(update);
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*writer_);
  apply_one(update);
  int changed = writer_->changes();
  tx.commit();
  return changed;
}

std::int64_t Database::record_training_run(const TrainingRunRecord& run) {
  validate(run);
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*writer_);
  apply_one(run);
  auto id = writer_->last_insert_id();
  tx.commit();
  return id;
}

void Database::record_weights(const WeightChange& change) { apply({change}); }

void Database::put_kv(const std::string& key, const std::string& value, std::int64_t at) {
  apply({KvPut{key, value, at}});
}

CleanupResult Database::cleanup(double max_age_hours, std::int64_t now_ms) {
  const std::int64_t cutoff = cutoff_ms(max_age_hours, now_ms);
  CleanupResult removed;
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*writer_);
  {
    auto stmt = writer_->prepare("DELETE FROM predictions WHERE created_at < ?");
    stmt.bind(1, cutoff);
    stmt.run();
    removed.predictions = writer_->changes();
  }
  {
    auto stmt = writer_->prepare("DELETE FROM training_runs WHERE finished_at < ?");
    stmt.bind(1, cutoff);
    stmt.run();
    removed.training_runs = writer_->changes();
  }
  {
    auto stmt = writer_->prepare(
        "DELETE FROM weight_changes WHERE at < ?1 AND id NOT IN ("
        " SELECT (SELECT id FROM weight_changes w2 WHERE w2.pair = w1.pair"
        "         ORDER BY at DESC, id DESC LIMIT 1)"
        " FROM (SELECT DISTINCT pair FROM weight_changes) w1)");
    stmt.bind(1, cutoff);
    stmt.run();
    removed.weight_changes = writer_->changes();
  }
  {
    auto stmt = writer_->prepare("DELETE FROM volatility_forecasts WHERE created_at < ?");
    stmt.bind(1, cutoff);
    stmt.run();
    removed.volatility_forecasts = writer_->changes();
  }
  tx.commit();
  return removed;
}

std::int64_t Database::cleanup_candles(double max_age_hours, std::int64_t now_ms) {
  const std::int64_t cutoff = cutoff_ms(max_age_hours, now_ms);
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*writer_);
  auto stmt = writer_->prepare("DELETE FROM candles WHERE ts < ?");
  stmt.bind(1, cutoff);
  stmt.run();
  std::int64_t removed = writer_->changes();
  tx.commit();
  return removed;
}

void Database::checkpoint() {
  std::lock_guard lock(write_mu_);
  writer_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

// ---------------------------------------------------------------- reads

std::vector<Candle> Database::load_candles(const std::string& pair, std::size_t max_rows) const {
  std::vector<Candle> out;
  if (max_rows == 0) return out;
  std::lock_guard lock(read_mu_);
  auto stmt = reader_->prepare(
      "SELECT ts, open, high, low, close, volume FROM ("
      " SELECT * FROM candles WHERE pair = ? ORDER BY ts DESC LIMIT ?) ORDER BY ts ASC");
  stmt.bind(1, pair).bind(2, static_cast<std::int64_t>(std::min<std::size_t>(max_rows, INT64_MAX)));
  while (stmt.step()) {
    Candle c;
    c.timestamp = stmt.column_int(0);
    c.open = stmt.column_double(1);
    c.high = stmt.column_double(2);
    c.low = stmt.column_double(3);
    c.close = stmt.column_double(4);
    c.volume = stmt.column_double(5);
    out.push_back(c);
  }
  return out;
}

std::vector<std::string> Database::pairs_with_candles() const {
  std::vector<std::string> out;
  std::lock_guard lock(read_mu_);
  auto stmt = reader_->prepare("SELECT DISTINCT pair FROM candles ORDER BY pair");
  while (stmt.step()) out.push_back(stmt.column_text(0));
  return out;
}

std::vector<PredictionRecord> Database::history(const HistoryQuery& query) const {
  static const std::string sql = std::string("SELECT ") + kPredictionColumns +
                                 " FROM predictions WHERE pair = ?1 AND candle_ts >= ?2"
                                 " AND (?3 = '' OR model = ?3) AND (?5 = 0 OR horizon = ?5)"
                                 " ORDER BY candle_ts DESC, id DESC LIMIT ?4";
  const std::int64_t limit =
      static_cast<std::int64_t>(std::clamp<std::size_t>(query.limit, 1, 10000));
  std::vector<PredictionRecord> out;
  std::lock_guard lock(read_mu_);
  auto stmt = reader_->prepare(sql.c_str());
  stmt.bind(1, query.pair).bind(2, query.since).bind(3, query.model).bind(4, limit).bind(5, query.horizon);
  while (stmt.step()) out.push_back(read_prediction(stmt));
  return out;
}

std::optional<PredictionRecord> Database::find_prediction(const std::string& pair,
                                                          const std::string& model,
                                                          std::int64_t candle_ts, int horizon) const {
  static const std::string sql = std::string("SELECT ") + kPredictionColumns +
                                 " FROM predictions WHERE pair = ?1 AND model = ?2 AND candle_ts = ?3"
                                 " AND (?4 = 0 OR horizon = ?4) ORDER BY id LIMIT 1";
  std::lock_guard lock(read_mu_);
  auto stmt = reader_->prepare(sql.c_str());
  stmt.bind(1, pair).bind(2, model).bind(3, candle_ts).bind(4, horizon);
  if (!stmt.step()) return std::nullopt;
  return read_prediction(stmt);
}

std::vector<TrainingRunRecord> Database::training_runs(const std::string& pair,
                                                       std::size_t limit) const {
  const std::int64_t rows = static_cast<std::int64_t>(std::clamp<std::size_t>(limit, 1, 10000));
  std::vector<TrainingRunRecord> out;
  std::lock_guard lock(read_mu_);
  auto stmt = reader_->prepare(
      "SELECT id, pair, model, started_at, finished_at, duration_s, config_json, metrics_json, "
      "result, reason, version FROM training_runs WHERE (?1 = '' OR pair = ?1) "
      "ORDER BY finished_at DESC, id DESC LIMIT ?2");
  stmt.bind(1, pair).bind(2, rows);
  while (stmt.step()) out.push_back(read_training_run(stmt));
  return out;
}

std::optional<WeightChange> Database::latest_weights(const std::string& pair) const {
  std::lock_guard lock(read_mu_);
  auto stmt = reader_->prepare(
      "SELECT id, pair, at, strategy, weights_json, reason FROM weight_changes WHERE pair = ? "
      "ORDER BY at DESC, id DESC LIMIT 1");
  stmt.bind(1, pair);
  if (!stmt.step()) return std::nullopt;
  WeightChange w;
  w.id = stmt.column_int(0);
  w.pair = stmt.column_text(1);
  w.at = stmt.column_int(2);
  w.strategy = stmt.column_text(3);
  auto weights = nlohmann::json::parse(stmt.column_text(4), nullptr, false);
  if (weights.is_object()) {
    for (const auto& [name, value] : weights.items()) {
      if (value.is_number()) w.weights[name] = value.get<double>();
    }
  }
  w.reason = stmt.column_text(5);
  return w;
}

std::optional<std::string> Database::get_kv(const std::string& key) const {
  std::lock_guard lock(read_mu_);
  auto stmt = reader_->prepare("SELECT value FROM kv WHERE key = ?");
  stmt.bind(1, key);
  if (!stmt.step()) return std::nullopt;
  return stmt.column_text(0);
}

StorageStats Database::stats() const {
  StorageStats s;
  s.db_bytes = file_size_or_zero(file_);
  s.wal_bytes = file_size_or_zero(std::filesystem::path(file_.string() + "-wal"));
  std::map<std::string, PairCounts> pairs;
  auto pair_entry = [&pairs](const std::string& name) -> PairCounts& {
    auto& entry = pairs[name];
    entry.pair = name;
    return entry;
  };
  std::lock_guard lock(read_mu_);
  // One read transaction so all counts describe the same committed state.
  reader_->exec("BEGIN");
  try {
    s.schema_version = static_cast<int>(
        reader_->query_int("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    s.candles = reader_->query_int("SELECT COUNT(*) FROM candles");
    s.predictions = reader_->query_int("SELECT COUNT(*) FROM predictions");
    s.training_runs = reader_->query_int("SELECT COUNT(*) FROM training_runs");
    s.weight_changes = reader_->query_int("SELECT COUNT(*) FROM weight_changes");
    s.kv = reader_->query_int("SELECT COUNT(*) FROM kv");
    s.volatility_forecasts = reader_->query_int("SELECT COUNT(*) FROM volatility_forecasts");
    {
      auto stmt = reader_->prepare("SELECT pair, COUNT(*) FROM candles GROUP BY pair");
      while (stmt.step()) pair_entry(stmt.column_text(0)).candles = stmt.column_int(1);
    }
    {
      auto stmt =
          reader_->prepare("SELECT pair, COUNT(*), COUNT(outcome) FROM predictions GROUP BY pair");
      while (stmt.step()) {
        auto& entry = pair_entry(stmt.column_text(0));
        entry.predictions = stmt.column_int(1);
        entry.resolved = stmt.column_int(2);
      }
    }
    {
      auto stmt = reader_->prepare("SELECT pair, COUNT(*) FROM training_runs GROUP BY pair");
      while (stmt.step()) pair_entry(stmt.column_text(0)).training_runs = stmt.column_int(1);
    }
    {
      auto stmt = reader_->prepare(
          "SELECT pair, COUNT(*), COUNT(resolved_at) FROM volatility_forecasts GROUP BY pair");
      while (stmt.step()) {
        auto& entry = pair_entry(stmt.column_text(0));
        entry.volatility_forecasts = stmt.column_int(1);
        entry.volatility_resolved = stmt.column_int(2);
      }
    }
  } catch (...) {
    reader_->exec("ROLLBACK");
    throw;
  }
  reader_->exec("COMMIT");
  for (auto& [name, counts] : pairs) s.pairs.push_back(counts);
  return s;
}

std::string Database::integrity_check() const {
  std::lock_guard lock(read_mu_);
  auto stmt = reader_->prepare("PRAGMA integrity_check");
  std::string result;
  while (stmt.step()) {
    if (!result.empty()) result += "; ";
    result += stmt.column_text(0);
  }
  return result;
}

}  // namespace tbml
