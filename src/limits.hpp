// What one client may make a server map, touch and allocate: the server's
// limits, and the cost of a request measured against them. Checked after
// the request is decoded and before anything of it is mapped, so that a
// 532-byte request over a sparse memfd cannot make the server allocate
// hundreds of MiB.
#pragma once

#include <cstdint>

#include "group.hpp"
#include "request.hpp"

namespace rtipc {

// Defaults: rtipc.h's RTIPC_DEFAULT_*. Each may be raised up to the hard
// limits of layout.hpp.
struct ServerLimits {
  uint32_t min_cacheline = kMinCacheline;  // refuse layouts with a smaller cache line
  uint32_t max_channels = 64;              // per group, both directions
  uint32_t max_slots = 4096;               // per channel (3 + add_msgs)
  uint64_t max_region_size = uint64_t{64} << 20;
  uint64_t max_private_size = uint64_t{16} << 20;
};

// The widest limits validate_limits() allows: the hard limits, no bound on
// private memory beyond what they imply.
ServerLimits hard_limits();

// Throws Error(-EINVAL) when a limit is beyond the hard limits (or
// min_cacheline is not a valid cache line).
void validate_limits(const ServerLimits& limits);

struct ServerCost {
  uint64_t region_size = 0;  // bytes of the shared region
  // Bytes the server allocates and touches for the group: the pages of the
  // region its producers write (index areas it initialises, slots), the
  // index areas of its consumers, the private chain copies, the producer
  // caches; with RegionOptions::lock the whole region instead of those
  // pages, since mlock faults every page in. The slots of its consumers are
  // only read as messages arrive, within region_size.
  uint64_t private_size = 0;
};

ServerCost server_cost(const GroupPlan& plan, const GroupOptions& options);

// Throws Error(-E2BIG, "<limit>: <value> exceeds <limit value>") for the
// first limit the plan breaks. Returns the cost.
ServerCost check_limits(const GroupPlan& plan, const GroupOptions& options,
                        const ServerLimits& limits);

}  // namespace rtipc
