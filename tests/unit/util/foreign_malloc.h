#pragma once
// Sanitizers replace glibc's malloc (and ASan keeps freed memory in quarantine): tests that measure what
// glibc's allocator keeps resident skip themselves when TBML_FOREIGN_MALLOC is 1.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TBML_FOREIGN_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define TBML_FOREIGN_MALLOC 1
#endif
#endif
#ifndef TBML_FOREIGN_MALLOC
#define TBML_FOREIGN_MALLOC 0
#endif
