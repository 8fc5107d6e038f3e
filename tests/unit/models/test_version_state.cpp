// The one state machine of a model version: every transition it has, the ones it refuses, and the job
// status that goes with each run outcome.
#include <gtest/gtest.h>

#include <stdexcept>

#include "tbml/models/version_state.h"

namespace tbml {
namespace {

const ModelState kStates[] = {ModelState::kUntrained, ModelState::kQueued, ModelState::kTraining, ModelState::kReady,
                              ModelState::kFailed};

TEST(VersionState, QueuedAndStartedMoveEveryStateButAStartDuringTraining) {
  for (ModelState from : kStates) {
    for (bool serving : {false, true}) {
      SCOPED_TRACE(to_string(from) + (serving ? " serving" : ""));
      EXPECT_EQ(next_state(from, VersionEvent::kQueued, serving), ModelState::kQueued);
      if (from == ModelState::kTraining) {
        EXPECT_FALSE(allowed(from, VersionEvent::kStarted, serving));
        EXPECT_THROW(next_state(from, VersionEvent::kStarted, serving), std::logic_error);
      } else {
        EXPECT_EQ(next_state(from, VersionEvent::kStarted, serving), ModelState::kTraining);
      }
    }
  }
}

TEST(VersionState, ReadyOnlyWithAServingVersion) {
  for (ModelState from : kStates) {
    SCOPED_TRACE(to_string(from));
    EXPECT_EQ(next_state(from, VersionEvent::kPublished, true), ModelState::kReady);
    EXPECT_EQ(next_state(from, VersionEvent::kAccepted, true), ModelState::kReady);
    EXPECT_THROW(next_state(from, VersionEvent::kPublished, false), std::logic_error);
    EXPECT_THROW(next_state(from, VersionEvent::kAccepted, false), std::logic_error);
  }
  try {
    next_state(ModelState::kTraining, VersionEvent::kAccepted, false);
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("training on accepted without a serving version"), std::string::npos);
  }
}

TEST(VersionState, AnEndedRunLeavesTheServingVersionReady) {
  for (ModelState from : kStates) {
    SCOPED_TRACE(to_string(from));
    for (VersionEvent end : {VersionEvent::kRejected, VersionEvent::kFailed, VersionEvent::kCancelled})
      EXPECT_EQ(next_state(from, end, true), ModelState::kReady) << to_string(end);
    // Without one: a rejected or failed run is a failure to show, a cancelled one leaves it untrained.
    EXPECT_EQ(next_state(from, VersionEvent::kRejected, false), ModelState::kFailed);
    EXPECT_EQ(next_state(from, VersionEvent::kFailed, false), ModelState::kFailed);
    EXPECT_EQ(next_state(from, VersionEvent::kCancelled, false), ModelState::kUntrained);
  }
}

TEST(VersionState, JobStatusAndModelStateComeFromTheSameOutcome) {
  EXPECT_EQ(job_status_of(RunOutcome::kAccepted), JobStatus::kSucceeded);
  EXPECT_EQ(job_status_of(RunOutcome::kRejected), JobStatus::kRejected);
  EXPECT_EQ(job_status_of(RunOutcome::kFailed), JobStatus::kFailed);
  EXPECT_EQ(job_status_of(RunOutcome::kCancelled), JobStatus::kCancelled);
  EXPECT_EQ(event_of(RunOutcome::kAccepted), VersionEvent::kAccepted);
  EXPECT_EQ(event_of(RunOutcome::kRejected), VersionEvent::kRejected);
  EXPECT_EQ(event_of(RunOutcome::kFailed), VersionEvent::kFailed);
  EXPECT_EQ(event_of(RunOutcome::kCancelled), VersionEvent::kCancelled);
  // The names the API shows are unchanged.
  EXPECT_EQ(to_string(JobStatus::kSucceeded), "succeeded");
  EXPECT_EQ(to_string(ModelState::kTraining), "training");
  EXPECT_EQ(to_string(RunOutcome::kAccepted), "accepted");
}

}  // namespace
}  // namespace tbml
