#pragma once
// Torch's global thread pools are set once at start-up, from configuration, so that training cannot
// starve request handling on a small machine.

namespace tbml {

// intra_op: threads per operator (training and inference); inter-op is pinned to 1. Safe to call once.
void configure_torch_threads(int intra_op);

// Multiply-adds per second of torch's float matrix product (n x n by n x n, best of `repeats`) on the
// configured threads: what the BLAS reaches on this machine, the bench's floor for a forward pass.
double measured_gemm_macs_per_second(int n = 512, int repeats = 20);

}  // namespace tbml
