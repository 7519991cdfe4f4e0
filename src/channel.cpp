#include "channel.hpp"

#include <poll.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "deadline.hpp"
#include "error.hpp"

namespace rtipc {
namespace {

// The tokens of the two descriptors a wait sleeps on.
constexpr uint64_t kEventFdToken = 0;
constexpr uint64_t kPeerToken = 1;
// Stale eventfd counts one wait() takes on entry: enough for a
// level-triggered poller of rtipc_consumer_fd() to see the descriptor go
// quiet after honest use, few enough that a flooded counter (a peer may
// pile up 2^64 - 2 counts) costs a bounded number of system calls per call.
constexpr uint32_t kStaleBatch = 4096;

}  // namespace

Channel::Channel(std::shared_ptr<Region> region, const ChannelLayout& layout,
                 std::shared_ptr<EventFd> eventfd, std::vector<std::byte> info)
    : region_(std::move(region)),
      layout_(layout),
      eventfd_(std::move(eventfd)),
      info_(std::move(info)) {}

QueueIndices Channel::indices() const {
  return QueueIndices(reinterpret_cast<uint32_t*>(region_->data() + layout_.offset), layout_.slots);
}

Producer::Producer(std::shared_ptr<Region> region, const ChannelLayout& layout,
                   std::shared_ptr<EventFd> eventfd, std::vector<std::byte> info, bool cache)
    : Channel(std::move(region), layout, std::move(eventfd), std::move(info)), queue_(indices()) {
  if (cache) {
    const size_t align = msg_align();
    cache_ = std::unique_ptr<std::byte[], AlignedDelete>(
        new (std::align_val_t{align}) std::byte[layout_.msg_size](), AlignedDelete{align});
  }
}

void Producer::AlignedDelete::operator()(std::byte* p) const {
  ::operator delete[](p, std::align_val_t{align});
}

PushResult Producer::push(bool force) {
  if (cache_) std::memcpy(slot(queue_.current()), cache_.get(), layout_.msg_size);
  const PushResult r = force ? queue_.force_push() : queue_.try_push();
  if (counters_) count_push(*counters_, r);
  if (eventfd_ && (r == PushResult::kPublished || r == PushResult::kDiscarded)) {
    if (counters_) count_event(*counters_, &rtipc_stats_counters::wakeups);
    if (notify_)
      notify_->signal(*eventfd_);
    else
      eventfd_->signal();
  }
  return r;
}

Consumer::Consumer(std::shared_ptr<Region> region, const ChannelLayout& layout,
                   std::shared_ptr<EventFd> eventfd, std::vector<std::byte> info)
    : Channel(std::move(region), layout, std::move(eventfd), std::move(info)), queue_(indices()) {}

int Consumer::open_sleeper() {
  try {
    std::unique_ptr<WaitBackend> sleeper = make_epoll_backend();
    // Edge-triggered: a wake-up for every count the producer adds, none for
    // counts that are there already, however many (a peer may pile up 2^64).
    sleeper->add(kEventFdToken, eventfd_->fd(), POLLIN, true);
    // Level-triggered: once the peer is gone, every wait sees it.
    if (peer_ && peer_->fd() >= 0) sleeper->add(kPeerToken, peer_->fd(), POLLIN, false);
    sleeper_ = std::move(sleeper);
    return 0;
  } catch (const Error& e) {
    return e.code();
  } catch (const std::bad_alloc&) {
    return -ENOMEM;
  }
}

int Consumer::wait(int timeout_ms) {
  if (queue_.has_news()) return 1;
  const int64_t start = monotonic_ns();
  const Deadline deadline(timeout_ms, start);
  // Never spin past the caller's timeout: 0 means "just check".
  if (spin_ns_ > 0 &&
      spin_until(deadline.cap_ns(start + spin_ns_), [this] { return queue_.has_news(); }))
    return 1;
  if (!eventfd_) return -ENOTSUP;
  if (!sleeper_)
    if (const int r = open_sleeper(); r < 0) return r;
  for (uint32_t batch = kStaleBatch;; batch = 1) {
    // Counts before the queue: the producer signals after it publishes, so
    // a count belongs to a message we are about to see or is stale (its
    // message was popped without waiting). Up to a batch on entry, then one
    // per wake-up, so that a peer waking us with single counts gets one
    // read each; the rest of a flood is left alone (the edge-triggered
    // registration sleeps through it).
    for (uint32_t i = 0; i < batch; ++i) {
      const int taken = eventfd_->take();
      if (taken < 0) return taken;
      if (taken == 0) break;
    }
    if (queue_.has_news()) return 1;

    const int wait_ms = deadline.poll_ms();
    RawEvent events[2];
    if (counters_ && wait_ms != 0) count_event(*counters_, &rtipc_stats_counters::waits);
    const int r = sleeper_->sleep(events, 2, wait_ms);
    if (r < 0) return r;  // -EINTR included: a signal handler ran
    for (int i = 0; i < r; ++i) {
      if (counters_ && events[i].token == kEventFdToken)
        count_event(*counters_, &rtipc_stats_counters::wakeups);
      // What the peer published before it went is still delivered.
      if (events[i].token == kPeerToken) return queue_.has_news() ? 1 : -EPIPE;
      if (events[i].revents & POLLERR) return -EIO;
    }
    if (wait_ms == 0) return queue_.has_news() ? 1 : 0;
  }
}

}  // namespace rtipc
