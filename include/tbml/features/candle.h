#pragma once
// One observation of a pair: the unit everything downstream is computed from, and the one rule for which
// candles are usable. It lives in features/, the lowest stage that reads candles, so that features and
// market (which parses, loads and stores them) share it without including each other.
#include <cstdint>

namespace tbml {

struct Candle {
  std::int64_t timestamp = 0;  // epoch milliseconds (candle open time for CSV data)
  double open = 0.0;
  double high = 0.0;
  double low = 0.0;
  double close = 0.0;
  double volume = 0.0;
};

// What makes a candle unusable, in the order candle_problem checks it.
enum class CandleProblem {
  kNone,
  kTimestamp,  // timestamp <= 0
  kPrice,      // close, high or low is not a finite number > 0
  kVolume,     // volume is not a finite number >= 0
};

// The validity rule every source applies (core's payload, CSV files, PairState ingest, the simulator).
// The open is not part of it: core sends none, so a missing open (0, negative or non-finite) is filled
// by complete_candle. Callers word the problem for their own context.
CandleProblem candle_problem(const Candle& c);
// The same rule without the timestamp, for sources that check timestamps their own way.
CandleProblem candle_value_problem(const Candle& c);

// A finite price > 0.
bool usable_price(double x);
// A finite volume >= 0.
bool usable_volume(double x);

// True when high >= max(open, close) and low <= min(open, close).
bool candle_range_consistent(const Candle& c);

// Fills a missing open with prev_close (with the candle's own close when prev_close is not a usable price,
// i.e. for the first candle), then widens high/low to contain open and close.
Candle complete_candle(Candle c, double prev_close);

}  // namespace tbml
