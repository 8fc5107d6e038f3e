#pragma once
// One observation of a pair: the unit everything downstream is computed from.
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

}  // namespace tbml
