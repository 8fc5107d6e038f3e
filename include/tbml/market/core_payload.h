#pragma once
// Parsing of core's JSON replies (see docs core-api.md) into candles. Pure functions over strings, so
// every malformed reply can be tested without a socket.
//
// Policy for bad data:
//  - The payload is rejected (PayloadError) when it is not JSON, when the structure has the wrong types
//    (top level not an object, `history` missing or not an object, a required array missing or not an
//    array, `pair` not a string or not the pair asked for), when the arrays differ in length, or when it
//    holds points but not one of them is valid.
//  - A single point is rejected (counted, first reason kept) when one of its values is not a JSON number
//    (numbers sent as strings, null, bool), is non-finite, a price is <= 0, the volume is < 0, or its
//    timestamp is not a positive integer. One bad value should not discard 1440 good ones; a feed whose
//    numbers all turn into strings still fails loudly through the "no valid points" rule above.
// `strategies` is optional (core omits it below 15 points) and not used: features come from `history`.
// `prices` (a copy of `closes`) is optional, but if present must have the same length.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "tbml/features/candle.h"

namespace tbml {

// The only exception the parse functions throw; what() is the reason, fit for logs and health output.
class PayloadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PairPayload {
  std::string pair;
  // Sorted by timestamp, unique (the later point wins on a repeated timestamp). open is 0: core sends no
  // open, PairState fills it with the previous close.
  std::vector<Candle> candles;
  std::size_t total_points = 0;      // array length N
  std::size_t rejected_points = 0;   // points dropped by the per-point rules
  std::size_t duplicate_points = 0;  // points dropped because a later point had the same timestamp
  std::string first_rejection;       // reason for the first rejected point, empty if none
  bool has_strategies = false;
  bool has_enough_data = false;
  std::int64_t server_timestamp = 0;  // core's `timestamp`, 0 when absent
};

// Parses `GET /api/pair/:PAIR`. When expected_pair is not empty the payload's `pair` (if present) must
// equal it.
PairPayload parse_pair_payload(const std::string& body, const std::string& expected_pair = "");

// Parses `GET /api/pairs` into validated, upper-case pair names (duplicates removed, order kept).
std::vector<std::string> parse_pairs_payload(const std::string& body);

}  // namespace tbml
