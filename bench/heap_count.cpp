// Counts the bytes live through operator new, in this program and in
// librtipc (the replacement operators interpose for the whole process), so
// that the memory set can tell what a channel costs privately. mallinfo2
// cannot: freed chunks parked in glibc's tcache still count as in use.
#include "heap_count.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace {

std::atomic<int64_t> g_live{0};

// Layout: [padding][offset u64][size u64][user bytes]; offset = user - base.
void* allocate(size_t size, size_t align) {
  const size_t header = align < 16 ? 16 : align;
  void* base = align <= alignof(std::max_align_t)
                   ? std::malloc(size + header)
                   : std::aligned_alloc(align, (size + header + align - 1) / align * align);
  if (!base) return nullptr;
  auto* user = static_cast<char*>(base) + header;
  reinterpret_cast<uint64_t*>(user)[-1] = size;
  reinterpret_cast<uint64_t*>(user)[-2] = header;
  g_live.fetch_add(int64_t(size), std::memory_order_relaxed);
  return user;
}

void* allocate_or_throw(size_t size, size_t align) {
  void* p = allocate(size, align);
  if (!p) throw std::bad_alloc();
  return p;
}

void release(void* p) {
  if (!p) return;
  auto* user = static_cast<char*>(p);
  const uint64_t size = reinterpret_cast<uint64_t*>(user)[-1];
  const uint64_t header = reinterpret_cast<uint64_t*>(user)[-2];
  g_live.fetch_sub(int64_t(size), std::memory_order_relaxed);
  std::free(user - header);
}

}  // namespace

namespace bench {
int64_t heap_live_bytes() {
  return g_live.load(std::memory_order_relaxed);
}
}  // namespace bench

void* operator new(size_t n) {
  return allocate_or_throw(n, 0);
}
void* operator new[](size_t n) {
  return allocate_or_throw(n, 0);
}
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return allocate(n, 0);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return allocate(n, 0);
}
void* operator new(size_t n, std::align_val_t a) {
  return allocate_or_throw(n, size_t(a));
}
void* operator new[](size_t n, std::align_val_t a) {
  return allocate_or_throw(n, size_t(a));
}
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(n, size_t(a));
}
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(n, size_t(a));
}
void operator delete(void* p) noexcept {
  release(p);
}
void operator delete[](void* p) noexcept {
  release(p);
}
void operator delete(void* p, size_t) noexcept {
  release(p);
}
void operator delete[](void* p, size_t) noexcept {
  release(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete(void* p, size_t, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, size_t, std::align_val_t) noexcept {
  release(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  release(p);
}
