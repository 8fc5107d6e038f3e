// The plain structs of the training queue: status and reason names, their JSON (GET /api/training/queue,
// POST /api/train bodies) and the JobContext handed to the training function. The queue itself is in
// training_queue.cpp.
#include "tbml/models/training_queue.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace tbml {

std::string to_string(JobReason reason) {
  switch (reason) {
    case JobReason::kManual: return "manual";
    case JobReason::kAutoNoModel: return "auto: no model";
    case JobReason::kPeriodic: return "periodic";
    case JobReason::kRebuild: return "rebuild";
    case JobReason::kRetry: return "retry";
  }
  return "unknown";
}

bool is_automatic(JobReason reason) {
  return reason == JobReason::kAutoNoModel || reason == JobReason::kPeriodic;
}

std::string to_string(EnqueueOutcome outcome) {
  switch (outcome) {
    case EnqueueOutcome::kQueued: return "queued";
    case EnqueueOutcome::kDeduplicated: return "deduplicated";
    case EnqueueOutcome::kCoolingDown: return "cooling_down";
    case EnqueueOutcome::kQueueFull: return "queue_full";
    case EnqueueOutcome::kStopped: return "stopped";
  }
  return "unknown";
}

// ---- JSON of the plain structs ----

namespace {

// The option's value, or nullopt with one message added to `errors`.
std::optional<int> int_option(const nlohmann::json& value, const char* key, std::int64_t lo, std::int64_t hi,
                              std::vector<std::string>& errors) {
  if (!value.is_number_integer()) {
    errors.push_back(fmt::format("training option '{}' must be an integer", key));
    return std::nullopt;
  }
  const std::int64_t v = value.get<std::int64_t>();
  if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) {
    errors.push_back(fmt::format("training option '{}' must be in [{}, {}]", key, lo, hi));
    return std::nullopt;
  }
  if (v < lo || v > hi) {
    errors.push_back(fmt::format("training option '{}' must be in [{}, {}], got {}", key, lo, hi, v));
    return std::nullopt;
  }
  return static_cast<int>(v);
}

nlohmann::json ms_or_null(std::int64_t ms) { return ms == 0 ? nlohmann::json(nullptr) : nlohmann::json(ms); }

}  // namespace

nlohmann::json TrainingOverrides::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  if (epochs) j["epochs"] = *epochs;
  if (batch_size) j["batchSize"] = *batch_size;
  if (learning_rate) j["learningRate"] = *learning_rate;
  if (patience) j["patience"] = *patience;
  return j;
}

TrainingOverridesRequest parse_training_overrides(const nlohmann::json& j) {
  TrainingOverridesRequest r;
  TrainingOverrides& o = r.overrides;
  if (j.is_null()) return r;
  if (!j.is_object()) {
    r.errors.push_back("training options must be a JSON object");
    return r;
  }
  for (const auto& [key, value] : j.items()) {
    if (key == "epochs") {
      o.epochs = int_option(value, "epochs", 1, 100000, r.errors);
    } else if (key == "batchSize") {
      o.batch_size = int_option(value, "batchSize", 1, 65536, r.errors);
    } else if (key == "patience") {
      o.patience = int_option(value, "patience", 0, 100000, r.errors);
    } else if (key == "learningRate") {
      const double lr = value.is_number() ? value.get<double>() : 0.0;
      if (!value.is_number()) {
        r.errors.push_back("training option 'learningRate' must be a number");
      } else if (!std::isfinite(lr) || lr <= 0.0 || lr > 10.0) {
        r.errors.push_back(fmt::format("training option 'learningRate' must be in (0, 10], got {}", lr));
      } else {
        o.learning_rate = lr;
      }
    } else {
      r.errors.push_back(fmt::format("unknown training option '{}' (allowed: epochs, batchSize, learningRate, patience)", key));
    }
  }
  return r;
}

nlohmann::json TrainingJob::to_json() const {
  auto optional = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json progress_json{{"epoch", progress.epoch},
                               {"epochs", progress.epochs},
                               {"valLoss", optional(progress.val_loss)},
                               {"trainLoss", optional(progress.train_loss)},
                               {"elapsedMs", progress.elapsed_ms},
                               {"etaMs", optional(progress.eta_ms)}};
  return {{"id", id},
          {"pair", pair},
          {"modelType", to_string(type)},
          {"horizon", horizon ? nlohmann::json(horizon) : nlohmann::json(nullptr)},
          {"status", to_string(status)},
          {"priority", priority},
          {"reason", to_string(reason)},
          {"createdAt", ms_or_null(created_at)},
          {"startedAt", ms_or_null(started_at)},
          {"finishedAt", ms_or_null(finished_at)},
          {"attempts", attempts},
          {"progress", std::move(progress_json)},
          {"message", message},
          {"overrides", overrides.to_json()},
          {"retryOf", retry_of.empty() ? nlohmann::json(nullptr) : nlohmann::json(retry_of)}};
}

nlohmann::json EnqueueResult::to_json() const {
  return {{"jobId", job_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(job_id)},
          {"deduplicated", deduplicated},
          {"outcome", to_string(outcome)},
          {"message", message}};
}

nlohmann::json QueueSummary::to_json() const {
  return {{"active", active}, {"queued", queued}, {"completed", completed}, {"failed", failed},
          {"cancelled", cancelled}};
}

nlohmann::json QueueSnapshot::to_json() const {
  auto list = [](const std::vector<TrainingJob>& jobs) {
    nlohmann::json arr = nlohmann::json::array();
    for (const TrainingJob& job : jobs) arr.push_back(job.to_json());
    return arr;
  };
  return {{"active", list(active)}, {"queued", list(queued)}, {"recent", list(recent)},
          {"summary", summary.to_json()}};
}

// ---- JobContext ----

JobContext::JobContext(const std::atomic<bool>& cancel_flag, ProgressFn on_progress)
    : cancel_flag_(cancel_flag), on_progress_(std::move(on_progress)) {}

void JobContext::progress(int epoch, int epochs, double val_loss, double train_loss) {
  if (on_progress_) on_progress_(std::max(0, epoch), std::max(0, epochs), val_loss, train_loss);
}

}  // namespace tbml
