// Where things live in the shared region (docs/protocol.md §6). Pure arithmetic,
// shared by both roles, so that a server lays the region out exactly as the
// client that sent the request did.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

// The layout arithmetic below and the 16 GiB region limit assume it; a
// 32-bit size_t would wrap them silently.
static_assert(sizeof(size_t) == 8, "librtipc needs a 64-bit size_t (a 64-bit Linux target)");

namespace rtipc {

// The cache line a client lays its region out with unless it asks for
// another (the Meson option cacheline_size).
#ifndef RTIPC_DEFAULT_CACHELINE
#error "RTIPC_DEFAULT_CACHELINE comes from src/meson.build"
#endif
inline constexpr uint32_t kDefaultCacheline = RTIPC_DEFAULT_CACHELINE;

// Bounds that keep a hostile request from driving allocations or mappings to
// absurd sizes (docs/protocol.md §11). Generous for any real application.
inline constexpr uint32_t kMaxChannels = 1024;              // per group, both directions
inline constexpr uint32_t kMaxSlots = 1u << 20;             // n, per channel
inline constexpr uint32_t kMaxMsgSize = 64u << 20;          // bytes per message
inline constexpr uint32_t kMaxInfoSize = 1u << 16;          // per group and per channel
inline constexpr size_t kMaxRegionSize = size_t{16} << 30;  // whole region
inline constexpr uint32_t kMinCacheline = 8;
inline constexpr uint32_t kMaxCacheline = 4096;
inline constexpr uint32_t kMinSlots = 3;

bool valid_cacheline(uint32_t cacheline);

// One channel: index area (tail, head, chain[n]) then n slots.
struct ChannelLayout {
  uint32_t cacheline;  // the layout's; every slot is aligned to it
  uint32_t slots;      // n = 3 + add_msgs
  uint32_t msg_size;   // as requested
  size_t index_size;   // align((2 + n) * 4)
  size_t slot_stride;  // align(msg_size)
  size_t size;         // index_size + n * slot_stride
  size_t offset;       // from the start of the region

  size_t slot_offset(uint32_t i) const { return offset + index_size + i * slot_stride; }
};

// Throws Error(-EINVAL) when a value is out of bounds.
ChannelLayout channel_layout(uint32_t cacheline, uint32_t add_msgs, uint32_t msg_size,
                             size_t offset);

struct ChannelShape {
  uint32_t add_msgs;
  uint32_t msg_size;
};

// Channels placed back to back in table order; returns the region size.
// Throws Error(-EINVAL) when a bound is exceeded.
size_t layout_channels(uint32_t cacheline, const std::vector<ChannelShape>& shapes,
                       std::vector<ChannelLayout>* out);

}  // namespace rtipc
