// Candle CSV files (market/candle_csv) and the PAIR=path list of `tbml train/evaluate --csv`: any text is
// parsed into sorted, valid candles or refused with std::invalid_argument naming the line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "tbml/features/candle.h"
#include "tbml/market/candle_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto candles = tbml::parse_candles_csv(text, "fuzz");
    for (std::size_t i = 0; i < candles.size(); ++i) {
      if (tbml::candle_problem(candles[i]) != tbml::CandleProblem::kNone) std::abort();
      if (i > 0 && candles[i].timestamp <= candles[i - 1].timestamp) std::abort();
    }
  } catch (const std::invalid_argument&) {
  }
  try {
    for (const auto& item : tbml::parse_pair_csv_list(text))
      if (item.pair.empty() || item.path.empty()) std::abort();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
