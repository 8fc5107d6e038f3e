#pragma once
// Ways the core stand-in can misbehave, so the poller's hardening can be tested against each.
#include <string>
#include <vector>

namespace tbml {

enum class FaultMode {
  none,                  // faithful responses
  error500,              // every /api route answers 500 with core's error JSON
  truncated_json,        // the body is cut in half (invalid JSON)
  garbage,               // the body is not JSON at all (an HTML error page, as proxies send)
  wrong_types,           // valid JSON, but arrays/numbers/bools replaced by strings
  hang,                  // the response is delayed longer than any client timeout (bounded, stoppable)
  slow_drip,             // the body trickles out a few bytes per second (chunked)
  timestamps_backwards,  // history arrays are served newest-first, so timestamps decrease
  nan_prices,            // some prices are NaN, serialised as JSON null exactly as Node does
  drop_pair,             // one pair vanishes: missing from listings, 404 on its own route
};

// The stable text name of each mode ("none", "error500", ...), in declaration order.
const std::vector<std::string>& fault_mode_names();
std::string to_string(FaultMode mode);
// Throws std::invalid_argument listing the valid names.
FaultMode parse_fault_mode(const std::string& name);

}  // namespace tbml
