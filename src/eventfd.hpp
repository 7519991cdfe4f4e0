// Per-channel notification (docs/protocol.md §8): an eventfd in semaphore mode,
// shared by the two processes.
//
// The descriptor's open file description is shared with the peer too, and
// with it O_NONBLOCK: the peer can clear the flag at any time. Nothing here
// depends on it: reads use preadv2(RWF_NOWAIT), and writes (and reads where
// the kernel refuses RWF_NOWAIT) go through the calling thread's io_uring,
// which never runs them on that thread (eventfd_ring.hpp). Only where io_uring is not
// built, forbidden or refused do they fall back to poll(2) and then
// write(2)/read(2), which a peer can make block (see signal()).
//
// Thread rules: one thread at a time (the channel's end that owns it).
#pragma once

#include <memory>

#include "eventfd_ring.hpp"
#include "fd.hpp"

namespace rtipc {

class EventFd {
 public:
  // EFD_CLOEXEC | EFD_SEMAPHORE | EFD_NONBLOCK, count 0.
  static std::shared_ptr<EventFd> create();
  // Takes a descriptor from the peer; throws Error(-EBADF) unless it really is
  // an eventfd. The descriptor is closed on failure.
  static std::shared_ptr<EventFd> adopt(UniqueFd fd);

  // Waits up to kFlushMs for this thread's counts still on their way.
  ~EventFd();
  static constexpr int kFlushMs = 100;
  EventFd(const EventFd&) = delete;
  EventFd& operator=(const EventFd&) = delete;

  int fd() const { return fd_.get(); }

  // Adds one count, through the thread's ring (one io_uring_enter(2) that
  // never waits; while an earlier count is still on its way, one that only
  // collects completions). Without
  // the ring: poll(2), and write(2) unless the counter is full (a full
  // counter already guarantees a wake-up); there a peer that keeps the
  // counter full, clears O_NONBLOCK and moves the counter by one count can
  // win the window between the two calls and hold the write. Returns 0 or
  // -errno.
  int signal() const;

  // Takes one count if there is one, never waiting whatever the file's
  // flags (preadv2(RWF_NOWAIT); where the kernel refuses it, the thread's
  // ring's read, whose count shows at a later call). Returns 1 when a count
  // was taken, 0 when none was there, or -errno.
  int take() const;

  // Whether signal() (and take()'s fallback) go through the calling
  // thread's ring; sets it up on first use. For tests and diagnostics.
  static bool uses_ring();

  // Tests: act as on a kernel that refuses preadv2(RWF_NOWAIT) on eventfds
  // (process-wide).
  static void refuse_nowait_reads_for_testing(bool refuse);

 private:
  explicit EventFd(UniqueFd fd) : fd_(std::move(fd)), io_(std::make_shared<EventFdIo>(fd_.get())) {}

  UniqueFd fd_;
  std::shared_ptr<EventFdIo> io_;  // outlives us while a request of ours is in flight
};

}  // namespace rtipc
