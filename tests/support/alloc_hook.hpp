// A replaced malloc family (malloc, calloc, realloc, memalign, aligned_alloc,
// posix_memalign, free) for tests that watch or fail allocations. operator
// new reaches it too, through libstdc++'s malloc call. A test executable
// gets it by depending on alloc_hook_dep and defines the policy below.
//
// Sanitizers bring their own allocator, which this one would fight: there
// nothing is replaced (kAllocHook is false) and the tests skip themselves.
#pragma once

#include <cstdint>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RTIPC_TEST_ALLOC_HOOK 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define RTIPC_TEST_ALLOC_HOOK 0
#endif
#endif
#ifndef RTIPC_TEST_ALLOC_HOOK
#define RTIPC_TEST_ALLOC_HOOK 1
#endif

namespace alloc_hook {

constexpr bool kAllocHook = RTIPC_TEST_ALLOC_HOOK;

// The test's policy, called once per allocation call (malloc, calloc,
// realloc, memalign and those built on it): false makes it fail with ENOMEM.
bool admit();

// Blocks that exist, allocated and not yet freed: the allocator keeps it.
int64_t live_blocks();

}  // namespace alloc_hook
