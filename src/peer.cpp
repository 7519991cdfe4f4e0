#include "peer.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "deadline.hpp"
#include "error.hpp"
#include "log.hpp"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77  // Linux 6.5; older headers lack it
#endif

namespace rtipc {
namespace {

// Out of descriptors or memory: the setup fails rather than run blind.
bool out_of_resources(int err) {
  return err == EMFILE || err == ENFILE || err == ENOMEM;
}

int pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // always close-on-exec
#else
  errno = ENOSYS;
  return -1;
#endif
}

// Stands in for the pidfd of a peer that was gone before we could watch it:
// a counter that is never read stays readable.
UniqueFd already_exited() {
  UniqueFd fd(::eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd) fail_errno("eventfd for an exited peer");
  return fd;
}

}  // namespace

std::shared_ptr<Peer> Peer::from_pid(pid_t pid) {
  if (pid <= 0) {
    log(LogLevel::kDebug, "peer pid unknown: no exit notification");
    return std::shared_ptr<Peer>(new Peer(0, UniqueFd()));
  }
  UniqueFd fd(pidfd_open(pid));
  if (fd) return std::shared_ptr<Peer>(new Peer(pid, std::move(fd)));
  const int err = errno;
  if (out_of_resources(err)) fail(-err, "pidfd_open of peer {}: {}", pid, std::strerror(err));
  if (err == ESRCH) {
    log(LogLevel::kWarning, "peer {} exited during the handshake", pid);
    return std::shared_ptr<Peer>(new Peer(pid, already_exited()));
  }
  log(LogLevel::kDebug, "pidfd_open of peer {}: {}; no exit notification", pid, std::strerror(err));
  return std::shared_ptr<Peer>(new Peer(pid, UniqueFd()));
}

std::shared_ptr<Peer> Peer::from_socket(int sock, pid_t pid) {
  int raw = -1;
  socklen_t len = sizeof raw;
  if (::getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &raw, &len) == 0 && raw >= 0) {
    UniqueFd fd(raw);  // close-on-exec, as every pidfd the kernel hands out
    return std::shared_ptr<Peer>(new Peer(pid, std::move(fd)));
  }
  const int err = errno;
  if (out_of_resources(err)) fail(-err, "getsockopt(SO_PEERPIDFD): {}", std::strerror(err));
  // The socket knows the peer, but the peer has no process any more (6.5+
  // says EINVAL or ESRCH). Opening its pid now could catch a newcomer.
  if (err == ESRCH || err == EINVAL) {
    log(LogLevel::kWarning, "peer {} exited during the handshake", pid);
    return std::shared_ptr<Peer>(new Peer(pid, already_exited()));
  }
  return from_pid(pid);  // an older kernel: ENOPROTOOPT
}

int Peer::alive() const {
  if (!fd_) return -ENOTSUP;
  const int r = poll_now(fd_.get(), POLLIN);
  if (r < 0) return r;
  return r == 0 ? 1 : 0;
}

}  // namespace rtipc
