// ThreadSanitizer cannot see how Cyclone DDS orders our code around a
// listener call: libddsc is not instrumented, and scripts/test-sanitizers
// has TSan ignore what it does (tests/sanitizers/tsan.supp). Cyclone makes
// the order: a listener runs after the entity it was set on is created, and
// dds_delete returns after that entity's listeners. Where a listener shares
// our data, these tell TSan so. They are nothing outside TSan builds.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define BRIDGE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BRIDGE_TSAN 1
#endif
#endif

#ifdef BRIDGE_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace bridge {

// What this thread did so far happens before what any thread does after a
// later tsan_acquire(obj).
inline void tsan_release([[maybe_unused]] void* obj) {
#ifdef BRIDGE_TSAN
  __tsan_release(obj);
#endif
}

inline void tsan_acquire([[maybe_unused]] void* obj) {
#ifdef BRIDGE_TSAN
  __tsan_acquire(obj);
#endif
}

}  // namespace bridge
