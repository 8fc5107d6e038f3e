#include "tbml/features/candle.h"

#include <algorithm>
#include <cmath>

namespace tbml {

bool usable_price(double x) { return std::isfinite(x) && x > 0.0; }
bool usable_volume(double x) { return std::isfinite(x) && x >= 0.0; }

CandleProblem candle_value_problem(const Candle& c) {
  if (!usable_price(c.close) || !usable_price(c.high) || !usable_price(c.low)) return CandleProblem::kPrice;
  if (!usable_volume(c.volume)) return CandleProblem::kVolume;
  return CandleProblem::kNone;
}

CandleProblem candle_problem(const Candle& c) {
  if (c.timestamp <= 0) return CandleProblem::kTimestamp;
  return candle_value_problem(c);
}

bool candle_range_consistent(const Candle& c) {
  return c.high >= std::max(c.open, c.close) && c.low <= std::min(c.open, c.close);
}

Candle complete_candle(Candle c, double prev_close) {
  if (!usable_price(c.open)) c.open = usable_price(prev_close) ? prev_close : c.close;
  c.high = std::max({c.high, c.open, c.close});
  c.low = std::min({c.low, c.open, c.close});
  return c;
}

}  // namespace tbml
