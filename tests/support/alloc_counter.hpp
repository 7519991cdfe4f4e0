// The counting policy of alloc_hook.hpp, for tests that check that a path
// allocates nothing: every allocation call is admitted and counted. A test
// executable gets it by depending on alloc_counter_dep (instead of
// alloc_hook_dep and a policy of its own).
#pragma once

#include <cstdint>

#include "alloc_hook.hpp"

namespace alloc_hook {

// Allocation calls (of the whole process) since it started.
uint64_t allocations();

}  // namespace alloc_hook
