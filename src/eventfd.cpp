#include "eventfd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>

#include <cerrno>
#include <cstdint>
#include <string>

#include "deadline.hpp"
#include "error.hpp"
#include "escape.hpp"
#include "eventfd_signal.hpp"
#include "log.hpp"

namespace rtipc {

std::shared_ptr<EventFd> EventFd::create() {
  UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_SEMAPHORE | EFD_NONBLOCK));
  if (!fd) fail_errno("eventfd");
  return std::shared_ptr<EventFd>(new EventFd(std::move(fd)));
}

std::shared_ptr<EventFd> EventFd::adopt(UniqueFd fd) {
  // The kernel names every eventfd so; nothing else carries this name.
  char target[64];
  const std::string link = "/proc/self/fd/" + std::to_string(fd.get());
  const ssize_t len = ::readlink(link.c_str(), target, sizeof target - 1);
  if (len < 0) fail_errno("readlink " + link);
  const std::string_view name(target, static_cast<size_t>(len));
  if (name != "anon_inode:[eventfd]")
    fail(-EBADF, "descriptor {} is not an eventfd ({})", fd.get(),
         escape_untrusted(name));  // a memfd's name is the peer's choice
  // docs/protocol.md §8 asks the client for EFD_NONBLOCK. Set it for the peers
  // that rely on it; we do not (the client can clear it again).
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) < 0)
    fail_errno("making the eventfd non-blocking");
  return std::shared_ptr<EventFd>(new EventFd(std::move(fd)));
}

bool EventFd::signals_never_wait() {
  return kernel_signal_available();
}

// Residual race without the kernel signal: a peer that clears O_NONBLOCK, keeps the
// counter full and moves it by one count (reads one, writes one back) wins
// whenever its write lands between our poll and our write, and our write
// then waits until somebody reads. It costs the peer a loop of ordinary
// reads and writes, nothing more. No flag closes it: pwritev2(RWF_NOWAIT)
// is refused for eventfds, and setting O_NONBLOCK before the write races
// with the peer as well.
int EventFd::signal() const {
  if (signals_never_wait()) return kernel_signal(fd_.get());
  const int revents = poll_now(fd_.get(), POLLOUT);
  if (revents < 0) return revents;
  if (revents == 0) return 0;  // full: the consumer has a wake-up coming already
  if (revents & (POLLERR | POLLNVAL)) return -EIO;
  const uint64_t one = 1;
  const ssize_t n = retry_eintr([&] { return ::write(fd_.get(), &one, sizeof one); });
  if (n == sizeof one) return 0;
  return n >= 0 || errno == EAGAIN ? 0 : -errno;
}

namespace {

// Whether preadv2(RWF_NOWAIT) works on eventfds here (Linux 5.x+ with
// FMODE_NOWAIT on eventfds); false once a kernel said it does not.
std::atomic<bool> nowait_reads{true};

// Reads one count without RWF_NOWAIT: poll(0) first, so an empty counter
// never gets to a read that could block. Residual race: a peer that reads
// the count between our poll and our read (it holds the descriptor) makes
// our read wait for the next count, if it has cleared O_NONBLOCK. Only
// kernels before 5.12 take this path.
int take_after_poll(int fd, uint64_t* count) {
  const int revents = poll_now(fd, POLLIN);
  if (revents <= 0) return revents;
  const ssize_t n = retry_eintr([&] { return ::read(fd, count, sizeof *count); });
  if (n == sizeof *count) return 1;
  return n >= 0 || errno == EAGAIN ? 0 : -errno;
}

}  // namespace

int EventFd::take() const {
  uint64_t count;
  if (nowait_reads.load(std::memory_order_relaxed)) {
    iovec iov = {&count, sizeof count};
    // RWF_NOWAIT: EAGAIN on an empty counter whatever O_NONBLOCK says.
    const ssize_t n = retry_eintr([&] { return ::preadv2(fd_.get(), &iov, 1, -1, RWF_NOWAIT); });
    if (n == sizeof count) return 1;
    if (n < 0 && errno == EAGAIN) return 0;
    if (n >= 0) return 0;
    if (errno != EOPNOTSUPP && errno != EINVAL) return -errno;
    nowait_reads.store(false, std::memory_order_relaxed);
  }
  return take_after_poll(fd_.get(), &count);
}

}  // namespace rtipc
