#include <stdexcept>

#include <gtest/gtest.h>

#include "tbml/decision/signal_monitor.h"

using namespace tbml::decision;

namespace {

constexpr std::int64_t kHour = 3600 * 1000;
constexpr std::int64_t kNow = 1000 * kHour;

// One signal an hour for `hours` hours up to now: `buy` of every 10 are BUY (rest HOLD), `ups` of every 10
// resolved outcomes went up; the newest `unresolved` have no outcome yet.
std::vector<SignalRecord> records(std::size_t hours, int buy, int ups, std::size_t unresolved = 0,
                                  const std::string& side = "BUY") {
  std::vector<SignalRecord> out;
  for (std::size_t i = 0; i < hours; ++i) {
    SignalRecord r;
    r.timestamp = kNow - static_cast<std::int64_t>(i) * kHour;
    r.signal = static_cast<int>(i % 10) < buy ? side : "HOLD";
    r.agreement = 0.75;
    if (i >= unresolved) r.up = static_cast<int>(i % 10) < ups;
    out.push_back(r);
  }
  return out;
}

}  // namespace

TEST(SignalMonitor, SharesOverEachWindow) {
  const auto rec = records(200, 9, 5);
  const SignalShares s = signal_shares(rec, kNow, 24 * kHour);
  EXPECT_EQ(s.signals, 24u);
  EXPECT_EQ(s.buy + s.hold, 24u);
  EXPECT_EQ(s.buy, 22u);  // i = 0..23: i % 10 < 9 except i = 9 and 19
  EXPECT_NEAR(s.buy_share, 22.0 / 24.0, 1e-12);
  EXPECT_NEAR(s.mean_agreement, 0.75, 1e-12);
  EXPECT_EQ(signal_shares(rec, kNow, 168 * kHour).signals, 168u);
  EXPECT_THROW(signal_shares({SignalRecord{kNow, "LONG", 0.5, {}}}, kNow, kHour), std::invalid_argument);
}

TEST(SignalMonitor, AlertsWhenOneSidedBuysAreNotJustified) {
  const SignalReport r = monitor_signals(records(200, 9, 5), kNow);  // 92 % BUY, 50 % up
  EXPECT_TRUE(r.alert) << r.reason;
  EXPECT_EQ(r.side, "BUY");
  EXPECT_NE(r.reason.find("92%"), std::string::npos) << r.reason;
  EXPECT_EQ(r.to_json().at("alert"), true);
}

TEST(SignalMonitor, NoAlertWhenUpMovesJustifyIt) {
  EXPECT_FALSE(monitor_signals(records(200, 9, 8), kNow).alert);  // 92 % BUY, 80 % up: within 20 points
}

TEST(SignalMonitor, NoAlertBelowTheBound) {
  const SignalReport r = monitor_signals(records(200, 7, 0), kNow);  // 70 % BUY, never up
  EXPECT_FALSE(r.alert);
  EXPECT_NE(r.reason.find("balanced"), std::string::npos);
  SignalMonitorOptions tight;
  tight.share_bound = 0.6;
  EXPECT_TRUE(monitor_signals(records(200, 7, 0), kNow, tight).alert);
}

TEST(SignalMonitor, SellSideMirrors) {
  const SignalReport r = monitor_signals(records(200, 9, 5, 0, "SELL"), kNow);  // 50 % down
  EXPECT_TRUE(r.alert);
  EXPECT_EQ(r.side, "SELL");
  EXPECT_FALSE(monitor_signals(records(200, 9, 1, 0, "SELL"), kNow).alert);  // 90 % down
}

TEST(SignalMonitor, FallsBackToTheLongWindowForOutcomes) {
  // The newest 24 are unresolved (a 24 h horizon): the realised share comes from the 7 d window.
  const SignalReport r = monitor_signals(records(200, 9, 5, 24), kNow);
  EXPECT_TRUE(r.alert);
  EXPECT_NE(r.reason.find("168 h"), std::string::npos) << r.reason;
  // Nothing resolved at all: not judged.
  const SignalReport none = monitor_signals(records(200, 9, 5, 200), kNow);
  EXPECT_FALSE(none.alert);
  EXPECT_NE(none.reason.find("not judged"), std::string::npos);
  // Too few signals in the short window.
  EXPECT_FALSE(monitor_signals(records(3, 10, 0), kNow).alert);
}
