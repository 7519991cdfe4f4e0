#include "group.hpp"

#include <sys/stat.h>

#include <cassert>

namespace rtipc {

std::unique_ptr<Group> Group::create(GroupSpec spec, const GroupOptions& options) {
  GroupPlan plan = plan_group(std::move(spec));
  auto region = Region::create(plan.region_size, options.region);
  for (const ChannelLayout& l : plan.layout)
    QueueIndices(reinterpret_cast<uint32_t*>(region->data() + l.offset), l.slots)
        .reset_head_and_tail();
  std::vector<std::shared_ptr<EventFd>> eventfds;
  for (size_t i = 0; i < plan.spec.channel_count(); ++i)
    eventfds.push_back(plan.spec.channel(i).eventfd ? EventFd::create() : nullptr);
  return std::unique_ptr<Group>(
      new Group(Role::kClient, std::move(plan), std::move(region), std::move(eventfds), options));
}

std::unique_ptr<Group> Group::adopt(GroupPlan plan, std::vector<UniqueFd> fds,
                                    const GroupOptions& options) {
  assert(fds.size() == plan.fd_count);
  // Check every eventfd before mapping anything: a rejected peer's region
  // stays untouched.
  std::vector<std::shared_ptr<EventFd>> eventfds;
  size_t next_fd = 1;
  for (size_t i = 0; i < plan.spec.channel_count(); ++i)
    eventfds.push_back(plan.spec.channel(i).eventfd ? EventFd::adopt(std::move(fds[next_fd++]))
                                                    : nullptr);
  auto region = Region::adopt(std::move(fds[0]), plan.region_size, options.region);
  return std::unique_ptr<Group>(
      new Group(Role::kServer, std::move(plan), std::move(region), std::move(eventfds), options));
}

Group::Group(Role role, GroupPlan plan, std::shared_ptr<Region> region,
             std::vector<std::shared_ptr<EventFd>> eventfds, const GroupOptions& options)
    : role_(role),
      plan_(std::move(plan)),
      region_(std::move(region)),
      eventfds_(std::move(eventfds)) {
  const GroupSpec& spec = plan_.spec;
  const size_t a = spec.client_produces.size();
  for (size_t i = 0; i < spec.channel_count(); ++i) {
    const bool produced_here = (i < a) == (role_ == Role::kClient);
    const ChannelSpec& c = spec.channel(i);
    if (produced_here)
      producers_.push_back(std::make_unique<Producer>(region_, plan_.layout[i], eventfds_[i],
                                                      c.info, options.producer_cache));
    else
      consumers_.push_back(
          std::make_unique<Consumer>(region_, plan_.layout[i], eventfds_[i], c.info));
  }
  if (stats_enabled()) add_stats();
}

void Group::add_stats() {
  struct stat st = {};
  (void)::fstat(region_->fd(), &st);
  const uint64_t serial = stats_next_serial();
  auto common = [&](rtipc_stats_record& r, uint32_t kind) {
    r.kind = kind;
    r.group_serial = serial;
    r.role = role_ == Role::kClient ? RTIPC_STATS_CLIENT : RTIPC_STATS_SERVER;
    r.cacheline = plan_.spec.cacheline;
    r.region_fd = region_->fd();
    r.region_ino = st.st_ino;
    r.region_size = region_->size();
  };
  stats_ = StatsRecord::add([&](rtipc_stats_record& r) {
    common(r, RTIPC_STATS_GROUP);
    r.msg_size = static_cast<uint32_t>(producers_.size());
    r.slots = static_cast<uint32_t>(consumers_.size());
    stats_copy_info(r, plan_.spec.info);
  });
  // The table index of this side's producer or consumer i.
  const size_t a = plan_.spec.client_produces.size();
  auto table_index = [&](bool producer, size_t i) {
    return producer == (role_ == Role::kClient) ? i : a + i;
  };
  auto add_channel = [&](Channel& ch, bool producer, size_t i) {
    const ChannelLayout& l = plan_.layout[table_index(producer, i)];
    ch.attach_stats(StatsRecord::add([&](rtipc_stats_record& r) {
      common(r, producer ? RTIPC_STATS_PRODUCER : RTIPC_STATS_CONSUMER);
      r.index = static_cast<uint32_t>(i);
      r.msg_size = static_cast<uint32_t>(ch.msg_size());
      r.slots = ch.slots();
      r.eventfd = ch.eventfd() >= 0;
      r.offset = l.offset;
      stats_copy_info(r, ch.info());
    }));
  };
  for (size_t i = 0; i < producers_.size(); ++i) add_channel(*producers_[i], true, i);
  for (size_t i = 0; i < consumers_.size(); ++i) add_channel(*consumers_[i], false, i);
}

void Group::set_socket_path(const std::string& path) {
  auto change = [&](rtipc_stats_record& r) { stats_copy_path(r, path); };
  stats_.update(change);
  for (auto& p : producers_)
    if (p) p->stats().update(change);
  for (auto& c : consumers_)
    if (c) c->stats().update(change);
}

void Group::set_peer(std::shared_ptr<Peer> peer) {
  const int32_t pid = peer ? peer->pid() : 0;
  auto change = [pid](rtipc_stats_record& r) { r.peer_pid = pid; };
  stats_.update(change);
  for (auto& p : producers_)
    if (p) {
      p->set_peer(peer);
      p->stats().update(change);
    }
  for (auto& c : consumers_)
    if (c) {
      c->set_peer(peer);
      c->stats().update(change);
    }
  peer_ = std::move(peer);
}

std::vector<int> Group::fds() const {
  std::vector<int> out{region_->fd()};
  for (const auto& e : eventfds_)
    if (e) out.push_back(e->fd());
  return out;
}

const ChannelSpec& Group::producer_spec(size_t i) const {
  return role_ == Role::kClient ? plan_.spec.client_produces.at(i)
                                : plan_.spec.client_consumes.at(i);
}

const ChannelSpec& Group::consumer_spec(size_t i) const {
  return role_ == Role::kClient ? plan_.spec.client_consumes.at(i)
                                : plan_.spec.client_produces.at(i);
}

}  // namespace rtipc
