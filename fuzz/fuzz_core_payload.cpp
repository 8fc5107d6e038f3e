// Core's per-pair and pair-list payloads (market/core_payload): any bytes are either parsed into valid
// candles or refused with PayloadError. Anything else (another exception, a crash, a sanitizer report,
// a candle that breaks the one candle rule) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tbml/features/candle.h"
#include "tbml/market/core_payload.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  try {
    const tbml::PairPayload p = tbml::parse_pair_payload(body);
    for (const auto& c : p.candles)
      if (tbml::candle_problem(c) != tbml::CandleProblem::kNone) std::abort();
  } catch (const tbml::PayloadError&) {
  }
  try {
    for (const auto& name : tbml::parse_pairs_payload(body))
      if (name.empty()) std::abort();
  } catch (const tbml::PayloadError&) {
  }
  return 0;
}
