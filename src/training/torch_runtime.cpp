#include "tbml/training/torch_runtime.h"

#include <torch/torch.h>

#include <mutex>

namespace tbml {

void configure_torch_threads(int intra_op) {
  static std::once_flag once;
  std::call_once(once, [intra_op] {
    // Inter-op threads can only be set before any parallel work has started.
    at::set_num_interop_threads(1);
    at::set_num_threads(intra_op < 1 ? 1 : intra_op);
  });
}

}  // namespace tbml
