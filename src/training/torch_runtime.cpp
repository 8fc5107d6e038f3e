#include "tbml/training/torch_runtime.h"

#include <dlfcn.h>
#include <torch/torch.h>

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

}  // namespace tbml
