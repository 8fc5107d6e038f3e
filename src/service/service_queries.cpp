// The JSON bodies of the routes. Each reads published state (snapshots, registry, queue, tracker,
// storage reads) and never runs a model.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "service_impl.h"
#include "tbml/ensemble/prediction_json.h"
#include "tbml/features/feature_pipeline.h"
#include "tbml/service/api_error.h"
#include "tbml/service/prediction_answer.h"
#include "tbml/util/json_template.h"
#include "tbml/util/time.h"

namespace tbml {

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

ModelType require_model_type(const std::string& raw) {
  auto t = parse_model_type(raw);
  if (!t) {
    std::string shown = raw.substr(0, 40);
    std::vector<std::string> valid;
    for (ModelType type : all_model_types()) valid.push_back(to_string(type));
    std::string list;
    for (const auto& v : valid) list += (list.empty() ? "" : ", ") + v;
    throw bad_request("Unknown model type '" + shown + "': valid types are " + list, {{"validModelTypes", valid}});
  }
  return *t;
}

Strategy require_strategy(const std::optional<std::string>& raw, Strategy fallback) {
  if (!raw) return fallback;
  auto s = try_parse_strategy(*raw);
  if (!s)
    throw bad_request("Unknown strategy '" + raw->substr(0, 40) + "': valid strategies are " + valid_strategy_list(),
                      {{"validStrategies", valid_strategy_names()}});
  return *s;
}

// ---------------------------------------------------------------------------------------------------
// Helpers

std::shared_ptr<PairState> Service::Impl::require_pair(const std::string& pair) const {
  auto state = market->find(pair);
  if (!state)
    throw not_found("Pair not found", "Pair " + pair + " is not tracked",
                    {{"pair", pair}, {"availablePairs", market->pairs()}});
  return state;
}

bool Service::Impl::pair_is_stale(const std::string& pair) const {
  if (!poller) return true;
  const Poller::Freshness f = poller->freshness(pair);
  if (!f.reachable || f.last_success_ms == 0) return true;
  const int interval = options.demo_core_url.empty() ? cfg.core.poll_interval_ms : cfg.demo.poll_interval_ms;
  return now_ms() - f.last_success_ms > 2LL * interval + cfg.core.timeout_ms;
}

nlohmann::json Service::Impl::training_state(const std::string& pair, const HorizonTrack& t) const {
  nlohmann::json models = nlohmann::json::object();
  for (const auto& s : t.registry.status(pair)) {
    if (std::find(enabled.begin(), enabled.end(), s.type) == enabled.end()) continue;
    models[to_string(s.type)] = {{"state", to_string(s.state)}, {"reason", s.reason}, {"trained", s.trained}};
  }
  auto state = market->find(pair);
  return {{"models", models},
          {"horizon", t.horizon()},
          {"dataPoints", state ? state->size() : 0},
          {"minCandlesForTraining", cfg.training.min_candles},
          {"queue", lifecycle ? lifecycle->queue().summary().to_json() : nlohmann::json(nullptr)}};
}

// ---------------------------------------------------------------------------------------------------
// Health and self-description

Reply Service::health() const {
  const Impl& d = *impl_;
  const std::int64_t now = now_ms();
  std::vector<std::string> problems;
  nlohmann::json upstream;
  UpstreamHealth up;
  if (d.poller) {
    up = d.poller->health();
    upstream = {{"url", up.base_url},
                {"reachable", up.reachable},
                {"lastSuccess", up.last_success_ms},
                {"lastError", up.last_error},
                {"consecutiveFailures", up.consecutive_failures},
                {"totalPolls", up.total_polls},
                {"totalErrors", up.total_errors},
                {"rejectedPayloads", up.rejected_payloads},
                {"rejectedPoints", up.rejected_points}};
    if (!up.ever_polled) problems.push_back("core not polled yet");
    else if (!up.reachable) problems.push_back("core unreachable: " + up.last_error);
    else if (up.consecutive_failures > 0) problems.push_back("core errors: " + up.last_error);
  } else {
    upstream = {{"reachable", false}, {"lastError", "poller not started"}};
    problems.push_back("poller not started");
  }
  upstream["demo"] = !d.options.demo_core_url.empty();

  nlohmann::json pairs = nlohmann::json::object();
  const HorizonTrack& main = d.default_track();
  auto loaded = main.registry.loaded_counts();  // the default horizon's, as before horizons were a list
  nlohmann::json loaded_per_horizon = nlohmann::json::object();
  for (const auto& [h, t] : d.tracks) loaded_per_horizon[std::to_string(h)] = t->registry.loaded_counts();
  for (const auto& pair : d.market->pairs()) {
    auto state = d.market->find(pair);
    if (!state) continue;
    PairCounters c = state->counters();
    bool stale = d.pair_is_stale(pair);
    if (stale && up.reachable) problems.push_back(pair + " data is stale");
    nlohmann::json p = {{"dataPoints", c.size},
                        {"lastCandle", c.last_timestamp},
                        {"lastUpdate", c.last_update_ms},
                        {"fresh", !stale},
                        {"rejectedPoints", c.total_rejected},
                        {"modelsLoaded", loaded.count(pair) ? loaded.at(pair) : 0},
                        {"modelsEnabled", d.enabled.size()},
                        {"hasPrediction", main.snapshots.get(pair) != nullptr},
                        {"served", d.serves(pair)},  // false: another replica's reference pair, features only
                        {"horizons", d.horizons_json(pair)}};
    auto it = up.pairs.find(pair);
    if (it != up.pairs.end()) {
      p["lastFetch"] = it->second.last_fetch_ms;
      p["lastError"] = it->second.last_error;
    }
    pairs[pair] = p;
  }

  nlohmann::json storage = {{"ok", true}};
  std::string storage_problem = d.storage_problem();
  if (!storage_problem.empty()) {
    storage = {{"ok", false}, {"reason", storage_problem}};
    problems.push_back(storage_problem);
  }
  if (d.storage) storage["details"] = d.storage->health().to_json();
  storage["baseDir"] = d.cfg.storage.base_dir;
  // Model files found on disk and refused (never loaded), until a new version of that model is saved.
  nlohmann::json refused = nlohmann::json::array();
  if (d.storage) {
    for (const auto& r : d.storage->models().refused()) {
      refused.push_back(r.to_json());
      problems.push_back("model file refused: " + r.pair + " " + r.type + " v" + std::to_string(r.version) + " " +
                         r.file + ": " + r.reason);
    }
  }

  // A tripped ensemble breaker or a signal alert degrades health, with the reason (docs/decision.md).
  const std::vector<std::string> decision_problems = d.decision_problems();
  problems.insert(problems.end(), decision_problems.begin(), decision_problems.end());
  std::string status = problems.empty() ? "healthy" : "degraded";
  return Reply::of({{"status", status},
          {"service", "tbml"},
          {"version", TBML_VERSION},
          {"uptime", static_cast<double>(now - d.started_at_ms) / 1000.0},
          {"problems", problems},
          {"upstream", upstream},
          {"pairs", pairs},
          {"models", {{"enabled", d.enabled_names()}, {"loadedPerPair", loaded}, {"loadedPerHorizon", loaded_per_horizon}, {"refused", refused}}},
          {"horizons", {{"default", d.cfg.ml.horizon}, {"configured", d.cfg.ml.horizons}}},
          {"training", d.lifecycle ? d.lifecycle->queue().summary().to_json() : nlohmann::json(nullptr)},
          {"storage", storage},
          {"cluster", {{"replicas", d.shards.replicas()}, {"ordinal", d.shards.ordinal()},
                       {"peerUrlTemplate", d.shards.peer_url_template()}}},
          {"decision", {{"problems", decision_problems}}},
          {"timestamp", now}});
}

Reply Service::describe() const {
  return Reply::of({{"service", "tbml"},
          {"name", "tbml prediction service"},
          {"version", TBML_VERSION},
          {"description",
           "Predicts P(close rises over the next horizon candles) per pair with LSTM, GRU, CNN and "
           "Transformer networks and gradient-boosted trees, combined where they show a measured edge, with "
           "volatility and return-interval forecasts"},
          {"features", {{"count", FeaturePipeline::width()}, {"version", FeaturePipeline::version()}}},
          {"models", impl_->enabled_names()},
          {"strategies", valid_strategy_names()},
          {"horizon", impl_->cfg.ml.horizon},
          {"horizons", impl_->cfg.ml.horizons},
          {"sequenceLength", impl_->cfg.ml.sequence_length},
          {"timestamp", now_ms()}});
}

// ---------------------------------------------------------------------------------------------------
// Features

Reply Service::features(const std::string& pair) const {
  auto state = impl_->require_pair(pair);
  auto f = state->latest_features();
  if (!f)
    throw unavailable("No data", "No candles received for " + pair + " yet", {{"pair", pair}});
  // Total gain per feature of the serving tree member, summed over its summary columns (null without one).
  nlohmann::json importance = nullptr;
  for (ModelType t : impl_->enabled) {
    const ModelPtr m = impl_->default_track().registry.get(pair, t);
    if (!m) continue;
    const auto gains = m->feature_importance();
    if (gains.empty()) continue;
    double total = 0.0;
    for (const auto& g : gains) total += g.second;
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [name, gain] : gains)
      rows.push_back({{"name", name}, {"gain", gain}, {"share", total > 0 ? gain / total : 0.0}});
    importance = {{"model", to_string(t)}, {"kind", "total gain"}, {"features", rows}};
    break;
  }
  // Cross-pair columns: their numbers when the reference candle was there, else "not available" and why
  // (the flag, the last column, is always its number). `values` keeps the finite encoding the models read.
  const auto& ref_names = FeaturePipeline::reference_names();
  const bool ref_live = f->reference == ReferenceStatus::kAvailable;
  const std::string& ref_pair = impl_->market->reference_pair();
  nlohmann::json ref_values = nlohmann::json::object();
  for (std::size_t i = 0, first = f->values.size() - ref_names.size(); i < ref_names.size(); ++i)
    ref_values[ref_names[i]] = ref_live || i + 1 == ref_names.size() ? nlohmann::json(f->values[first + i])
                                                                     : nlohmann::json("not available");
  const nlohmann::json reference = {
      {"pair", ref_pair.empty() ? nlohmann::json(nullptr) : nlohmann::json(ref_pair)},
      {"available", ref_live},
      {"status", reference_status_name(f->reference)},
      {"reason", ref_live ? nlohmann::json(nullptr) : nlohmann::json(reference_status_reason(f->reference, ref_pair))},
      {"values", ref_values}};
  return Reply::of({{"pair", pair},
          {"features", {{"count", f->values.size()}, {"names", f->names}, {"values", f->values},
                        {"version", FeaturePipeline::version()}}},
          {"reference", reference},
          {"importance", importance},
          {"dataPoints", f->data_points},
          {"dataTimestamp", f->timestamp},
          {"stale", impl_->pair_is_stale(pair)},
          {"timestamp", now_ms()}});
}

// ---------------------------------------------------------------------------------------------------
// Predictions

Reply Service::prediction(const std::string& pair, const PredictionQuery& query) const {
  return Reply::text_of(impl_->prediction_text(pair, query, std::chrono::steady_clock::now()), "application/json");
}

std::string Service::Impl::prediction_text(const std::string& pair, const PredictionQuery& query,
                                           std::chrono::steady_clock::time_point started) const {
  const Impl& d = *this;
  d.require_pair(pair);
  HorizonTrack& t = d.requested_track(query.horizon);
  std::optional<Strategy> asked;
  if (query.strategy) asked = require_strategy(query.strategy, Strategy::kWeighted);
  std::optional<std::string> single;
  if (query.model) single = to_string(require_model_type(*query.model));

  // Snapshots are published, combined for every strategy, on every new candle, whenever a training run
  // settles and when the ensemble settings change. A request never runs a model and never combines, and
  // takes no lock but the snapshot store's reader lock and the poller's for staleness: it copies the
  // snapshot's serialised answer (built by the first request of each form) and fills in four values.
  SnapshotPtr snap = t.snapshots.get(pair);
  const bool base_rate_answer = snap && snap->models.empty() && snap->base_rate_only && !single && query.ensemble;
  if (!snap || (snap->models.empty() && !base_rate_answer)) {
    nlohmann::json ctx = {{"pair", pair}, {"horizon", t.horizon()}, {"horizons", d.horizons_json(pair)},
                          {"training", d.training_state(pair, t)}};
    if (snap) ctx["errors"] = snap->errors;
    throw unavailable("Models not ready",
                      "No trained model can predict " + pair + " at horizon " + std::to_string(t.horizon()) + " yet", ctx);
  }
  if (!single && !query.ensemble) {
    // The default model: the first enabled model type that produced a prediction.
    single = snap->models.front().model;
  }
  PredictionForm form;
  form.single = single;
  form.strategy = asked.value_or(snap->ensemble.served);
  AnswerValues values;
  values.stale = d.pair_is_stale(pair);
  values.horizons = horizons_text(d.horizon_availability(pair));
  values.timestamp = now_ms();
  try {
    values.response_time_ms = elapsed_ms(started);
    return prediction_answer(*snap, form, {t.horizon(), d.cfg.ensemble.signal_threshold}, values);
  } catch (const NoPredictionError& e) {
    throw unavailable("Models not ready", e.what(),
                      {{"pair", pair}, {"horizon", t.horizon()}, {"errors", e.errors()}, {"training", d.training_state(pair, t)}});
  }
}

Reply Service::predictions_all(const PredictionQuery& query) const {
  const auto started = std::chrono::steady_clock::now();
  // Validate once, so a bad strategy is a 400 rather than one error per pair.
  require_strategy(query.strategy, Strategy::kWeighted);
  if (query.model) require_model_type(*query.model);
  const std::size_t horizon = impl_->requested_track(query.horizon).horizon();
  std::map<std::string, std::string> texts;  // by pair, sorted as the tree's keys are
  nlohmann::json unavailable_pairs = nlohmann::json::object();
  for (const auto& pair : impl_->market->pairs()) {
    if (!impl_->serves(pair)) continue;  // another replica's (the reference pair, ingested for features)
    try {
      texts[pair] = impl_->prediction_text(pair, query, std::chrono::steady_clock::now());
    } catch (const ApiError& e) {
      unavailable_pairs[pair] = {{"error", e.error()}, {"message", e.what()}};
    }
  }
  if (!impl_->shards.sharded()) {
    // The tree's dump, written out: keys in sorted order (count, horizon, predictions, responseTime,
    // timestamp, unavailable), each pair's answer copied in as it is.
    std::size_t bytes = 160;
    for (const auto& [pair, text] : texts) bytes += pair.size() + text.size() + 4;
    std::string out;
    out.reserve(bytes);
    out += "{\"count\":" + std::to_string(texts.size()) + ",\"horizon\":" + std::to_string(horizon) +
           ",\"predictions\":{";
    for (const auto& [pair, text] : texts) {
      if (out.back() != '{') out += ',';
      out += dump_answer(pair);
      out += ':';
      out += text;
    }
    out += "},\"responseTime\":";
    const std::int64_t now = now_ms();
    out += nlohmann::json(elapsed_ms(started)).dump();
    out += ",\"timestamp\":" + std::to_string(now) + ",\"unavailable\":" + dump_answer(unavailable_pairs) + "}";
    return Reply::text_of(std::move(out), "application/json");
  }
  nlohmann::json predictions = nlohmann::json::object();
  for (const auto& [pair, text] : texts) predictions[pair] = nlohmann::json::parse(text);
  nlohmann::json answer = {{"predictions", predictions},
                           {"count", predictions.size()},
                           {"horizon", horizon},
                           {"unavailable", unavailable_pairs},
                           {"timestamp", now_ms()}};
  answer["shards"] = {{"replicas", impl_->shards.replicas()}, {"ordinal", impl_->shards.ordinal()},
                      {"local", query.local_only}};
  if (!query.local_only) impl_->merge_peer_predictions(query, answer);
  answer["responseTime"] = elapsed_ms(started);
  return Reply::of(std::move(answer));
}

Reply Service::model_predict(const std::string& pair, const std::string& model_type,
                             const std::optional<std::string>& horizon) const {
  PredictionQuery q;
  q.model = model_type;
  q.horizon = horizon;
  return prediction(pair, q);
}

Reply Service::history(const std::string& pair, std::size_t limit, std::optional<std::int64_t> since,
                       std::optional<std::string> model, const std::optional<std::string>& horizon) const {
  Impl& d = *impl_;
  d.require_pair(pair);
  const std::size_t h = d.requested_track(horizon).horizon();
  if (model && *model != "ensemble") *model = to_string(require_model_type(*model));
  Database* db = d.storage ? d.storage->db() : nullptr;
  if (!db) throw unavailable("Storage unavailable", d.storage_problem());
  // History includes everything predicted so far: wait for the writer, unless the database is refusing
  // writes (locked, disk full), where waiting would only delay the answer. pendingWrites tells the client
  // what is not in the database yet.
  if (d.storage->health().writer.healthy) d.storage->flush(std::chrono::seconds(2));
  const std::size_t pending_writes = d.storage->health().writer.queue_depth;
  HistoryQuery q;
  q.pair = pair;
  q.limit = limit;
  q.since = since.value_or(0);
  q.model = model.value_or("");
  q.horizon = static_cast<int>(h);
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : db->history(q)) {
    nlohmann::json row = {{"pair", r.pair},
                          {"model", r.model},
                          {"strategy", r.strategy.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.strategy)},
                          {"prediction", r.probability},
                          {"confidence", r.confidence},
                          {"direction", r.direction},
                          {"dataTimestamp", r.candle_ts},
                          {"horizon", r.horizon},
                          {"modelVersion", r.model_version},
                          {"timestamp", r.created_at}};
    if (r.outcome) {
      row["outcome"] = *r.outcome ? "up" : "down";
      row["actualDirection"] = *r.outcome ? "up" : "down";
      row["correct"] = (r.probability > 0.5) == *r.outcome;
      row["resolvedAt"] = r.resolved_at.value_or(0);
    } else {
      row["outcome"] = nullptr;
    }
    rows.push_back(row);
  }
  nlohmann::json body = history_page_json(pair, h, std::move(rows), limit, since);
  body["pendingWrites"] = pending_writes;
  return Reply::of(std::move(body));
}

nlohmann::json history_page_json(const std::string& pair, std::size_t horizon, nlohmann::json rows, std::size_t limit,
                                 std::optional<std::int64_t> since) {
  const std::size_t count = rows.size();
  return {{"pair", pair},
          {"horizon", horizon},
          {"history", std::move(rows)},
          {"count", count},
          {"limit", limit},
          {"since", since ? nlohmann::json(*since) : nlohmann::json(nullptr)},
          {"timestamp", now_ms()}};
}


}  // namespace tbml
