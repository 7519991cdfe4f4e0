// The replaced malloc family of alloc_hook.hpp, on top of glibc's own
// __libc_* entry points.
#include "alloc_hook.hpp"

#include <atomic>
#include <cerrno>
#include <cstddef>

namespace {
std::atomic<int64_t> live{0};
}  // namespace

int64_t alloc_hook::live_blocks() {
  return live.load();
}

#if RTIPC_TEST_ALLOC_HOOK
extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* p, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* p);

void* malloc(size_t size) {
  if (!alloc_hook::admit()) return errno = ENOMEM, nullptr;
  void* p = __libc_malloc(size);
  if (p) live.fetch_add(1, std::memory_order_relaxed);
  return p;
}
void* calloc(size_t count, size_t size) {
  if (!alloc_hook::admit()) return errno = ENOMEM, nullptr;
  void* p = __libc_calloc(count, size);
  if (p) live.fetch_add(1, std::memory_order_relaxed);
  return p;
}
void* realloc(void* old, size_t size) {
  if (!alloc_hook::admit()) return errno = ENOMEM, nullptr;
  void* p = __libc_realloc(old, size);
  if (p && !old) live.fetch_add(1, std::memory_order_relaxed);
  if (!p && old && size == 0) live.fetch_sub(1, std::memory_order_relaxed);
  return p;
}
void* memalign(size_t alignment, size_t size) {
  if (!alloc_hook::admit()) return errno = ENOMEM, nullptr;
  void* p = __libc_memalign(alignment, size);
  if (p) live.fetch_add(1, std::memory_order_relaxed);
  return p;
}
void* aligned_alloc(size_t alignment, size_t size) {
  return memalign(alignment, size);
}
int posix_memalign(void** out, size_t alignment, size_t size) {
  void* p = memalign(alignment, size);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
void free(void* p) {
  if (p) live.fetch_sub(1, std::memory_order_relaxed);
  __libc_free(p);
}
}  // extern "C"
#endif  // RTIPC_TEST_ALLOC_HOOK
