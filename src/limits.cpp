#include "limits.hpp"

#include <unistd.h>

#include <cerrno>

#include "error.hpp"

namespace rtipc {
namespace {

uint64_t page_size() {
  static const uint64_t size = [] {
    const long s = ::sysconf(_SC_PAGESIZE);
    return s > 0 ? static_cast<uint64_t>(s) : uint64_t{4096};
  }();
  return size;
}

// Bytes of the whole pages that [begin, end) touches.
uint64_t pages_of(uint64_t begin, uint64_t end) {
  if (end <= begin) return 0;
  const uint64_t p = page_size();
  return ((end + p - 1) / p - begin / p) * p;
}

}  // namespace

ServerLimits hard_limits() {
  return {kMinCacheline, kMaxChannels, kMaxSlots, kMaxRegionSize, UINT64_MAX};
}

void validate_limits(const ServerLimits& limits) {
  if (!valid_cacheline(limits.min_cacheline))
    fail(-EINVAL, "min_cacheline {} is not a power of two in [{}, {}]", limits.min_cacheline,
         kMinCacheline, kMaxCacheline);
  if (limits.max_channels == 0 || limits.max_channels > kMaxChannels)
    fail(-EINVAL, "max_channels {} is not in [1, {}]", limits.max_channels, kMaxChannels);
  if (limits.max_slots < kMinSlots || limits.max_slots > kMaxSlots)
    fail(-EINVAL, "max_slots {} is not in [{}, {}]", limits.max_slots, kMinSlots, kMaxSlots);
  if (limits.max_region_size == 0 || limits.max_region_size > kMaxRegionSize)
    fail(-EINVAL, "max_region_size {} is not in [1, {}]", limits.max_region_size, kMaxRegionSize);
  if (limits.max_private_size == 0) fail(-EINVAL, "max_private_size 0 would refuse every group");
}

ServerCost server_cost(const GroupPlan& plan, const GroupOptions& options) {
  const std::vector<ChannelLayout>& layout = plan.layout;
  ServerCost cost;
  cost.region_size = plan.region_size;
  if (layout.empty()) return cost;
  // The server produces the channels the client consumes: the second block
  // of the table, which the layout places last, back to back.
  const size_t first_produced = plan.spec.client_produces.size();
  if (options.region.lock) {
    cost.private_size = pages_of(0, cost.region_size);
  } else {
    if (first_produced < layout.size())
      cost.private_size += pages_of(layout[first_produced].offset, cost.region_size);
    for (size_t i = 0; i < first_produced; ++i)
      cost.private_size += pages_of(layout[i].offset, layout[i].offset + layout[i].index_size);
  }
  for (size_t i = first_produced; i < layout.size(); ++i) {
    cost.private_size += uint64_t{layout[i].slots} * sizeof(uint32_t);  // chain copy
    if (options.producer_cache) cost.private_size += layout[i].slot_stride;
  }
  return cost;
}

ServerCost check_limits(const GroupPlan& plan, const GroupOptions& options,
                        const ServerLimits& limits) {
  const GroupSpec& spec = plan.spec;
  if (spec.cacheline < limits.min_cacheline)
    fail(-E2BIG, "min_cacheline: cache line {} is below {}", spec.cacheline, limits.min_cacheline);
  if (spec.channel_count() > limits.max_channels)
    fail(-E2BIG, "max_channels: {} channels exceed {}", spec.channel_count(), limits.max_channels);
  for (size_t i = 0; i < plan.layout.size(); ++i) {
    if (plan.layout[i].slots > limits.max_slots)
      fail(-E2BIG, "max_slots: {} slots (channel {}) exceed {}", plan.layout[i].slots, i,
           limits.max_slots);
  }
  const ServerCost cost = server_cost(plan, options);
  if (cost.region_size > limits.max_region_size)
    fail(-E2BIG, "max_region_size: a region of {} bytes exceeds {}", cost.region_size,
         limits.max_region_size);
  if (cost.private_size > limits.max_private_size)
    fail(-E2BIG, "max_private_size: {} bytes for the server exceed {}", cost.private_size,
         limits.max_private_size);
  return cost;
}

}  // namespace rtipc
