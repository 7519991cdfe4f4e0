// Time and polling, once for the whole library: the clock every wait
// measures with, a deadline built from a caller's timeout_ms, and the EINTR
// policy.
//
// EINTR (docs/bindings.md): a call that blocks on the caller's behalf (a
// consumer's or waitset's wait, accept, connect, a handshake) returns
// -EINTR when a signal handler ran, and the caller decides. A call that
// never blocks (poll with timeout 0, a non-blocking read or write) is
// retried instead: the signal was not meant for it.
//
// Thread rules: none; a Deadline is a value.
#pragma once

#include <cerrno>
#include <cstdint>

namespace rtipc {

// CLOCK_MONOTONIC in ns, through the vDSO: no system call.
int64_t monotonic_ns();

// A point on monotonic_ns()'s scale after which waits give up; built from a
// timeout in ms, where a negative timeout never expires.
class Deadline {
 public:
  explicit Deadline(int timeout_ms) : Deadline(timeout_ms, monotonic_ns()) {}
  // Counted from start_ns (a monotonic_ns() the caller has read already).
  Deadline(int timeout_ms, int64_t start_ns)
      : end_ns_(timeout_ms < 0 ? -1 : start_ns + int64_t{timeout_ms} * 1'000'000) {}

  // What is left for poll(2) or epoll_wait(2): -1 (no limit) or >= 0 ms,
  // rounded up so that a sleep never ends before the deadline.
  int poll_ms() const;
  bool expired() const { return poll_ms() == 0; }
  // The earlier of t and the deadline.
  int64_t cap_ns(int64_t t) const { return end_ns_ >= 0 && end_ns_ < t ? end_ns_ : t; }

 private:
  int64_t end_ns_;  // < 0: no limit
};

// A relative timeout of timeout_ms >= 0 as the kernel's timespec (io_uring's
// __kernel_timespec).
template <typename Timespec>
Timespec timespec_of_ms(int timeout_ms) {
  return Timespec{timeout_ms / 1000, (timeout_ms % 1000) * 1'000'000LL};
}

// Busy-waits until ready() says yes or monotonic_ns() reaches end_ns;
// returns what ready() said last.
template <typename Ready>
bool spin_until(int64_t end_ns, Ready ready) {
  while (monotonic_ns() < end_ns)
    if (ready()) return true;
  return false;
}

// Runs a call that never blocks until it fails with something other than
// EINTR (see above). Returns its last result, errno as it left it.
template <typename Call>
auto retry_eintr(Call call) {
  decltype(call()) r;
  do {
    r = call();
  } while (r < 0 && errno == EINTR);
  return r;
}

// Looks at fd with poll(2) without waiting, EINTR retried: its revents (0:
// none of `events` and no error), or -errno.
int poll_now(int fd, short events);

}  // namespace rtipc
