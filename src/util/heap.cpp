#include "tbml/util/heap.h"

#include <malloc.h>
#include <unistd.h>

#include <fstream>

namespace tbml {

void release_free_heap() { ::malloc_trim(0); }

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size_pages = 0, resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace tbml
