// The sized-struct rule of rtipc.h: a caller's struct starts with its size,
// and the library reads (or writes) only that many bytes. Older, shorter
// structs get zero defaults for the fields they lack; longer ones are
// accepted when the bytes we do not know are zero (as the kernel's
// copy_struct_from_user does for clone3 and openat2).
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "error.hpp"
#include "rtipc/rtipc.h"

namespace rtipc::capi {

// The smallest size each struct was ever published with (1.0.0): its last
// 1.0 field's end. Never change these; a later field goes after them.
template <typename T>
inline constexpr size_t kFirstSize = 0;
template <>
inline constexpr size_t kFirstSize<rtipc_channel_config> = offsetof(rtipc_channel_config,
                                                                    reserved) +
                                                           sizeof(uint32_t);
template <>
inline constexpr size_t kFirstSize<rtipc_group_config> = offsetof(rtipc_group_config, cacheline) +
                                                         sizeof(uint32_t);
template <>
inline constexpr size_t kFirstSize<rtipc_server_config> = offsetof(rtipc_server_config,
                                                                   max_private_size) +
                                                          sizeof(uint64_t);

// The library's own view of a public struct. The ABI growth test builds a
// second library whose structs have one more field, as a later release's
// would, to show that programs built against the shorter struct still work.
template <typename T>
struct Known {
  T v;
#ifdef RTIPC_ABI_GROWTH_TEST
  uint64_t later_field;  // 0 means its default, like every field
#endif
};

inline uint32_t declared_size(const void* caller) {
  uint32_t size;
  std::memcpy(&size, caller, sizeof size);  // every struct starts with it
  return size;
}

// No struct will ever be this large: a bigger size is garbage, not a
// future layout.
inline constexpr uint32_t kMaxStructSize = 4096;

inline void check_size(uint32_t size, size_t first, const char* what) {
  if (size > kMaxStructSize)
    fail(-EINVAL, "{}: size {} is not a struct size (uninitialised?); use its _INIT macro", what,
         size);
  if (size < first)
    fail(-EINVAL, "{}: size {} is smaller than its first layout ({} bytes); use its _INIT macro",
         what, size, first);
}

// The caller's struct as the library knows it, zero where the caller's is
// shorter. Throws Error(-EINVAL) for a size below the first layout and
// Error(-E2BIG) for non-zero bytes beyond what the library knows.
template <typename T>
Known<T> read_sized(const T* caller, const char* what) {
  const uint32_t size = declared_size(caller);
  check_size(size, kFirstSize<T>, what);
  Known<T> known{};
  std::memcpy(&known, caller, std::min<size_t>(size, sizeof known));
  const auto* bytes = reinterpret_cast<const unsigned char*>(caller);
  for (size_t i = sizeof known; i < size; ++i)
    if (bytes[i] != 0)
      fail(-E2BIG, "{}: byte {} of {} is set, but this library knows only {} bytes", what, i, size,
           sizeof known);
  known.v.size = static_cast<uint32_t>(sizeof known);
  return known;
}

// Writes value into the caller's struct: its first `size` bytes, zero past
// what the library knows; keeps the caller's size.
template <typename T>
void write_sized(T* caller, const T& value, const char* what) {
  const uint32_t size = declared_size(caller);
  check_size(size, kFirstSize<T>, what);
  Known<T> known{};
  known.v = value;
  auto* bytes = reinterpret_cast<unsigned char*>(caller);
  const size_t n = std::min<size_t>(size, sizeof known);
  std::memcpy(bytes, &known, n);
  std::memset(bytes + n, 0, size - n);
  std::memcpy(bytes, &size, sizeof size);
}

}  // namespace rtipc::capi
