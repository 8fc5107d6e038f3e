#pragma once
// One state machine for a model version of one (pair, member, horizon), from the request to serving.
// The training queue's job status and the registry's model state are two views of the same events: the
// registry moves the model state only through next_state(), and the lifecycle derives the job's status
// from the run's outcome (job_status_of), so neither is set by hand to match the other.
//
//   event        job status    model state afterwards
//   queued       queued        queued
//   started      running       training            (not while a run of the same version is training)
//   published    -             ready               (a version serves: trained now or loaded from disk)
//   accepted     succeeded     ready               (only with a serving version: published first)
//   rejected     rejected      ready if a version serves, else failed
//   failed       failed        ready if a version serves, else failed
//   cancelled    cancelled     ready if a version serves, else untrained
#include <string>

namespace tbml {

enum class ModelState { kUntrained, kQueued, kTraining, kReady, kFailed };
std::string to_string(ModelState state);  // "untrained", "queued", "training", "ready", "failed"

enum class JobStatus { kQueued, kRunning, kSucceeded, kRejected, kFailed, kCancelled };
std::string to_string(JobStatus status);  // "queued", "running", "succeeded", ...

// How a training run ended (TrainingRun::outcome, the `result` of a recorded run).
enum class RunOutcome { kAccepted, kRejected, kFailed, kCancelled };
std::string to_string(RunOutcome outcome);  // "accepted", "rejected", "failed", "cancelled"

enum class VersionEvent { kQueued, kStarted, kPublished, kAccepted, kRejected, kFailed, kCancelled };
std::string to_string(VersionEvent event);  // "queued", "started", "published", "accepted", ...

VersionEvent event_of(RunOutcome outcome);
JobStatus job_status_of(RunOutcome outcome);  // accepted -> succeeded, the others by name

// Whether the machine has this transition; `serving` is whether a version serves after the event.
bool allowed(ModelState from, VersionEvent event, bool serving);
// The state after `event`. Throws std::logic_error naming the transition when allowed() is false.
ModelState next_state(ModelState from, VersionEvent event, bool serving);

}  // namespace tbml
