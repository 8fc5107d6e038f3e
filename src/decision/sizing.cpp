#include "tbml/decision/sizing.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace tbml::decision {
namespace {

constexpr double kHoursPerYear = 8760.0;  // crypto trades every hour of the year

void check_finite(double v, const char* name) {
  if (!std::isfinite(v)) throw std::invalid_argument(std::string("size_position: ") + name + " is not finite");
}

Sizing zero(Sizing s, const char* code, std::string reason) {
  s.position = 0.0;
  s.side = "flat";
  s.zero_reason = code;
  s.reason = std::move(reason);
  return s;
}

}  // namespace

void SizingOptions::validate() const {
  if (!(kelly_fraction > 0.0 && kelly_fraction <= 1.0)) throw std::invalid_argument("kellyFraction must be in (0, 1]");
  if (!(volatility_target > 0.0 && volatility_target <= 10.0))
    throw std::invalid_argument("volatilityTarget must be in (0, 10]");
  if (!(max_position > 0.0 && max_position <= 10.0)) throw std::invalid_argument("maxPosition must be in (0, 10]");
  if (min_outcomes == 0) throw std::invalid_argument("minOutcomes must be at least 1");
}

nlohmann::json RealisedMoves::to_json() const {
  return {{"outcomes", outcomes}, {"ups", ups}, {"downs", downs}, {"meanUpLogReturn", mean_up},
          {"meanDownLogReturn", mean_down}};
}

RealisedMoves realised_moves(const std::vector<double>& log_returns) {
  RealisedMoves m;
  double up = 0.0, down = 0.0;
  for (double r : log_returns) {
    if (!std::isfinite(r)) continue;
    ++m.outcomes;
    if (r > 0.0) {
      ++m.ups;
      up += r;
    } else {
      ++m.downs;
      down -= r;
    }
  }
  if (m.ups > 0) m.mean_up = up / static_cast<double>(m.ups);
  if (m.downs > 0) m.mean_down = down / static_cast<double>(m.downs);
  return m;
}

nlohmann::json SizingInputs::to_json() const {
  return {{"pUp", p_up},
          {"signal", signal},
          {"edge", edge_real ? "real" : "none"},
          {"calibrationChecked", calibration_checked},
          {"moves", moves.to_json()},
          {"volatilityAvailable", volatility_available},
          {"sigma", sigma},
          {"horizonHours", horizon_hours}};
}

nlohmann::json Sizing::to_json() const {
  return {{"position", position},
          {"side", side},
          {"reason", reason},
          {"zeroReason", zero_reason.empty() ? nlohmann::json() : nlohmann::json(zero_reason)},
          {"win", win},
          {"loss", loss},
          {"kelly", kelly},
          {"fractionalKelly", fractional_kelly},
          {"targetSigma", target_sigma},
          {"volatilityScale", volatility_scale},
          {"capped", capped},
          {"inputs", inputs.to_json()},
          {"options",
           {{"kellyFraction", options.kelly_fraction},
            {"volatilityTarget", options.volatility_target},
            {"maxPosition", options.max_position},
            {"minOutcomes", options.min_outcomes},
            {"allowShort", options.allow_short}}}};
}

double kelly_fraction(double p, double win, double loss) {
  if (!(win > 0.0) || !(loss > 0.0) || !std::isfinite(win) || !std::isfinite(loss))
    throw std::invalid_argument("kelly_fraction: win and loss must be positive");
  if (!(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("kelly_fraction: p must be in [0, 1]");
  return p / loss - (1.0 - p) / win;
}

Sizing size_position(const SizingInputs& in, const SizingOptions& options) {
  check_finite(in.p_up, "pUp");
  check_finite(in.sigma, "sigma");
  check_finite(in.horizon_hours, "horizonHours");
  if (in.p_up < 0.0 || in.p_up > 1.0) throw std::invalid_argument("size_position: pUp must be in [0, 1]");
  Sizing s;
  s.inputs = in;
  s.options = options;
  if (!in.edge_real)
    return zero(s, "no-edge", "no member beats the base-rate forecast beyond noise: nothing to size");
  if (!in.calibration_checked)
    return zero(s, "calibration-unchecked",
                "the probability's calibration was not checked on held-out data, so Kelly would size noise");
  const RealisedMoves& m = in.moves;
  if (m.outcomes < options.min_outcomes || !(m.mean_up > 0.0) || !(m.mean_down > 0.0))
    return zero(s, "too-few-outcomes",
                fmt::format("{} resolved outcomes ({} up, {} down); at least {} with both kinds are needed for "
                            "the average moves",
                            m.outcomes, m.ups, m.downs, options.min_outcomes));
  s.win = std::expm1(m.mean_up);
  s.loss = -std::expm1(-m.mean_down);
  s.kelly = kelly_fraction(in.p_up, s.win, s.loss);
  s.fractional_kelly = options.kelly_fraction * s.kelly;
  if (!in.volatility_available || !(in.sigma > 0.0) || !(in.horizon_hours > 0.0))
    return zero(s, "no-volatility", "no volatility forecast to scale the position to the target");
  s.target_sigma = options.volatility_target * std::sqrt(in.horizon_hours / kHoursPerYear);
  s.volatility_scale = s.target_sigma / in.sigma;
  const std::string numbers =
      fmt::format("P(up) {:.4f}, mean up-move {:.5f} and down-move {:.5f} over {} outcomes give Kelly f* = "
                  "{:.4f}; {} Kelly = {:.4f}; target σ {:.5f} / forecast σ {:.5f} = ×{:.3f}",
                  in.p_up, s.win, s.loss, m.outcomes, s.kelly, options.kelly_fraction, s.fractional_kelly,
                  s.target_sigma, in.sigma, s.volatility_scale);
  if (in.signal == "HOLD") return zero(s, "hold-signal", "the signal is HOLD; " + numbers);
  const bool want_long = in.signal == "BUY";
  if (!want_long && in.signal != "SELL") throw std::invalid_argument("size_position: unknown signal '" + in.signal + "'");
  if ((want_long && s.kelly <= 0.0) || (!want_long && s.kelly >= 0.0))
    return zero(s, "no-kelly-edge",
                fmt::format("the signal is {} but the average moves give no positive expected growth on that "
                            "side; {}",
                            in.signal, numbers));
  if (!want_long && !options.allow_short)
    return zero(s, "short-not-allowed", "the signal is SELL and shorting is off (decision.sizing.allowShort); " + numbers);
  const double raw = s.fractional_kelly * s.volatility_scale;
  s.position = std::clamp(raw, -options.max_position, options.max_position);
  s.capped = s.position != raw;
  s.side = s.position > 0.0 ? "long" : "short";
  s.reason = numbers + fmt::format(" → position {:+.4f}{}", s.position,
                                   s.capped ? fmt::format(" (capped at ±{:.2f})", options.max_position) : "");
  return s;
}

}  // namespace tbml::decision
