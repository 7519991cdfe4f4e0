// Per-channel notification (PROTOCOL.md §8): an eventfd in semaphore mode,
// shared by the two processes.
//
// The descriptor's open file description is shared with the peer too, and
// with it O_NONBLOCK: the peer can clear the flag at any time. Nothing here
// depends on it; every read and write is non-blocking on its own terms.
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

  // Adds one count unless the counter is full: a full counter already
  // guarantees a wake-up. Never waits, whatever the file's flags. Returns 0
  // or -errno.
  int signal() const;

  // Takes one count if there is one, never waiting whatever the file's
  // flags. Returns 1 when a count was taken, 0 when none was there, or
  // -errno.
  int take() const;

 private:
  explicit EventFd(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace rtipc
