#include "tbml/models/model_registry.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <stdexcept>

#include "tbml/util/time.h"

namespace tbml {

nlohmann::json TrainingRun::to_json() const {
  nlohmann::json j{{"result", to_string(outcome)},
                   {"reason", reason},
                   {"candidateVersion", candidate_version},
                   {"finishedAt", finished_at}};
  j["report"] = report ? report->to_json() : nlohmann::json(nullptr);
  return j;
}

nlohmann::json ModelStatus::to_json() const {
  nlohmann::json j{{"modelType", to_string(type)},
                   {"trained", trained},
                   {"state", to_string(state)},
                   {"reason", reason},
                   {"stateSince", state_since},
                   {"version", version}};
  if (info) {
    j["trainedAt"] = info->trained_at;
    j["featureCount"] = info->feature_names.size();
    j["featureVersion"] = info->feature_version;
    j["sequenceLength"] = info->sequence_length;
    j["horizon"] = info->horizon;
    j["parameters"] = info->parameters;
    j["validation"] = info->report.validation.to_json();
    j["test"] = info->report.test.to_json();
    j["edge"] = info->report.edge ? info->report.edge->to_json() : nlohmann::json(nullptr);
  } else {
    for (const char* key : {"trainedAt", "featureCount", "featureVersion", "sequenceLength", "horizon",
                            "parameters", "validation", "test", "edge"}) {
      j[key] = nullptr;
    }
  }
  j["lastRun"] = last_run ? last_run->to_json() : nlohmann::json(nullptr);
  return j;
}

ModelRegistry::ModelRegistry(std::size_t max_recent_runs)
    : max_recent_runs_(std::max<std::size_t>(1, max_recent_runs)) {}

const ModelRegistry::Entry* ModelRegistry::find(const std::string& pair, ModelType type) const {
  auto it = entries_.find(Key{pair, type});
  return it == entries_.end() ? nullptr : &it->second;
}

ModelRegistry::Entry& ModelRegistry::entry(const std::string& pair, ModelType type) {
  if (pair.empty()) throw std::invalid_argument("model registry: pair name is empty");
  return entries_[Key{pair, type}];
}

void ModelRegistry::publish(const std::string& pair, ModelType type, ModelPtr model, int version) {
  if (!model) throw std::invalid_argument("model registry: cannot publish a null model for " + pair);
  if (version < 0) throw std::invalid_argument("model registry: negative version for " + pair);
  const ModelInfo& info = model->info();
  if (info.type != type) {
    throw std::invalid_argument("model registry: model of type " + to_string(info.type) +
                                " published as " + to_string(type) + " for " + pair);
  }
  if (!info.pair.empty() && info.pair != pair) {
    throw std::invalid_argument("model registry: model trained for " + info.pair +
                                " published for " + pair);
  }
  std::lock_guard lock(mutex_);
  Entry& e = entry(pair, type);
  e.model = std::move(model);  // model and version change together under the lock
  e.version = version;
  e.state = next_state(e.state, VersionEvent::kPublished, true);
  e.reason.clear();
  e.state_since = now_ms();
  int& highest = highest_version_[Key{pair, type}];
  highest = std::max(highest, version);
}

ModelPtr ModelRegistry::get(const std::string& pair, ModelType type) const {
  return serving(pair, type).model;
}

ServingModel ModelRegistry::serving(const std::string& pair, ModelType type) const {
  std::lock_guard lock(mutex_);
  const Entry* e = find(pair, type);
  if (!e) return {};
  return {e->model, e->version};
}

std::vector<ModelPtr> ModelRegistry::models_for(const std::string& pair) const {
  std::lock_guard lock(mutex_);
  std::vector<ModelPtr> out;
  for (ModelType type : all_model_types()) {
    const Entry* e = find(pair, type);
    if (e && e->model) out.push_back(e->model);
  }
  return out;
}

void ModelRegistry::apply(const std::string& pair, ModelType type, VersionEvent event, std::string reason) {
  std::lock_guard lock(mutex_);
  const Entry* existing = find(pair, type);
  const ModelState from = existing ? existing->state : ModelState::kUntrained;
  const ModelState to = next_state(from, event, existing && existing->model);  // throws before any change
  Entry& e = entry(pair, type);
  e.state = to;
  e.reason = std::move(reason);
  e.state_since = now_ms();
}

void ModelRegistry::record_run(const std::string& pair, ModelType type, TrainingRun run) {
  if (run.finished_at == 0) run.finished_at = now_ms();
  std::lock_guard lock(mutex_);
  Entry& e = entry(pair, type);
  e.state = next_state(e.state, event_of(run.outcome), e.model != nullptr);
  if (e.model) {
    e.reason = run.outcome == RunOutcome::kAccepted
                   ? std::string()
                   : "serving version " + std::to_string(e.version) + "; last run " +
                         to_string(run.outcome) + ": " + run.reason;
  } else if (run.outcome == RunOutcome::kCancelled) {
    e.reason = "training cancelled: " + run.reason;
  } else {
    e.reason = to_string(run.outcome) + ": " + run.reason;
  }
  e.state_since = run.finished_at;
  e.runs.push_front(std::move(run));
  while (e.runs.size() > max_recent_runs_) e.runs.pop_back();
}

std::optional<TrainingRun> ModelRegistry::last_run(const std::string& pair, ModelType type) const {
  std::lock_guard lock(mutex_);
  const Entry* e = find(pair, type);
  if (!e || e->runs.empty()) return std::nullopt;
  return e->runs.front();
}

std::vector<TrainingRun> ModelRegistry::recent_runs(const std::string& pair, ModelType type) const {
  std::lock_guard lock(mutex_);
  const Entry* e = find(pair, type);
  if (!e) return {};
  return {e->runs.begin(), e->runs.end()};
}

ModelStatus ModelRegistry::status_of(const std::string& pair, ModelType type) const {
  ModelStatus s;
  s.pair = pair;
  s.type = type;
  const Entry* e = find(pair, type);
  if (!e) return s;
  s.trained = e->model != nullptr;
  s.state = e->state;
  s.reason = e->reason;
  s.state_since = e->state_since;
  if (e->model) {
    s.version = e->version;
    s.info = e->model->info();
  }
  if (!e->runs.empty()) s.last_run = e->runs.front();
  return s;
}

std::vector<ModelStatus> ModelRegistry::status(const std::string& pair) const {
  std::lock_guard lock(mutex_);
  std::vector<ModelStatus> out;
  for (ModelType type : all_model_types()) out.push_back(status_of(pair, type));
  return out;
}

nlohmann::json ModelRegistry::status_json(const std::string& pair) const {
  const std::vector<ModelStatus> all = status(pair);
  nlohmann::json models = nlohmann::json::object();
  std::size_t loaded = 0;
  for (const ModelStatus& s : all) {
    models[to_string(s.type)] = s.to_json();
    if (s.trained) ++loaded;
  }
  return {{"pair", pair}, {"modelsLoaded", loaded}, {"models", std::move(models)}};
}

std::vector<std::string> ModelRegistry::pairs() const {
  std::lock_guard lock(mutex_);
  std::set<std::string> names;
  for (const auto& [key, e] : entries_) names.insert(key.first);
  return {names.begin(), names.end()};
}

std::size_t ModelRegistry::loaded_count(const std::string& pair) const {
  return models_for(pair).size();
}

std::map<std::string, std::size_t> ModelRegistry::loaded_counts() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::size_t> counts;
  for (const auto& [key, e] : entries_) {
    std::size_t& n = counts[key.first];
    if (e.model) ++n;
  }
  return counts;
}

int ModelRegistry::next_version(const std::string& pair, ModelType type) const {
  std::lock_guard lock(mutex_);
  auto it = highest_version_.find(Key{pair, type});
  return it == highest_version_.end() ? 1 : it->second + 1;
}

void ModelRegistry::clear(const std::string& pair) {
  std::lock_guard lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->first.first == pair ? entries_.erase(it) : std::next(it);
  }
}

}  // namespace tbml
