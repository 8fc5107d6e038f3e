#include <cmath>
#include <stdexcept>

#include <gtest/gtest.h>

#include "tbml/decision/sizing.h"

using namespace tbml::decision;

namespace {

// Moves whose simple returns are exactly `win` and `loss`.
RealisedMoves moves(double win, double loss, std::size_t outcomes = 100) {
  std::vector<double> r;
  for (std::size_t i = 0; i < outcomes; ++i) r.push_back(i % 2 ? std::log1p(win) : std::log1p(-loss));
  return realised_moves(r);
}

SizingInputs ready(double p, const std::string& signal, double win, double loss) {
  SizingInputs in;
  in.p_up = p;
  in.signal = signal;
  in.edge_real = true;
  in.calibration_checked = true;
  in.moves = moves(win, loss);
  in.volatility_available = true;
  in.horizon_hours = 8760.0;  // σ_target over the horizon = the annual target
  in.sigma = 1.0;
  return in;
}

SizingOptions wide() {
  SizingOptions o;
  o.max_position = 10.0;
  o.volatility_target = 0.5;  // scale = 0.5 / 1.0
  o.allow_short = true;
  return o;
}

}  // namespace

TEST(Sizing, KellyMatchesHandComputedCases) {
  EXPECT_NEAR(kelly_fraction(0.5, 0.02, 0.01), 0.5 / 0.01 - 0.5 / 0.02, 1e-12);  // 25
  EXPECT_NEAR(kelly_fraction(0.6, 0.01, 0.01), 20.0, 1e-9);                     // (2p − 1) / W
  EXPECT_NEAR(kelly_fraction(0.3, 0.01, 0.01), -40.0, 1e-9);                    // short side
  EXPECT_NEAR(kelly_fraction(0.5, 0.01, 0.01), 0.0, 1e-12);
  EXPECT_THROW(kelly_fraction(0.5, 0.0, 0.01), std::invalid_argument);
  EXPECT_THROW(kelly_fraction(1.5, 0.01, 0.01), std::invalid_argument);
}

TEST(Sizing, KellyIsTheGrowthMaximum) {
  // g'(f*) = 0 and g is lower on both sides.
  for (auto [p, w, l] : {std::tuple{0.55, 0.03, 0.02}, std::tuple{0.45, 0.05, 0.02}, std::tuple{0.7, 0.01, 0.04}}) {
    const double f = kelly_fraction(p, w, l);
    auto g = [&](double x) { return p * std::log1p(x * w) + (1 - p) * std::log1p(-x * l); };
    const double e = 1e-4 * std::max(1.0, std::abs(f));
    EXPECT_GT(g(f), g(f + e));
    EXPECT_GT(g(f), g(f - e));
  }
}

TEST(Sizing, RealisedMovesSplitUpAndDown) {
  const RealisedMoves m = realised_moves({0.02, -0.01, 0.04, 0.0, NAN, -0.03});
  EXPECT_EQ(m.outcomes, 5u);
  EXPECT_EQ(m.ups, 2u);
  EXPECT_EQ(m.downs, 3u);  // an unchanged close is not up, as the label
  EXPECT_NEAR(m.mean_up, 0.03, 1e-12);
  EXPECT_NEAR(m.mean_down, 0.04 / 3.0, 1e-12);
}

TEST(Sizing, LongPositionIsFractionalKellyTimesVolatilityScale) {
  const Sizing s = size_position(ready(0.5 + 1e-12, "BUY", 0.02, 0.01), wide());
  EXPECT_NEAR(s.win, 0.02, 1e-12);
  EXPECT_NEAR(s.loss, 0.01, 1e-12);
  EXPECT_NEAR(s.kelly, 25.0, 1e-6);
  EXPECT_NEAR(s.fractional_kelly, 6.25, 1e-6);
  EXPECT_NEAR(s.target_sigma, 0.5, 1e-12);
  EXPECT_NEAR(s.volatility_scale, 0.5, 1e-12);
  EXPECT_NEAR(s.position, 3.125, 1e-6);
  EXPECT_EQ(s.side, "long");
  EXPECT_FALSE(s.capped);
  EXPECT_TRUE(s.zero_reason.empty());
  // Every input is in the JSON, so the number can be recomputed.
  const auto j = s.to_json();
  EXPECT_EQ(j.at("inputs").at("moves").at("outcomes"), 100);
  EXPECT_DOUBLE_EQ(j.at("options").at("kellyFraction").get<double>(), 0.25);
  EXPECT_TRUE(j.at("zeroReason").is_null());
}

TEST(Sizing, HorizonScalesTheTarget) {
  SizingInputs in = ready(0.6, "BUY", 0.01, 0.01);
  in.horizon_hours = 5.0;
  in.sigma = 0.012;
  SizingOptions o = wide();
  o.max_position = 100.0;
  const Sizing s = size_position(in, o);
  EXPECT_NEAR(s.target_sigma, 0.5 * std::sqrt(5.0 / 8760.0), 1e-12);
  EXPECT_NEAR(s.position, 0.25 * 20.0 * s.target_sigma / 0.012, 1e-9);
}

TEST(Sizing, ShortWhenAllowedAndCapped) {
  const Sizing s = size_position(ready(0.3, "SELL", 0.01, 0.01), wide());  // 0.25 · −40 · 0.5 = −5
  EXPECT_NEAR(s.position, -5.0, 1e-9);
  EXPECT_EQ(s.side, "short");
  SizingOptions o = wide();
  o.max_position = 1.0;
  const Sizing c = size_position(ready(0.3, "SELL", 0.01, 0.01), o);
  EXPECT_DOUBLE_EQ(c.position, -1.0);
  EXPECT_TRUE(c.capped);
  o.allow_short = false;
  const Sizing f = size_position(ready(0.3, "SELL", 0.01, 0.01), o);
  EXPECT_EQ(f.position, 0.0);
  EXPECT_EQ(f.zero_reason, "short-not-allowed");
}

TEST(Sizing, ZeroWithReasonAtEachGate) {
  const SizingOptions o = wide();
  auto zero = [&](SizingInputs in, const std::string& code) {
    const Sizing s = size_position(in, o);
    EXPECT_EQ(s.position, 0.0) << code;
    EXPECT_EQ(s.side, "flat") << code;
    EXPECT_EQ(s.zero_reason, code);
    EXPECT_FALSE(s.reason.empty());
    EXPECT_EQ(s.to_json().at("zeroReason"), code);
  };
  SizingInputs in = ready(0.7, "BUY", 0.02, 0.01);
  in.edge_real = false;
  zero(in, "no-edge");
  in = ready(0.7, "BUY", 0.02, 0.01);
  in.calibration_checked = false;
  zero(in, "calibration-unchecked");
  in = ready(0.7, "BUY", 0.02, 0.01);
  in.moves = moves(0.02, 0.01, 49);  // min_outcomes 50
  zero(in, "too-few-outcomes");
  in.moves = realised_moves(std::vector<double>(200, 0.01));  // no down-move: L unknown
  zero(in, "too-few-outcomes");
  in = ready(0.7, "BUY", 0.02, 0.01);
  in.volatility_available = false;
  zero(in, "no-volatility");
  in = ready(0.7, "HOLD", 0.02, 0.01);
  zero(in, "hold-signal");
  // BUY, but the average loss is so much larger than the average win that the bet loses in expectation.
  in = ready(0.55, "BUY", 0.005, 0.02);
  zero(in, "no-kelly-edge");
  in = ready(0.45, "SELL", 0.02, 0.005);
  zero(in, "no-kelly-edge");
}

TEST(Sizing, RejectsBadInputsAndOptions) {
  EXPECT_THROW(size_position(ready(1.2, "BUY", 0.01, 0.01), wide()), std::invalid_argument);
  EXPECT_THROW(size_position(ready(NAN, "BUY", 0.01, 0.01), wide()), std::invalid_argument);
  EXPECT_THROW(size_position(ready(0.6, "LONG", 0.01, 0.01), wide()), std::invalid_argument);
  SizingOptions o;
  o.kelly_fraction = 0.0;
  EXPECT_THROW(o.validate(), std::invalid_argument);
  o = {};
  o.max_position = -1;
  EXPECT_THROW(o.validate(), std::invalid_argument);
  EXPECT_NO_THROW(SizingOptions{}.validate());
}
