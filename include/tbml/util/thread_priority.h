#pragma once
// Per-thread CPU priority. Training shares the machine with the HTTP workers; a higher nice value on the
// training threads lets the scheduler serve requests first whenever both want the same core.
#include <string>

namespace tbml {

// Adds `increment` (> 0) to the calling thread's nice value, capped at 19 (Linux: nice is per thread).
// Returns the new nice value, or throws std::runtime_error with the reason.
int lower_current_thread_priority(int increment);

// The calling thread's nice value.
int current_thread_nice();

}  // namespace tbml
