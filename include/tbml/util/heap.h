#pragma once
// The process's heap as the kernel sees it. glibc's malloc keeps freed memory in its arenas for reuse and
// only gives back the top of a heap; a training job frees hundreds of MiB of windows, tensors and optimiser
// state in the middle of the arenas, which then stays resident (440 MiB after training every model against
// 248 MiB for the same models loaded from storage, docs/performance.md "Memory").
#include <cstddef>

namespace tbml {

// Returns the free pages of every malloc arena to the kernel (glibc's malloc_trim(0): madvise on whole
// free pages, also in the middle of a heap). Takes each arena's lock in turn, for about a millisecond per
// 100 MiB; call it after a large working set was freed, not on a hot path.
void release_free_heap();

// The process's resident set in bytes (/proc/self/statm), 0 when it cannot be read.
std::size_t resident_bytes();

}  // namespace tbml
