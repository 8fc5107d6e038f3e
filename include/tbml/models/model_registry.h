#pragma once
// The models that are serving, per (pair, model type), plus what the training side last did with them.
// A model is handed out as a std::shared_ptr<const Model> together with its version, copied under one
// lock, so a reader always sees a complete model and the version that belongs to it; a new model is
// swapped in only after it was built and validated elsewhere, and the old one lives on for readers
// that still hold it.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tbml/models/model.h"
#include "tbml/models/version_state.h"

namespace tbml {

// One finished training attempt for a (pair, type).
struct TrainingRun {
  RunOutcome outcome = RunOutcome::kFailed;
  std::string reason;
  std::optional<TrainingReport> report;  // absent when training failed before producing one
  int candidate_version = 0;             // version the candidate would have had (0 if unknown)
  std::int64_t finished_at = 0;          // epoch ms; filled with now_ms() by record_run when 0
  nlohmann::json to_json() const;
};

struct ServingModel {
  ModelPtr model;  // null when nothing is serving
  int version = 0;
};

// What GET /api/models/:pair/status shows for one model type.
struct ModelStatus {
  std::string pair;
  ModelType type = ModelType::kLstm;
  bool trained = false;  // a model is serving
  ModelState state = ModelState::kUntrained;
  std::string reason;
  std::int64_t state_since = 0;   // epoch ms of the last state change (0: never)
  int version = 0;                // serving version (0 when untrained)
  std::optional<ModelInfo> info;  // serving model's info
  std::optional<TrainingRun> last_run;
  nlohmann::json to_json() const;
};

class ModelRegistry {
 public:
  explicit ModelRegistry(std::size_t max_recent_runs = 10);

  // Swaps `model` in as the serving model and sets the state to ready. Throws std::invalid_argument
  // on an empty pair, a null model, a negative version, or info() naming another pair or type.
  void publish(const std::string& pair, ModelType type, ModelPtr model, int version);

  ModelPtr get(const std::string& pair, ModelType type) const;
  ServingModel serving(const std::string& pair, ModelType type) const;  // model + its version
  // Every serving model of the pair, in all_model_types() order (also while a retrain is under way).
  std::vector<ModelPtr> models_for(const std::string& pair) const;

  // Moves the state on by `event` (next_state in version_state.h) with its reason. Throws
  // std::logic_error for a transition the machine does not have (e.g. started while training).
  void apply(const std::string& pair, ModelType type, VersionEvent event, std::string reason = {});

  // Records a finished run and moves the state on by its outcome: ready when a model is serving (the old
  // one keeps serving after a rejected, failed or cancelled run), otherwise failed (or untrained after a
  // cancel). Call publish() before recording an accepted run.
  void record_run(const std::string& pair, ModelType type, TrainingRun run);
  std::optional<TrainingRun> last_run(const std::string& pair, ModelType type) const;
  std::vector<TrainingRun> recent_runs(const std::string& pair, ModelType type) const;  // newest first

  // One entry per model type in all_model_types() order; untrained entries for unknown pairs.
  std::vector<ModelStatus> status(const std::string& pair) const;
  // {"pair", "modelsLoaded", "models": {"lstm": {...}, ...}} for GET /api/models/:pair/status.
  nlohmann::json status_json(const std::string& pair) const;

  std::vector<std::string> pairs() const;  // pairs with any entry, sorted
  std::size_t loaded_count(const std::string& pair) const;
  std::map<std::string, std::size_t> loaded_counts() const;  // for health: models serving per pair

  // Version a new candidate should get: one above any version ever published for (pair, type),
  // including versions dropped by clear(), so files from before a rebuild are never overwritten.
  int next_version(const std::string& pair, ModelType type) const;

  // Drops the pair's serving models, states and runs (rebuild). Readers holding a model keep it.
  void clear(const std::string& pair);

 private:
  struct Entry {
    ModelPtr model;
    int version = 0;
    ModelState state = ModelState::kUntrained;
    std::string reason;
    std::int64_t state_since = 0;
    std::deque<TrainingRun> runs;  // newest first
  };
  using Key = std::pair<std::string, ModelType>;

  const Entry* find(const std::string& pair, ModelType type) const;  // caller holds the lock
  Entry& entry(const std::string& pair, ModelType type);              // caller holds the lock
  ModelStatus status_of(const std::string& pair, ModelType type) const;

  std::size_t max_recent_runs_;
  mutable std::mutex mutex_;  // plain mutex: tiny critical sections, and glibc shared_mutex can starve the publisher
  std::map<Key, Entry> entries_;
  std::map<Key, int> highest_version_;
};

}  // namespace tbml
