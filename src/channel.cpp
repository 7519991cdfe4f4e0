#include "channel.hpp"

#include <poll.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "rtipc/version.h"

namespace rtipc {
namespace {

constexpr size_t kCacheAlign = kMaxCacheline;  // any layout's cache line
// Stale eventfd counts one wait() takes before it looks at its deadline and
// the peer again (rtipc.h promises the number).
constexpr uint32_t kStaleBatch = 4096;

int64_t now_ns() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: no system call
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

Channel::Channel(std::shared_ptr<Region> region, const ChannelLayout& layout,
                 std::shared_ptr<EventFd> eventfd, std::vector<std::byte> info)
    : region_(std::move(region)),
      layout_(layout),
      eventfd_(std::move(eventfd)),
      info_(std::move(info)) {}

QueueIndices Channel::indices() const {
  return QueueIndices(reinterpret_cast<uint32_t*>(region_->data() + layout_.offset),
                      layout_.slots);
}

Producer::Producer(std::shared_ptr<Region> region, const ChannelLayout& layout,
                   std::shared_ptr<EventFd> eventfd, std::vector<std::byte> info, bool cache)
    : Channel(std::move(region), layout, std::move(eventfd), std::move(info)),
      queue_(indices()) {
  if (cache)
    cache_.reset(new (std::align_val_t{kCacheAlign}) std::byte[layout_.msg_size]());
}

void Producer::AlignedDelete::operator()(std::byte* p) const {
  ::operator delete[](p, std::align_val_t{kCacheAlign});
}

PushResult Producer::push(bool force) {
  if (cache_) std::memcpy(slot(queue_.current()), cache_.get(), layout_.msg_size);
  const PushResult r = force ? queue_.force_push() : queue_.try_push();
  if (eventfd_ && (r == PushResult::kPublished || r == PushResult::kDiscarded)) {
    if (notify_)
      notify_->signal(*eventfd_);
    else
      eventfd_->signal();
  }
  return r;
}

Consumer::Consumer(std::shared_ptr<Region> region, const ChannelLayout& layout,
                   std::shared_ptr<EventFd> eventfd, std::vector<std::byte> info)
    : Channel(std::move(region), layout, std::move(eventfd), std::move(info)),
      queue_(indices()) {}

int Consumer::wait(int timeout_ms, long spin_ns) {
  if (queue_.has_news()) return 1;
  const int64_t start = now_ns();
  // Never spin past the caller's timeout: 0 means "just check".
  if (timeout_ms >= 0 && spin_ns > int64_t{timeout_ms} * 1'000'000)
    spin_ns = int64_t{timeout_ms} * 1'000'000;
  if (spin_ns > 0) {
    while (now_ns() - start < spin_ns)
      if (queue_.has_news()) return 1;
  }
  if (!eventfd_) return -ENOTSUP;
  const int64_t deadline = timeout_ms < 0 ? -1 : start + int64_t{timeout_ms} * 1'000'000;
  const int pidfd = peer_ ? peer_->fd() : -1;
  uint32_t stale = 0;
  for (;;) {
    // Take a count before looking at the queue: the producer signals after it
    // publishes, so a count taken here either belongs to a message we are
    // about to see or is stale (its message was popped without waiting).
    // Taking stale counts keeps the descriptor from staying readable forever.
    const int taken = eventfd_->take();
    if (taken < 0) return taken;
    if (queue_.has_news()) return 1;
    // Stale counts come one per read, and a hostile peer may pile up 2^64 of
    // them: after a batch, go through the poll below, which returns at once
    // while counts remain but also sees the deadline and the peer's exit.
    if (taken == 1 && ++stale % kStaleBatch != 0) continue;

    int wait_ms = -1;
    if (deadline >= 0) {
      const int64_t left = deadline - now_ns();
      wait_ms = left <= 0 ? 0 : static_cast<int>((left + 999'999) / 1'000'000);
    }
    pollfd pfd[2] = {{eventfd_->fd(), POLLIN, 0}, {pidfd, POLLIN, 0}};
    const int r = ::poll(pfd, pidfd >= 0 ? 2 : 1, wait_ms);
    if (r < 0 && errno != EINTR) return -errno;
    if (r > 0 && (pfd[0].revents & (POLLERR | POLLNVAL))) return -EIO;
    // What the peer published before it went is still delivered.
    if (r > 0 && pfd[1].revents) return queue_.has_news() ? 1 : -EPIPE;
    if (wait_ms == 0 && !(r > 0 && taken == 0)) return 0;
  }
}

}  // namespace rtipc
