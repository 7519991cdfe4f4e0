// The handshake request (docs/protocol.md §3): what a client proposes, encoded and
// decoded byte for byte. Decoding trusts nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "layout.hpp"

namespace rtipc {

inline constexpr uint16_t kMagic = 0x1f0c;
inline constexpr uint16_t kVersion = 2;
inline constexpr uint16_t kAtomicSize = 4;
inline constexpr size_t kHeaderSize = 20;
inline constexpr size_t kTableEntrySize = 16;
// The one limit on a whole request (rtipc.h's RTIPC_MAX_REQUEST_SIZE): what one
// SOCK_SEQPACKET message of a default Linux socket (wmem_default, 208 KiB)
// carries with room to spare. Group::create refuses a group whose request
// would be longer, a server refuses such a request.
inline constexpr size_t kMaxRequestSize = 65536;

struct ChannelSpec {
  uint32_t msg_size = 0;
  uint32_t add_msgs = 0;
  bool eventfd = false;
  std::vector<std::byte> info;
};

// Always in the client's terms: `client_produces` are table entries 0..count_a.
struct GroupSpec {
  uint32_t cacheline = 0;
  std::vector<std::byte> info;
  std::vector<ChannelSpec> client_produces;
  std::vector<ChannelSpec> client_consumes;

  size_t channel_count() const { return client_produces.size() + client_consumes.size(); }
  const ChannelSpec& channel(size_t table_index) const;
};

// A GroupSpec within every hard bound, and what follows from it, worked out
// once: the server's limits, its filter, Group::adopt and the Group itself
// all read it instead of laying the region out again.
struct GroupPlan {
  GroupSpec spec;
  std::vector<ChannelLayout> layout;  // table order
  size_t region_size = 0;
  size_t fd_count = 0;  // the memfd, then one eventfd per channel that has one
};

// Checks spec against the hard bounds: Error(-EINVAL) for a slot count,
// message size, region size or info beyond them, Error(-EMSGSIZE) for a
// request longer than kMaxRequestSize.
GroupPlan plan_group(GroupSpec spec);

// The length of encode_request(spec), without encoding it.
uint64_t request_size(const GroupSpec& spec);

std::vector<std::byte> encode_request(const GroupSpec& spec);

// Throws Error(-EBADMSG) with the reason when the bytes are not a valid
// request (longer than kMaxRequestSize included), and Error(-EINVAL) when
// the group they describe breaks a bound (plan_group).
GroupPlan decode_request(std::span<const std::byte> bytes);

}  // namespace rtipc
