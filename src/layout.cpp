#include "layout.hpp"

#include <cerrno>

#include "error.hpp"

namespace rtipc {
namespace {

size_t align_up(size_t x, uint32_t cacheline) {
  return (x + cacheline - 1) & ~size_t{cacheline - 1};
}

}  // namespace

bool valid_cacheline(uint32_t cacheline) {
  return cacheline >= kMinCacheline && cacheline <= kMaxCacheline &&
         (cacheline & (cacheline - 1)) == 0;
}

ChannelLayout channel_layout(uint32_t cacheline, uint32_t add_msgs, uint32_t msg_size,
                             size_t offset) {
  if (!valid_cacheline(cacheline))
    fail(-EINVAL, "cache-line size {} is not a power of two in [{}, {}]", cacheline, kMinCacheline,
         kMaxCacheline);
  if (msg_size == 0 || msg_size > kMaxMsgSize)
    fail(-EINVAL, "message size {} is not in [1, {}]", msg_size, kMaxMsgSize);
  if (add_msgs > kMaxSlots - kMinSlots)
    fail(-EINVAL, "{} additional slots exceed the limit of {}", add_msgs, kMaxSlots - kMinSlots);

  ChannelLayout l;
  l.cacheline = cacheline;
  l.slots = kMinSlots + add_msgs;
  l.msg_size = msg_size;
  // The Rust crate's formula; the C library's align((2 + add_msgs) * 4) lets
  // the first slot overlap the end of the chain (docs/protocol.md §6.2).
  l.index_size = align_up((2 + size_t{l.slots}) * 4, cacheline);
  l.slot_stride = align_up(msg_size, cacheline);
  l.size = l.index_size + size_t{l.slots} * l.slot_stride;  // < 2^47, no overflow
  l.offset = offset;
  return l;
}

size_t layout_channels(uint32_t cacheline, const std::vector<ChannelShape>& shapes,
                       std::vector<ChannelLayout>* out) {
  if (shapes.size() > kMaxChannels)
    fail(-EINVAL, "{} channels exceed the limit of {}", shapes.size(), kMaxChannels);
  out->clear();
  out->reserve(shapes.size());
  size_t offset = 0;
  for (const ChannelShape& s : shapes) {
    ChannelLayout l = channel_layout(cacheline, s.add_msgs, s.msg_size, offset);
    offset += l.size;
    if (offset > kMaxRegionSize)
      fail(-EINVAL, "the shared region would exceed {} bytes", kMaxRegionSize);
    out->push_back(l);
  }
  return offset;
}

}  // namespace rtipc
