#pragma once
// Per-thread CPU priority. Training shares the machine with the HTTP workers; a higher nice value on the
// training threads lets the scheduler serve requests first whenever both want the same core.
#include <chrono>
#include <string>

namespace tbml {

// Adds `increment` (> 0) to the calling thread's nice value, capped at 19 (Linux: nice is per thread).
// Returns the new nice value, or throws std::runtime_error with the reason.
int lower_current_thread_priority(int increment);

// The calling thread's nice value.
int current_thread_nice();

// Asks for a time slice of `slice` for the calling thread (sched_setattr's sched_runtime under EEVDF,
// Linux 6.12 and later: 100 us to 100 ms). A woken thread with a shorter slice than the running one
// preempts it at once, so HTTP workers with a short slice are not kept waiting behind a training step or
// a poll that took the core. Returns false (and changes nothing) for a slice <= 0 or where the kernel
// refuses it; never throws.
bool set_current_thread_slice(std::chrono::microseconds slice);

// The calling thread's slice as the kernel reports it (sched_getattr), or 0 where it cannot be read.
std::chrono::microseconds current_thread_slice();

}  // namespace tbml
