#include "alloc_counter.hpp"

#include <atomic>

namespace {
std::atomic<uint64_t> count{0};
}  // namespace

bool alloc_hook::admit() {
  count.fetch_add(1, std::memory_order_relaxed);
  return true;
}

uint64_t alloc_hook::allocations() {
  return count.load();
}
