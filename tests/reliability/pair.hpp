// Two processes joined by the real handshake (rtipc_server_create/accept and
// rtipc_client_connect): this process and a forked peer, either of which
// may be the server. Also the layout arithmetic of PROTOCOL.md §6, done
// independently of the library, to check where its pointers point.
#pragma once

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "../handshake/helpers.hpp"
#include "rtipc/rtipc.h"

namespace reliability {

enum class PeerRole { kClient, kServer };

inline const char* role_name(PeerRole r) {
  return r == PeerRole::kClient ? "client" : "server";
}

// A group config in one side's terms, holding its channel arrays (built
// with test::channel, so that every element carries its size).
struct Config {
  std::vector<rtipc_channel_config> producers, consumers;
  uint32_t flags = 0;

  rtipc_group_config get() const {
    return test::group_config(producers.data(), static_cast<uint32_t>(producers.size()),
                              consumers.data(), static_cast<uint32_t>(consumers.size()), flags);
  }
  // What a server that builds this side's group takes: its flags.
  rtipc_server_config server() const { return test::server_config(nullptr, nullptr, flags); }
  // The same group in the other side's terms.
  Config mirrored() const { return {consumers, producers, flags}; }
};

// Runs `peer` in a forked child as `peer_role` of a handshake whose group is
// `config` in *this* process's terms; returns this process's group in
// *group and the child's pid. The child exits with peer's result (its group
// is destroyed first). A hang-guard alarm of guard_s kills the child.
inline pid_t start_pair(const test::TempDir& dir, PeerRole peer_role, const Config& config,
                        const std::function<int(rtipc_group*)>& peer, rtipc_group** group,
                        unsigned guard_s = 30) {
  const std::string path = dir.path("pair.sock");
  *group = nullptr;
  if (peer_role == PeerRole::kClient) {
    // We listen: the client's peer must be the process that called
    // rtipc_server_create.
    const rtipc_server_config settings = config.server();
    rtipc_server* server = nullptr;
    EXPECT_EQ(rtipc_server_create(path.c_str(), &settings, &server), 0);
    if (!server) return -1;
    const Config theirs = config.mirrored();
    const pid_t child = test::spawn(
        [&] {
          // The inherited server is left alone: destroying it here would
          // unlink the path the parent listens on.
          const rtipc_group_config c = theirs.get();
          rtipc_group* g = nullptr;
          if (rtipc_client_connect(path.c_str(), &c, 10000, &g) != 0) return 100;
          const int rc = peer(g);
          rtipc_group_destroy(g);
          return rc;
        },
        guard_s);
    EXPECT_EQ(rtipc_server_accept(server, 10000, group), 0);
    rtipc_server_destroy(server);
    return child;
  }
  test::Pipe ready;
  const pid_t child = test::spawn(
      [&] {
        rtipc_server* server = nullptr;
        if (rtipc_server_create(path.c_str(), nullptr, &server) != 0) return 101;
        ready.put();
        rtipc_group* g = nullptr;
        const int r = rtipc_server_accept(server, 10000, &g);
        rtipc_server_destroy(server);
        if (r != 0) return 102;
        const int rc = peer(g);
        rtipc_group_destroy(g);
        return rc;
      },
      guard_s);
  EXPECT_EQ(ready.get(), 'x');
  const rtipc_group_config c = config.get();
  EXPECT_EQ(rtipc_client_connect(path.c_str(), &c, 10000, group), 0);
  return child;
}

// ---- Layout (PROTOCOL.md §6.2), computed here from the group's configs. ----

struct ChannelPlace {
  bool produced_here;
  uint32_t index;  // among this side's producers or consumers
  uint32_t slots;
  uint32_t msg_size;
  size_t offset, index_size, stride, size;
  size_t slot_offset(uint32_t i) const { return offset + index_size + i * stride; }
};

inline size_t align_cl(size_t x, size_t cl) {
  return (x + cl - 1) / cl * cl;
}

// Every channel of group in region order (client-produced channels first).
inline std::vector<ChannelPlace> places(const rtipc_group* group, bool is_client, size_t* total) {
  std::vector<ChannelPlace> out;
  const size_t cl = rtipc_group_cacheline(group);
  auto add = [&](bool produced_here, uint32_t index) {
    rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
    if (produced_here)
      rtipc_group_producer_config(group, index, &c);
    else
      rtipc_group_consumer_config(group, index, &c);
    ChannelPlace p{};
    p.produced_here = produced_here;
    p.index = index;
    p.slots = 3 + c.add_msgs;
    p.msg_size = c.msg_size;
    p.index_size = align_cl((2 + size_t{p.slots}) * 4, cl);
    p.stride = align_cl(c.msg_size, cl);
    p.size = p.index_size + p.slots * p.stride;
    out.push_back(p);
  };
  // The client produces the first block of channels, the server the second.
  for (uint32_t i = 0; i < rtipc_group_producer_count(group) && is_client; ++i) add(true, i);
  for (uint32_t i = 0; i < rtipc_group_consumer_count(group) && !is_client; ++i) add(false, i);
  for (uint32_t i = 0; i < rtipc_group_consumer_count(group) && is_client; ++i) add(false, i);
  for (uint32_t i = 0; i < rtipc_group_producer_count(group) && !is_client; ++i) add(true, i);
  size_t offset = 0;
  for (auto& p : out) {
    p.offset = offset;
    offset += p.size;
  }
  *total = offset;
  return out;
}

// Whether ptr is the start of one of the channel's slots in a region mapped
// at base.
inline bool is_slot(const void* ptr, const std::byte* base, const ChannelPlace& p) {
  const auto* b = static_cast<const std::byte*>(ptr);
  const std::byte* first = base + p.slot_offset(0);
  if (b < first || b >= first + p.slots * p.stride) return false;
  return static_cast<size_t>(b - first) % p.stride == 0;
}

// The kernel's view of the memfd mapping that holds addr: its start and
// length. False when no rtipc memfd is mapped there.
inline bool find_mapping(const void* addr, uintptr_t* start, size_t* length) {
  FILE* maps = std::fopen("/proc/self/maps", "r");
  if (!maps) return false;
  char line[512];
  bool found = false;
  const auto a = reinterpret_cast<uintptr_t>(addr);
  while (!found && std::fgets(line, sizeof line, maps)) {
    uintptr_t lo, hi;
    if (std::sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= a && a < hi &&
        std::strstr(line, "memfd:rtipc")) {
      *start = lo;
      *length = hi - lo;
      found = true;
    }
  }
  std::fclose(maps);
  return found;
}

}  // namespace reliability
