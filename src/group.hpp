// A channel group: every channel of one handshake, in one sealed memfd.
//
// The client builds a group from a GroupSpec (Group::create), sends
// request() and fds() to the server, and the server rebuilds the same group
// from those bytes and descriptors (Group::adopt). Each side then takes its
// producers and consumers out; they keep the mapping alive on their own, so
// the group may be destroyed first.
//
// Thread rules: a Group is set up and taken apart by one thread at a time.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "channel.hpp"
#include "fd.hpp"
#include "peer.hpp"
#include "region.hpp"
#include "request.hpp"
#include "stats.hpp"

namespace rtipc {

struct GroupOptions {
  RegionOptions region;
  bool producer_cache = false;
};

class Group {
 public:
  enum class Role { kClient, kServer };

  // Client side: plans the spec (plan_group; throws its errors), then a new
  // region and, where the spec asks, new eventfds.
  static std::unique_ptr<Group> create(GroupSpec spec, const GroupOptions& options);

  // Server side: `fds` is what came with the request, plan.fd_count of
  // them (group_from_request checks the count): the memfd, then one eventfd
  // per channel that has one, in table order. Every descriptor is closed on
  // failure. Throws Error.
  static std::unique_ptr<Group> adopt(GroupPlan plan, std::vector<UniqueFd> fds,
                                      const GroupOptions& options);

  Role role() const { return role_; }
  const GroupSpec& spec() const { return plan_.spec; }
  const std::vector<std::byte>& info() const { return plan_.spec.info; }
  size_t region_size() const { return region_->size(); }
  // The layout's cache line (the client's choice): every slot is aligned to it.
  uint32_t cacheline() const { return plan_.spec.cacheline; }

  // The request bytes and the descriptors to send with them (still owned by
  // the group and its channels).
  std::vector<std::byte> request() const { return encode_request(plan_.spec); }
  std::vector<int> fds() const;

  // This side's channels: a client produces spec().client_produces, a server
  // spec().client_consumes.
  size_t producer_count() const { return producers_.size(); }
  size_t consumer_count() const { return consumers_.size(); }
  const ChannelSpec& producer_spec(size_t i) const;
  const ChannelSpec& consumer_spec(size_t i) const;

  // Hands over channel i; null if it was taken already.
  std::unique_ptr<Producer> take_producer(size_t i) { return std::move(producers_.at(i)); }
  std::unique_ptr<Consumer> take_consumer(size_t i) { return std::move(consumers_.at(i)); }

  // The peer's process, when a handshake told us (SO_PEERCRED); else 0.
  pid_t peer_pid() const { return peer_ ? peer_->pid() : 0; }
  // The peer, or null when no handshake told us.
  const std::shared_ptr<Peer>& peer() const { return peer_; }
  // Shares `peer` with the group and every channel still in it; called by
  // the handshake before any channel is taken out.
  void set_peer(std::shared_ptr<Peer> peer);
  // The socket the handshake went through, for the statistics page; called
  // before any channel is taken out.
  void set_socket_path(const std::string& path);

 private:
  void add_stats();
  Group(Role role, GroupPlan plan, std::shared_ptr<Region> region,
        std::vector<std::shared_ptr<EventFd>> eventfds, const GroupOptions& options);

  Role role_;
  GroupPlan plan_;
  std::shared_ptr<Region> region_;
  std::vector<std::shared_ptr<EventFd>> eventfds_;  // table order, null where none
  std::vector<std::unique_ptr<Producer>> producers_;
  std::vector<std::unique_ptr<Consumer>> consumers_;
  std::shared_ptr<Peer> peer_;
  StatsRecord stats_;
};

}  // namespace rtipc
