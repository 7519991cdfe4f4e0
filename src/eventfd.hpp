// Per-channel notification (PROTOCOL.md §8): an eventfd in semaphore,
// non-blocking mode, shared by the two processes.
#pragma once

#include <memory>

#include "fd.hpp"

namespace rtipc {

class EventFd {
 public:
  // EFD_CLOEXEC | EFD_SEMAPHORE | EFD_NONBLOCK, count 0.
  static std::shared_ptr<EventFd> create();
  // Takes a descriptor from the peer; throws Error(-EBADF) unless it really is
  // an eventfd. The descriptor is closed on failure.
  static std::shared_ptr<EventFd> adopt(UniqueFd fd);

  int fd() const { return fd_.get(); }

  // Adds one count. A full counter already guarantees a wake-up, so EAGAIN
  // is not an error. Returns 0 or -errno.
  int signal() const;

  // Takes one count if there is one, without blocking. Returns 1 when a count
  // was taken, 0 when none was there, or -errno.
  int take() const;

 private:
  explicit EventFd(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace rtipc
