#include "deadline.hpp"

#include <poll.h>
#include <time.h>

#include <limits>

namespace rtipc {

int64_t monotonic_ns() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

int Deadline::poll_ms() const {
  if (end_ns_ < 0) return -1;
  const int64_t left = end_ns_ - monotonic_ns();
  if (left <= 0) return 0;
  const int64_t ms = (left + 999'999) / 1'000'000;
  return ms > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max()
                                              : static_cast<int>(ms);
}

int poll_now(int fd, short events) {
  pollfd pfd = {fd, events, 0};
  const int r = retry_eintr([&] { return ::poll(&pfd, 1, 0); });
  if (r < 0) return -errno;
  return r == 0 ? 0 : pfd.revents;
}

}  // namespace rtipc
