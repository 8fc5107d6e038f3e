#include <gtest/gtest.h>

#include "tbml/models/model.h"

using namespace tbml;

TEST(TrainingReport, CalibrationCheckedOnlyWithAHeldOutPart) {
  TrainingReport r;
  EXPECT_FALSE(r.calibration_checked());  // old meta: null
  r.calibration = {{"method", "none"}, {"applied", false}, {"heldOut", 0}};
  EXPECT_FALSE(r.calibration_checked());  // too few validation windows to check
  r.calibration["heldOut"] = 120;
  EXPECT_TRUE(r.calibration_checked());   // checked, whichever way it went
  r.calibration = {{"method", "platt"}, {"applied", true}, {"heldOut", 80}};
  EXPECT_TRUE(r.calibration_checked());
  EXPECT_TRUE(TrainingReport::from_json(r.to_json()).calibration_checked());
}
