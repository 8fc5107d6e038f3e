#include "tbml/training/torch_runtime.h"

#include <dlfcn.h>
#include <torch/torch.h>

#include <chrono>
#include <mutex>

namespace tbml {

void configure_torch_threads(int intra_op) {
  static std::once_flag once;
  std::call_once(once, [intra_op] {
    const int threads = intra_op < 1 ? 1 : intra_op;
    // Inter-op threads can only be set before any parallel work has started.
    at::set_num_interop_threads(1);
    at::set_num_threads(threads);
    // Debian's libtorch calls the system BLAS (libblas.so.3). When that is OpenBLAS (scripts/setup.sh
    // installs it: ~10x faster GEMM than the reference BLAS), its own thread pool must follow the same
    // limit, or it would use every core next to torch's threads.
    using SetThreads = void (*)(int);
    if (auto set = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(threads);
  });
}

double measured_gemm_macs_per_second(int n, int repeats) {
  c10::InferenceMode guard;
  const torch::Tensor a = torch::randn({n, n}), b = torch::randn({n, n});
  torch::Tensor c = torch::empty({n, n});
  double best = 1e300;
  for (int i = 0; i < repeats + 2; ++i) {  // the first calls size the BLAS buffers
    const auto start = std::chrono::steady_clock::now();
    torch::mm_out(c, a, b);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (i >= 2) best = std::min(best, s);
  }
  return static_cast<double>(n) * n * n / best;
}

}  // namespace tbml
