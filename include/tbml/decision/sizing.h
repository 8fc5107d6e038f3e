#pragma once
// Position sizing: how much of the account to put behind a signal. Fractional Kelly from the calibrated
// P(up) and the pair's realised average up- and down-move, scaled to a volatility target with the
// volatility forecast, capped. Every input, every intermediate number and the reason travel with the
// answer, so a user can recompute it. Pure function, no state.
//
// Kelly for a bet that gains W with probability p and loses L otherwise: maximise
//   g(f) = p·ln(1 + f·W) + (1 − p)·ln(1 − f·L)
//   g'(f) = 0  ⇔  p·W·(1 − f·L) = (1 − p)·L·(1 + f·W)  ⇔  f* = p/L − (1 − p)/W.
// A short gains L with probability 1 − p and loses W otherwise, which gives exactly −f*: one signed
// formula covers both sides (f* > 0 long, f* < 0 short). W and L are simple returns converted from the
// realised log moves (W = e^w − 1, L = 1 − e^−l), because the account gains and loses simple returns.
//   position = clamp(kellyFraction · f* · σ_target / σ_forecast, −maxPosition, +maxPosition)
// with σ_target the annualised target scaled to the horizon (σ_year · √(horizonHours / 8760)).
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml::decision {

struct SizingOptions {
  double kelly_fraction = 0.25;     // of full Kelly: full Kelly is too aggressive for estimated inputs
  double volatility_target = 0.5;   // annualised σ of log returns the position is scaled to
  double max_position = 1.0;        // |position| cap, in units of equity (1 = the whole account)
  std::size_t min_outcomes = 50;    // resolved outcomes needed before the average moves are trusted
  bool allow_short = false;         // spot by default: a short needs borrowing, whose cost is not modelled
  void validate() const;            // throws std::invalid_argument naming the bad field
};

// The pair's realised h-candle moves over its resolved predictions: the mean up-move w (log return of
// the outcomes that went up) and the mean down-move magnitude l (of those that did not).
struct RealisedMoves {
  std::size_t outcomes = 0, ups = 0, downs = 0;
  double mean_up = 0.0;    // w > 0 (0 when no up-move)
  double mean_down = 0.0;  // l > 0, a magnitude (0 when no down-move)
  nlohmann::json to_json() const;
};
// An outcome is "up" when its log return is > 0 (an unchanged close counts as not up, as the label).
// Non-finite entries are skipped.
RealisedMoves realised_moves(const std::vector<double>& log_returns);

struct SizingInputs {
  double p_up = 0.5;                 // calibrated P(close rises over the horizon)
  std::string signal = "HOLD";       // the service's signal for p_up: "BUY", "SELL" or "HOLD"
  bool edge_real = false;            // the answer comes from members with a real edge
  bool calibration_checked = false;  // every voting member's calibration passed through its held-out check
  RealisedMoves moves;
  bool volatility_available = false;
  double sigma = 0.0;                // forecast σ of the h-candle log return
  double horizon_hours = 5.0;        // of the forecast and the bet
  nlohmann::json to_json() const;
};

struct Sizing {
  double position = 0.0;      // signed share of equity: > 0 long, < 0 short, 0 flat
  std::string side = "flat";  // "long", "short" or "flat"
  std::string reason;         // why this number, one sentence with the numbers
  std::string zero_reason;    // machine-readable when the position is 0: "no-edge", "calibration-unchecked",
                              // "too-few-outcomes", "no-volatility", "hold-signal", "no-kelly-edge",
                              // "short-not-allowed", "" otherwise
  double win = 0.0, loss = 0.0;        // W and L as simple returns
  double kelly = 0.0;                  // f* (full Kelly, signed)
  double fractional_kelly = 0.0;       // kellyFraction · f*
  double target_sigma = 0.0;           // σ_target over the horizon
  double volatility_scale = 0.0;       // σ_target / σ_forecast
  bool capped = false;
  SizingInputs inputs;
  SizingOptions options;
  nlohmann::json to_json() const;
};

// f* = p/L − (1 − p)/W for simple-return magnitudes W, L > 0. Throws std::invalid_argument otherwise.
double kelly_fraction(double p, double win, double loss);

// Never throws for finite inputs; a p_up outside [0, 1] or a non-finite number throws std::invalid_argument.
Sizing size_position(const SizingInputs& inputs, const SizingOptions& options);

}  // namespace tbml::decision
