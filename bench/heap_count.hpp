#pragma once

#include <cstdint>

namespace bench {

// Bytes currently allocated through operator new in the whole process.
int64_t heap_live_bytes();

}  // namespace bench
