// Per-channel notification (docs/protocol.md §8): an eventfd in semaphore mode,
// shared by the two processes.
//
// The descriptor's open file description is shared with the peer too, and
// with it O_NONBLOCK: the peer can clear the flag at any time. Nothing here
// depends on it: reads use preadv2(RWF_NOWAIT), and signals have the
// kernel add the count through the thread's AIO context, which never waits
// (eventfd_signal.hpp). Only where that is missing do signals fall back to
// poll(2) and then write(2), which a peer can make block (see signal()).
//
// Thread rules: one thread at a time (the channel's end that owns it).
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

  EventFd(const EventFd&) = delete;
  EventFd& operator=(const EventFd&) = delete;

  int fd() const { return fd_.get(); }

  // Adds one count, through the thread's AIO context: one io_submit(2)
  // that never waits. Without it: poll(2), and write(2) unless the counter
  // is full (a full counter already guarantees a wake-up); there a peer
  // that keeps the counter full, clears O_NONBLOCK and moves the counter by
  // one count can win the window between the two calls and hold the write.
  // Returns 0 or -errno.
  int signal() const;

  // Takes one count if there is one, never waiting whatever the file's
  // flags (preadv2(RWF_NOWAIT), Linux 5.12+; before, poll(2) and read(2),
  // with the same window as signal()'s fallback). Returns 1 when a count
  // was taken, 0 when none was there, or -errno.
  int take() const;

  // Whether signal() on this thread never waits (sets the thread up on
  // first use). For tests and diagnostics.
  static bool signals_never_wait();

 private:
  explicit EventFd(UniqueFd fd) : fd_(std::move(fd)) {}

  UniqueFd fd_;
};

}  // namespace rtipc
