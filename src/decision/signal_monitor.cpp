#include "tbml/decision/signal_monitor.h"

#include <stdexcept>

#include <fmt/format.h>

namespace tbml::decision {
namespace {

double share(std::size_t k, std::size_t n) { return n == 0 ? 0.0 : static_cast<double>(k) / static_cast<double>(n); }

std::string hours(std::int64_t ms) { return fmt::format("{:g} h", static_cast<double>(ms) / 3.6e6); }

}  // namespace

void SignalMonitorOptions::validate() const {
  if (!(share_bound > 0.0 && share_bound < 1.0)) throw std::invalid_argument("signal shareBound must be in (0, 1)");
  if (!(tolerance >= 0.0 && tolerance < 1.0)) throw std::invalid_argument("signal tolerance must be in [0, 1)");
  if (short_window_ms <= 0 || long_window_ms < short_window_ms)
    throw std::invalid_argument("signal windows: need 0 < short window <= long window");
  if (min_resolved == 0 || min_signals == 0) throw std::invalid_argument("signal minResolved and minSignals must be >= 1");
}

nlohmann::json SignalShares::to_json() const {
  return {{"windowHours", static_cast<double>(window_ms) / 3.6e6},
          {"signals", signals},
          {"shares", {{"BUY", buy_share}, {"SELL", sell_share}, {"HOLD", hold_share}}},
          {"counts", {{"BUY", buy}, {"SELL", sell}, {"HOLD", hold}}},
          {"meanAgreement", mean_agreement},
          {"resolved", resolved},
          {"realisedUpShare", resolved == 0 ? nlohmann::json() : nlohmann::json(up_share)}};
}

nlohmann::json SignalReport::to_json() const {
  return {{"alert", alert},
          {"side", side.empty() ? nlohmann::json() : nlohmann::json(side)},
          {"reason", reason},
          {"short", short_window.to_json()},
          {"long", long_window.to_json()}};
}

SignalShares signal_shares(const std::vector<SignalRecord>& records, std::int64_t now_ms, std::int64_t window_ms) {
  SignalShares s;
  s.window_ms = window_ms;
  double agreement = 0.0;
  for (const auto& r : records) {
    if (r.timestamp > now_ms || r.timestamp <= now_ms - window_ms) continue;
    if (r.signal == "BUY") ++s.buy;
    else if (r.signal == "SELL") ++s.sell;
    else if (r.signal == "HOLD") ++s.hold;
    else throw std::invalid_argument("signal_shares: unknown signal '" + r.signal + "'");
    ++s.signals;
    agreement += r.agreement;
    if (r.up) {
      ++s.resolved;
      if (*r.up) ++s.ups;
    }
  }
  s.buy_share = share(s.buy, s.signals);
  s.sell_share = share(s.sell, s.signals);
  s.hold_share = share(s.hold, s.signals);
  s.mean_agreement = s.signals == 0 ? 0.0 : agreement / static_cast<double>(s.signals);
  s.up_share = share(s.ups, s.resolved);
  return s;
}

SignalReport monitor_signals(const std::vector<SignalRecord>& records, std::int64_t now_ms,
                             const SignalMonitorOptions& o) {
  o.validate();
  SignalReport r;
  r.short_window = signal_shares(records, now_ms, o.short_window_ms);
  r.long_window = signal_shares(records, now_ms, o.long_window_ms);
  const SignalShares& s = r.short_window;
  if (s.signals < o.min_signals) {
    r.reason = fmt::format("{} signals in the last {}: fewer than {}, not judged", s.signals, hours(o.short_window_ms),
                           o.min_signals);
    return r;
  }
  const bool buy_heavy = s.buy_share > o.share_bound;
  const bool sell_heavy = s.sell_share > o.share_bound;
  if (!buy_heavy && !sell_heavy) {
    r.reason = fmt::format("balanced enough: BUY {:.0f}%, SELL {:.0f}%, HOLD {:.0f}% of {} signals in the last {} "
                           "(bound {:.0f}%)",
                           100 * s.buy_share, 100 * s.sell_share, 100 * s.hold_share, s.signals,
                           hours(o.short_window_ms), 100 * o.share_bound);
    return r;
  }
  const SignalShares& basis = s.resolved >= o.min_resolved ? s : r.long_window;
  const std::string side = buy_heavy ? "BUY" : "SELL";
  const double side_share = buy_heavy ? s.buy_share : s.sell_share;
  if (basis.resolved < o.min_resolved) {
    r.reason = fmt::format("{} is {:.0f}% of the last {} but only {} outcomes are known over the last {}: not judged",
                           side, 100 * side_share, hours(o.short_window_ms), basis.resolved, hours(basis.window_ms));
    return r;
  }
  const double realised = buy_heavy ? basis.up_share : 1.0 - basis.up_share;
  const std::string moves = buy_heavy ? "up" : "down";
  if (realised < side_share - o.tolerance) {
    r.alert = true;
    r.side = side;
    r.reason = fmt::format("{} is {:.0f}% of {} signals in the last {} (bound {:.0f}%) while only {:.0f}% of the {} "
                           "resolved moves over the last {} went {} (tolerance {:.0f} points)",
                           side, 100 * side_share, s.signals, hours(o.short_window_ms), 100 * o.share_bound,
                           100 * realised, basis.resolved, hours(basis.window_ms), moves, 100 * o.tolerance);
  } else {
    r.reason = fmt::format("{} is {:.0f}% of the last {}, and {:.0f}% of the {} resolved moves over the last {} went {}: "
                           "justified within {:.0f} points",
                           side, 100 * side_share, hours(o.short_window_ms), 100 * realised, basis.resolved,
                           hours(basis.window_ms), moves, 100 * o.tolerance);
  }
  return r;
}

}  // namespace tbml::decision
