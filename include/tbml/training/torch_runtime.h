#pragma once
// Torch's global thread pools are set once at start-up, from configuration, so that training cannot
// starve request handling on a small machine.

namespace tbml {

// intra_op: threads per operator (training and inference); inter-op is pinned to 1. Safe to call once.
void configure_torch_threads(int intra_op);

}  // namespace tbml
