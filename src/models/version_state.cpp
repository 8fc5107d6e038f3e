#include "tbml/models/version_state.h"

#include <stdexcept>

namespace tbml {

std::string to_string(ModelState state) {
  switch (state) {
    case ModelState::kUntrained: return "untrained";
    case ModelState::kQueued: return "queued";
    case ModelState::kTraining: return "training";
    case ModelState::kReady: return "ready";
    case ModelState::kFailed: return "failed";
  }
  return "unknown";
}

std::string to_string(JobStatus status) {
  switch (status) {
    case JobStatus::kQueued: return "queued";
    case JobStatus::kRunning: return "running";
    case JobStatus::kSucceeded: return "succeeded";
    case JobStatus::kRejected: return "rejected";
    case JobStatus::kFailed: return "failed";
    case JobStatus::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::string to_string(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::kAccepted: return "accepted";
    case RunOutcome::kRejected: return "rejected";
    case RunOutcome::kFailed: return "failed";
    case RunOutcome::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::string to_string(VersionEvent event) {
  switch (event) {
    case VersionEvent::kQueued: return "queued";
    case VersionEvent::kStarted: return "started";
    case VersionEvent::kPublished: return "published";
    case VersionEvent::kAccepted: return "accepted";
    case VersionEvent::kRejected: return "rejected";
    case VersionEvent::kFailed: return "failed";
    case VersionEvent::kCancelled: return "cancelled";
  }
  return "unknown";
}

VersionEvent event_of(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::kAccepted: return VersionEvent::kAccepted;
    case RunOutcome::kRejected: return VersionEvent::kRejected;
    case RunOutcome::kFailed: return VersionEvent::kFailed;
    case RunOutcome::kCancelled: return VersionEvent::kCancelled;
  }
  return VersionEvent::kFailed;
}

JobStatus job_status_of(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::kAccepted: return JobStatus::kSucceeded;
    case RunOutcome::kRejected: return JobStatus::kRejected;
    case RunOutcome::kFailed: return JobStatus::kFailed;
    case RunOutcome::kCancelled: return JobStatus::kCancelled;
  }
  return JobStatus::kFailed;
}

bool allowed(ModelState from, VersionEvent event, bool serving) {
  switch (event) {
    case VersionEvent::kQueued: return true;  // also behind a run that is being cancelled
    // One run per version at a time (the queue folds duplicates into the running job).
    case VersionEvent::kStarted: return from != ModelState::kTraining;
    // Ready needs a serving version: an accepted candidate is published before its run is recorded.
    case VersionEvent::kPublished:
    case VersionEvent::kAccepted: return serving;
    case VersionEvent::kRejected:
    case VersionEvent::kFailed:
    case VersionEvent::kCancelled: return true;
  }
  return false;
}

ModelState next_state(ModelState from, VersionEvent event, bool serving) {
  if (!allowed(from, event, serving)) {
    throw std::logic_error("model version: no transition from " + to_string(from) + " on " + to_string(event) +
                           (serving ? " with a serving version" : " without a serving version"));
  }
  switch (event) {
    case VersionEvent::kQueued: return ModelState::kQueued;
    case VersionEvent::kStarted: return ModelState::kTraining;
    case VersionEvent::kPublished:
    case VersionEvent::kAccepted: return ModelState::kReady;
    case VersionEvent::kRejected:
    case VersionEvent::kFailed: return serving ? ModelState::kReady : ModelState::kFailed;
    case VersionEvent::kCancelled: return serving ? ModelState::kReady : ModelState::kUntrained;
  }
  return from;
}

}  // namespace tbml
