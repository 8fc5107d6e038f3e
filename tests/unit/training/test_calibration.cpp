#include "tbml/training/calibration.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <random>

#include "tbml/training/model_io.h"
#include "tbml/training/trainer.h"
#include "unit/training/synthetic_series.h"

namespace tbml {
namespace {

double logit(double p) { return std::log(p / (1.0 - p)); }
double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// `n` raw probabilities whose true probability is sigmoid(2 logit(raw) - 0.5): a model that is right about
// the ranking but over-cautious and biased up, which Platt scaling can undo exactly.
struct Sample {
  std::vector<double> p;
  std::vector<std::uint8_t> y;
};
Sample miscalibrated(unsigned seed, int n) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.02, 0.98), coin(0.0, 1.0);
  Sample s;
  for (int i = 0; i < n; ++i) {
    const double raw = u(rng);
    s.p.push_back(raw);
    s.y.push_back(coin(rng) < sigmoid(2.0 * logit(raw) - 0.5) ? 1 : 0);
  }
  return s;
}

TEST(Calibration, PlattRecoversKnownLogisticMapping) {
  const auto [p, y] = miscalibrated(3, 40000);
  const PlattCalibrator c = PlattCalibrator::fit(p, y);
  EXPECT_NEAR(c.slope(), 2.0, 0.15);
  EXPECT_NEAR(c.intercept(), -0.5, 0.1);
  EXPECT_NEAR(c.apply(0.5), sigmoid(c.intercept()), 1e-12);
}

TEST(Calibration, DegenerateInputsGiveIdentityOrConstant) {
  EXPECT_TRUE(PlattCalibrator::fit({}, {}).is_identity());
  EXPECT_TRUE(PlattCalibrator::fit({0.3, 0.8}, {1, 1}).is_identity());  // one class only
  EXPECT_THROW(PlattCalibrator::fit({0.3}, {1, 0}), std::invalid_argument);
  // Backwards ranking: the slope is not allowed to flip the model, it becomes a constant.
  std::vector<double> p;
  std::vector<std::uint8_t> y;
  for (int i = 0; i < 200; ++i) {
    p.push_back(i % 2 ? 0.3 : 0.7);
    y.push_back(i % 2 ? 1 : 0);
  }
  const PlattCalibrator c = PlattCalibrator::fit(p, y);
  EXPECT_EQ(c.slope(), 0.0);
  EXPECT_NEAR(c.apply(0.1), 0.5, 0.01);
  EXPECT_NEAR(c.apply(0.9), 0.5, 0.01);
}

TEST(Calibration, KeptWhenItHelpsTheLaterHalfOfValidation) {
  // The same miscalibration throughout: the check passes and the kept calibrator is fitted on all data.
  const auto [p, y] = miscalibrated(5, 4000);
  const CalibrationChoice c = choose_calibrator(p, y);
  EXPECT_TRUE(c.applied);
  EXPECT_EQ(c.held_out, 2000u);
  EXPECT_LT(c.held_out_brier_platt, c.held_out_brier_raw);
  const PlattCalibrator all = PlattCalibrator::fit(p, y);
  EXPECT_EQ(c.calibrator.slope(), all.slope());
  EXPECT_EQ(c.calibrator.intercept(), all.intercept());
  EXPECT_EQ(c.to_json()["method"], "platt");
}

TEST(Calibration, DroppedWhenTheBaseRateShiftsWithinValidation) {
  // An uninformative model (p = 0.5 +- noise). The earlier half goes up 80 % of the time, the later half
  // 20 %: a calibrator learns "up" from the first half and is worse on the second, so none is used.
  std::mt19937 rng(9);
  std::uniform_real_distribution<double> u(0.45, 0.55), coin(0.0, 1.0);
  std::vector<double> p;
  std::vector<std::uint8_t> y;
  for (int i = 0; i < 400; ++i) {
    p.push_back(u(rng));
    y.push_back(coin(rng) < (i < 200 ? 0.8 : 0.2) ? 1 : 0);
  }
  const CalibrationChoice c = choose_calibrator(p, y);
  EXPECT_FALSE(c.applied);
  EXPECT_TRUE(c.calibrator.is_identity());
  EXPECT_GT(c.held_out_brier_platt, c.held_out_brier_raw);
  EXPECT_EQ(c.to_json()["method"], "none");
}

TEST(Calibration, TooFewValidationSamplesMeansNoCalibration) {
  std::vector<double> p(39, 0.9);
  std::vector<std::uint8_t> y(39, 0);
  const CalibrationChoice c = choose_calibrator(p, y);
  EXPECT_FALSE(c.applied);
  EXPECT_EQ(c.held_out, 0u);
  EXPECT_TRUE(c.calibrator.is_identity());
  EXPECT_THROW(choose_calibrator({0.5}, {}), std::invalid_argument);
}

TEST(Calibration, JsonRoundTripAndMissingMeansIdentity) {
  const PlattCalibrator c(1.7, -0.2);
  const PlattCalibrator back = PlattCalibrator::from_json(nlohmann::json::parse(c.to_json().dump()));
  EXPECT_EQ(back.slope(), 1.7);
  EXPECT_EQ(back.intercept(), -0.2);
  EXPECT_TRUE(PlattCalibrator::from_json(nlohmann::json()).is_identity());
  EXPECT_THROW(PlattCalibrator::from_json({{"method", "isotonic"}, {"slope", 1}, {"intercept", 0}}),
               std::invalid_argument);
  EXPECT_THROW(PlattCalibrator::from_json({{"slope", "x"}, {"intercept", 0}}), std::invalid_argument);
  EXPECT_THROW(PlattCalibrator::from_json({{"slope", -1.0}, {"intercept", 0}}), std::invalid_argument);
}

class CalibratedModel : public ::testing::Test {
 protected:
  static TrainResult train() {
    torch::set_num_threads(1);
    TrainOptions o;
    o.sequence_length = 5;
    o.horizon = 2;
    o.epochs = 2;
    o.feature_names = test::names(3);
    o.architecture = {{"hidden", 8}, {"head", 4}};
    return train_model(ModelType::kGru, test::regime_series(400, 2), o);
  }
  static std::vector<float> windows(std::size_t n) {
    std::vector<float> w(n * 5 * 3);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(std::sin(0.37 * i) * 2.0);
    return w;
  }
};

TEST_F(CalibratedModel, PredictAppliesTheStoredCalibrator) {
  const TrainResult r = train();
  ASSERT_TRUE(r.report.test_uncalibrated.has_value());
  EXPECT_EQ(r.report.test_uncalibrated->samples, r.report.test.samples);
  const PlattCalibrator c = calibrator_of(*r.model);
  const auto w = windows(7);
  const auto served = r.model->predict(w.data(), 7);
  const auto raw = predict_uncalibrated(*r.model, w.data(), 7);
  for (std::size_t i = 0; i < 7; ++i) EXPECT_NEAR(served[i], c.apply(raw[i]), 1e-12);
  // The report round-trips through ModelInfo JSON with the uncalibrated test metrics.
  const auto info = ModelInfo::from_json(nlohmann::json::parse(r.model->info().to_json().dump()));
  ASSERT_TRUE(info.report.test_uncalibrated.has_value());
  EXPECT_DOUBLE_EQ(info.report.test_uncalibrated->loss, r.report.test_uncalibrated->loss);
  // The held-out check's decision is reported, and matches the calibrator the model carries.
  ASSERT_TRUE(r.report.calibration.is_object());
  EXPECT_EQ(info.report.calibration, r.report.calibration);
  EXPECT_EQ(r.report.calibration.at("applied").get<bool>(), !c.is_identity());
}

TEST_F(CalibratedModel, ExportImportKeepsCalibratorAndOldMetaLoadsAsIdentity) {
  const TrainResult r = train();
  const ModelArtifact a = export_model(*r.model);
  ASSERT_TRUE(a.meta.contains("calibration"));
  const ModelPtr back = import_model(ModelArtifact{nlohmann::json::parse(a.meta.dump()), a.weights});
  EXPECT_EQ(calibrator_of(*back).slope(), calibrator_of(*r.model).slope());
  EXPECT_EQ(calibrator_of(*back).intercept(), calibrator_of(*r.model).intercept());
  const auto w = windows(5);
  EXPECT_EQ(back->predict(w.data(), 5), r.model->predict(w.data(), 5));

  ModelArtifact old = a;  // meta written before calibration existed
  old.meta.erase("calibration");
  old.meta["report"].erase("testUncalibrated");
  const ModelPtr legacy = import_model(old);
  EXPECT_TRUE(calibrator_of(*legacy).is_identity());
  EXPECT_EQ(legacy->predict(w.data(), 5), predict_uncalibrated(*r.model, w.data(), 5));
  EXPECT_FALSE(legacy->info().report.test_uncalibrated.has_value());

  ModelArtifact bad = a;
  bad.meta["calibration"] = {{"slope", "steep"}, {"intercept", 0}};
  EXPECT_THROW(import_model(bad), std::runtime_error);
}

}  // namespace
}  // namespace tbml
