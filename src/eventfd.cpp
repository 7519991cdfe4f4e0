#include "eventfd.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "error.hpp"

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
    fail(-EBADF, "descriptor {} is not an eventfd ({})", fd.get(), name);
  // PROTOCOL.md §8 asks the client for EFD_NONBLOCK; make sure of it, since a
  // read must never block the hot path's caller.
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) < 0)
    fail_errno("making the eventfd non-blocking");
  return std::shared_ptr<EventFd>(new EventFd(std::move(fd)));
}

int EventFd::signal() const {
  const uint64_t one = 1;
  if (::write(fd_.get(), &one, sizeof one) == sizeof one) return 0;
  return errno == EAGAIN ? 0 : -errno;
}

int EventFd::take() const {
  uint64_t count;
  if (::read(fd_.get(), &count, sizeof count) == sizeof count) return 1;
  return errno == EAGAIN ? 0 : -errno;
}

}  // namespace rtipc
