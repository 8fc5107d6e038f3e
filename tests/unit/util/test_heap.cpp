#include "tbml/util/heap.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "unit/util/foreign_malloc.h"

namespace tbml {
namespace {

constexpr std::size_t kMiB = 1024 * 1024;

TEST(Heap, ResidentBytesSeesTouchedMemory) {
  const std::size_t before = resident_bytes();
  ASSERT_GT(before, 0u);
  std::vector<char> block(64 * kMiB);
  std::memset(block.data(), 1, block.size());
  EXPECT_GE(resident_bytes(), before + 48 * kMiB);
}

// Freed chunks below a live one stay resident: free() only gives back the top of the heap. This is what
// a training job leaves behind (its windows and tensors freed under the models it created).
TEST(Heap, ReleaseFreeHeapReturnsFreedChunksBelowALiveOne) {
  if (TBML_FOREIGN_MALLOC) GTEST_SKIP() << "a sanitizer replaces glibc's malloc";
  std::vector<std::unique_ptr<char[]>> chunks;
  for (int i = 0; i < 800; ++i) {  // 100 KiB each: under glibc's mmap threshold, so they come from the heap
    chunks.emplace_back(new char[100 * 1024]);
    std::memset(chunks.back().get(), 1, 100 * 1024);
  }
  // Above the chunks (a size no free bin holds), so the heap's top can't shrink past it.
  auto pin = std::make_unique<char[]>(120 * 1024);
  std::memset(pin.get(), 1, 120 * 1024);
  chunks.clear();
  const std::size_t freed = resident_bytes();
  release_free_heap();
  const std::size_t released = resident_bytes();
  EXPECT_LE(released + 60 * kMiB, freed) << "freed " << freed / kMiB << " MiB, after release " << released / kMiB;
}

}  // namespace
}  // namespace tbml
