// Database: volatility forecasts and their realised values (table volatility_forecasts, migration 2).
#include <algorithm>

#include "sqlite_connection.h"
#include "tbml/storage/database.h"

namespace tbml {
namespace {

constexpr std::int64_t kMaxRows = 10000;

constexpr const char* kVolatilityColumns =
    "pair, candle_ts, horizon, member, model_version, variance, q10, q50, q90, ewma_variance, "
    "created_at, realised_variance, realised_return, resolved_at";

VolatilityForecastRow read_volatility(const sqlite::Statement& s) {
  VolatilityForecastRow r;
  r.pair = s.column_text(0);
  r.candle_ts = s.column_int(1);
  r.horizon = static_cast<int>(s.column_int(2));
  r.member = s.column_text(3);
  r.model_version = static_cast<int>(s.column_int(4));
  r.variance = s.column_double(5);
  r.q10 = s.column_double(6);
  r.q50 = s.column_double(7);
  r.q90 = s.column_double(8);
  r.ewma_variance = s.column_double(9);
  r.created_at = s.column_int(10);
  if (!s.column_is_null(11)) r.realised_variance = s.column_double(11);
  if (!s.column_is_null(12)) r.realised_return = s.column_double(12);
  if (!s.column_is_null(13)) r.resolved_at = s.column_int(13);
  return r;
}

}  // namespace

// ---------------------------------------------------------------- writes

void Database::apply_volatility(const VolatilityForecastRecord& f) {
  // A repeat for the same (pair, horizon, candle) replaces the forecast; the realised columns are not
  // in the SET list, so an outcome already recorded stays.
  auto stmt = writer_->prepare(
      "INSERT INTO volatility_forecasts (pair, candle_ts, horizon, member, model_version, variance, "
      "q10, q50, q90, ewma_variance, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT (pair, horizon, candle_ts) DO UPDATE SET member=excluded.member, "
      "model_version=excluded.model_version, variance=excluded.variance, q10=excluded.q10, "
      "q50=excluded.q50, q90=excluded.q90, ewma_variance=excluded.ewma_variance, "
      "created_at=excluded.created_at");
  stmt.bind(1, f.pair).bind(2, f.candle_ts).bind(3, f.horizon).bind(4, f.member);
  stmt.bind(5, f.model_version).bind(6, f.variance).bind(7, f.q10).bind(8, f.q50);
  stmt.bind(9, f.q90).bind(10, f.ewma_variance).bind(11, f.created_at);
  stmt.run();
}

void Database::apply_volatility(const VolatilityOutcomeUpdate& u) {
  auto stmt = writer_->prepare(
      "UPDATE volatility_forecasts SET realised_variance = ?1, realised_return = ?2, "
      "resolved_at = ?3 WHERE pair = ?4 AND horizon = ?5 AND candle_ts = ?6 "
      "AND resolved_at IS NULL");
  stmt.bind(1, u.realised_variance).bind(2, u.realised_return).bind(3, u.resolved_at);
  stmt.bind(4, u.pair).bind(5, u.horizon).bind(6, u.candle_ts);
  stmt.run();
}

void Database::record_volatility_forecast(const VolatilityForecastRecord& forecast) {
  apply({forecast});
}

int Database::resolve_volatility(const VolatilityOutcomeUpdate& update) {
  validate(update);
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*writer_);
  apply_volatility(update);
  const int changed = writer_->changes();
  tx.commit();
  return changed;
}

// ---------------------------------------------------------------- reads

std::vector<VolatilityForecastRow> Database::volatility_history(const std::string& pair,
                                                                std::size_t limit,
                                                                std::int64_t since, int horizon) const {
  static const std::string sql = std::string("SELECT ") + kVolatilityColumns +
                                 " FROM volatility_forecasts WHERE pair = ?1 AND candle_ts >= ?2"
                                 " AND (?4 = 0 OR horizon = ?4)"
                                 " ORDER BY candle_ts DESC, horizon ASC LIMIT ?3";
  const auto rows = static_cast<std::int64_t>(
      std::clamp<std::size_t>(limit, 1, static_cast<std::size_t>(kMaxRows)));
  std::vector<VolatilityForecastRow> out;
  std::lock_guard lock(read_mu_);
  auto stmt = reader_->prepare(sql.c_str());
  stmt.bind(1, pair).bind(2, since).bind(3, rows).bind(4, horizon);
  while (stmt.step()) out.push_back(read_volatility(stmt));
  return out;
}

std::optional<VolatilityForecastRow> Database::find_volatility_forecast(
    const std::string& pair, int horizon, std::int64_t candle_ts) const {
  static const std::string sql = std::string("SELECT ") + kVolatilityColumns +
                                 " FROM volatility_forecasts"
                                 " WHERE pair = ? AND horizon = ? AND candle_ts = ?";
  std::lock_guard lock(read_mu_);
  auto stmt = reader_->prepare(sql.c_str());
  stmt.bind(1, pair).bind(2, horizon).bind(3, candle_ts);
  if (!stmt.step()) return std::nullopt;
  return read_volatility(stmt);
}

std::vector<VolatilityForecastRow> Database::load_pending_volatility(const std::string& pair,
                                                                     int horizon,
                                                                     std::int64_t since) const {
  static const std::string sql = std::string("SELECT ") + kVolatilityColumns +
                                 " FROM volatility_forecasts WHERE pair = ?1 AND candle_ts >= ?2"
                                 " AND (?3 = 0 OR horizon = ?3) AND resolved_at IS NULL"
                                 " ORDER BY candle_ts ASC, horizon ASC LIMIT ?4";
  std::vector<VolatilityForecastRow> out;
  std::lock_guard lock(read_mu_);
  auto stmt = reader_->prepare(sql.c_str());
  stmt.bind(1, pair).bind(2, since).bind(3, horizon).bind(4, kMaxRows);
  while (stmt.step()) out.push_back(read_volatility(stmt));
  return out;
}

}  // namespace tbml
