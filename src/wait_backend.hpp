// The kernel side of a Waitset, and of Consumer::wait: registrations of
// descriptors under 64-bit tokens, and a sleep that reports which tokens
// fired. epoll and io_uring implement it; the Waitset above keeps the
// entries and the rules.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace rtipc {

// What fired: a registration's token and poll(2) bits.
struct RawEvent {
  uint64_t token;
  uint32_t revents;
};

class WaitBackend {
 public:
  virtual ~WaitBackend() = default;

  // A descriptor an outer event loop can watch: readable when sleep(0)
  // would report something.
  virtual int fd() const = 0;

  // Watches fd for events (POLLIN...) under token. edge: report each time
  // the file signals (an eventfd's new count) rather than while it is
  // ready. Throws Error. Safe from any thread, also while sleep() runs.
  virtual void add(uint64_t token, int fd, uint32_t events, bool edge) = 0;
  // Stops watching; a sleep running meanwhile may still report the token.
  // Never fails. Safe from any thread.
  virtual void remove(uint64_t token, int fd) = 0;

  // Waits up to timeout_ms (-1: no limit, 0: just look) for any
  // registration to fire; fills up to max events and returns their count,
  // or -EINTR, -errno. One thread at a time; io_uring: the thread that
  // created the backend (-EPERM from any other).
  virtual int sleep(RawEvent* raw, int max, int timeout_ms) = 0;
};

std::unique_ptr<WaitBackend> make_epoll_backend();
// Throws Error(-ENOTSUP) where io_uring is not built or forbidden
// (RTIPC_NO_IO_URING), else Error(-errno) from the kernel; the error's
// message says which.
std::unique_ptr<WaitBackend> make_io_uring_backend();

}  // namespace rtipc
