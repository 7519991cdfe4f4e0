#include "channel.hpp"

#include <poll.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "rtipc/version.h"

namespace rtipc {
namespace {

constexpr size_t kCacheAlign = RTIPC_CACHELINE_SIZE;

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
  if (eventfd_ && (r == PushResult::kPublished || r == PushResult::kDiscarded))
    eventfd_->signal();
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
  for (;;) {
    // Take a count before looking at the queue: the producer signals after it
    // publishes, so a count taken here either belongs to a message we are
    // about to see or is stale (its message was popped without waiting).
    // Taking stale counts keeps the descriptor from staying readable forever.
    const int taken = eventfd_->take();
    if (taken < 0) return taken;
    if (queue_.has_news()) return 1;
    if (taken == 1) continue;

    int wait_ms = -1;
    if (deadline >= 0) {
      const int64_t left = deadline - now_ns();
      if (left <= 0) return 0;
      wait_ms = static_cast<int>((left + 999'999) / 1'000'000);
    }
    pollfd pfd = {eventfd_->fd(), POLLIN, 0};
    const int r = ::poll(&pfd, 1, wait_ms);
    if (r < 0 && errno != EINTR) return -errno;
    if (r > 0 && (pfd.revents & (POLLERR | POLLNVAL))) return -EIO;
  }
}

}  // namespace rtipc
