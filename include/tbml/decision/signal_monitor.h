#pragma once
// Whether the service leans one way: the shares of BUY / SELL / HOLD over a short and a long window, the
// mean model agreement, and an alert when one side's share exceeds a bound while the realised moves do
// not justify it. Pure function over the pair's recent signals.
//
// Alert rule (per side, on the short window): share(BUY) > bound and the realised up share is below
// share(BUY) − tolerance (mirror for SELL with the realised down share). A binomial test is not used on
// purpose: outcomes h candles apart share h − 1 moves, so its p-value would overstate certainty, and a
// 24 h window holds at most 24 signals; a fixed tolerance is plain and easy to reason about. The realised
// share comes from the signals in the same window whose outcome is known; with fewer than minResolved
// of them (a 24 h window at a 24 h horizon has none), from the long window, and the alert says which.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml::decision {

struct SignalMonitorOptions {
  double share_bound = 0.8;            // one side above this share of the short window...
  double tolerance = 0.2;              // ...while the realised share of that side is below share − tolerance
  std::int64_t short_window_ms = 24LL * 3600 * 1000;
  std::int64_t long_window_ms = 7LL * 24 * 3600 * 1000;
  std::size_t min_resolved = 10;       // outcomes needed for the realised share
  std::size_t min_signals = 6;         // no alert on fewer signals in the short window
  void validate() const;               // throws std::invalid_argument naming the bad field
};

struct SignalRecord {
  std::int64_t timestamp = 0;          // candle (or answer) time, epoch ms
  std::string signal = "HOLD";         // "BUY", "SELL", "HOLD"
  double agreement = 0.0;              // share of members on the ensemble's side
  std::optional<bool> up;              // the outcome once resolved
};

struct SignalShares {
  std::int64_t window_ms = 0;
  std::size_t signals = 0, buy = 0, sell = 0, hold = 0, resolved = 0, ups = 0;
  double buy_share = 0.0, sell_share = 0.0, hold_share = 0.0;
  double mean_agreement = 0.0;
  double up_share = 0.0;               // among resolved (0 when none)
  nlohmann::json to_json() const;
};

struct SignalReport {
  SignalShares short_window, long_window;
  bool alert = false;
  std::string side;                    // "BUY" or "SELL" when alerting
  std::string reason;                  // with the numbers, also when not alerting
  nlohmann::json to_json() const;
};

// Records in any order; only those with now − window < timestamp <= now count. Throws
// std::invalid_argument on an unknown signal.
SignalShares signal_shares(const std::vector<SignalRecord>& records, std::int64_t now_ms, std::int64_t window_ms);
SignalReport monitor_signals(const std::vector<SignalRecord>& records, std::int64_t now_ms,
                             const SignalMonitorOptions& options = {});

}  // namespace tbml::decision
