#include "group.hpp"

#include <cerrno>

#include "error.hpp"

namespace rtipc {

std::unique_ptr<Group> Group::create(GroupSpec spec, const GroupOptions& options) {
  std::vector<ChannelLayout> layout;
  const size_t size = spec.layout(&layout);
  for (size_t i = 0; i < spec.channel_count(); ++i) {
    if (spec.channel(i).info.size() > kMaxInfoSize)
      fail(-EINVAL, "channel {}: info of {} bytes exceeds the limit of {}", i,
           spec.channel(i).info.size(), kMaxInfoSize);
  }
  if (spec.info.size() > kMaxInfoSize)
    fail(-EINVAL, "group info of {} bytes exceeds the limit of {}", spec.info.size(),
         kMaxInfoSize);
  // A group whose request no server can receive is refused now, not at
  // connect time.
  if (const uint64_t bytes = request_size(spec); bytes > kMaxRequestSize)
    fail(-EMSGSIZE, "the request would take {} bytes, more than the limit of {}", bytes,
         kMaxRequestSize);

  auto region = Region::create(size, options.region);
  for (const ChannelLayout& l : layout)
    QueueIndices(reinterpret_cast<uint32_t*>(region->data() + l.offset), l.slots)
        .reset_head_and_tail();
  std::vector<std::shared_ptr<EventFd>> eventfds;
  for (size_t i = 0; i < spec.channel_count(); ++i)
    eventfds.push_back(spec.channel(i).eventfd ? EventFd::create() : nullptr);
  return std::unique_ptr<Group>(
      new Group(Role::kClient, std::move(spec), std::move(region), std::move(eventfds), options));
}

std::unique_ptr<Group> Group::adopt(GroupSpec spec, std::vector<UniqueFd> fds,
                                    const GroupOptions& options) {
  const size_t want = 1 + spec.eventfd_count();
  if (fds.size() != want)
    fail(-EBADMSG, "request came with {} descriptors, its table needs {}", fds.size(), want);
  std::vector<ChannelLayout> layout;
  const size_t size = spec.layout(&layout);

  // Check every eventfd before mapping anything: a rejected peer's region
  // stays untouched.
  std::vector<std::shared_ptr<EventFd>> eventfds;
  size_t next_fd = 1;
  for (size_t i = 0; i < spec.channel_count(); ++i)
    eventfds.push_back(spec.channel(i).eventfd ? EventFd::adopt(std::move(fds[next_fd++]))
                                               : nullptr);
  auto region = Region::adopt(std::move(fds[0]), size, options.region);
  return std::unique_ptr<Group>(
      new Group(Role::kServer, std::move(spec), std::move(region), std::move(eventfds), options));
}

Group::Group(Role role, GroupSpec spec, std::shared_ptr<Region> region,
             std::vector<std::shared_ptr<EventFd>> eventfds, const GroupOptions& options)
    : role_(role), spec_(std::move(spec)), region_(std::move(region)), eventfds_(std::move(eventfds)) {
  std::vector<ChannelLayout> layout;
  spec_.layout(&layout);
  const size_t a = spec_.client_produces.size();
  for (size_t i = 0; i < spec_.channel_count(); ++i) {
    const bool produced_here = (i < a) == (role_ == Role::kClient);
    const ChannelSpec& c = spec_.channel(i);
    if (produced_here)
      producers_.push_back(std::make_unique<Producer>(region_, layout[i], eventfds_[i], c.info,
                                                      options.producer_cache));
    else
      consumers_.push_back(std::make_unique<Consumer>(region_, layout[i], eventfds_[i], c.info));
  }
}

void Group::set_peer(std::shared_ptr<Peer> peer) {
  for (auto& p : producers_)
    if (p) p->set_peer(peer);
  for (auto& c : consumers_)
    if (c) c->set_peer(peer);
  peer_ = std::move(peer);
}

std::vector<int> Group::fds() const {
  std::vector<int> out{region_->fd()};
  for (const auto& e : eventfds_)
    if (e) out.push_back(e->fd());
  return out;
}

const ChannelSpec& Group::producer_spec(size_t i) const {
  return role_ == Role::kClient ? spec_.client_produces.at(i) : spec_.client_consumes.at(i);
}

const ChannelSpec& Group::consumer_spec(size_t i) const {
  return role_ == Role::kClient ? spec_.client_consumes.at(i) : spec_.client_produces.at(i);
}

}  // namespace rtipc
