#include "fork_generation.hpp"

#include <pthread.h>

#include <atomic>

namespace rtipc {
namespace {

std::atomic<uint64_t> generation{0};

void forked_child() {
  generation.fetch_add(1, std::memory_order_relaxed);
}

// Registered when the library is loaded: any later fork() counts.
const int registered = ::pthread_atfork(nullptr, nullptr, forked_child);

}  // namespace

uint64_t fork_generation() {
  (void)registered;
  return generation.load(std::memory_order_relaxed);
}

}  // namespace rtipc
