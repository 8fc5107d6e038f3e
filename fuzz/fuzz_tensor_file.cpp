// The networks' weights file found on disk (models/tensor_file): any bytes decode into tensors whose value
// counts match their shapes, or are refused with std::invalid_argument; re-encoding gives the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "tbml/models/tensor_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto tensors = tbml::decode_tensors(bytes);
    for (const auto& t : tensors) {
      std::size_t n = 1;
      for (auto d : t.shape) n *= static_cast<std::size_t>(d);
      if (n != t.values.size()) std::abort();
    }
    if (tbml::encode_tensors(tensors) != bytes) std::abort();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
