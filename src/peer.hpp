// The process at the other end of a handshake, and whether it still runs.
//
// A pidfd tells that a process has exited without that process's help: it
// turns readable (POLLIN) once the peer is gone, however it went (SIGKILL
// included). The group and every channel taken out of it share one Peer, so
// it lives as long as the last of them.
//
// Thread rules: immutable after creation; alive() may be called from any
// thread.
#pragma once

#include <sys/types.h>

#include <memory>

#include "fd.hpp"

namespace rtipc {

class Peer {
 public:
  // The peer of a connected Unix socket whose SO_PEERCRED pid is `pid`.
  // Asks the socket for a pidfd (SO_PEERPIDFD, Linux 6.5+: race-free, it
  // names the very process the credentials name), else opens one for pid
  // (pidfd_open, Linux 5.3+), else has none. A peer already gone gets a
  // descriptor that is readable for good. Throws Error(-EMFILE, -ENFILE,
  // -ENOMEM) when the process has no room for the descriptor.
  static std::shared_ptr<Peer> from_socket(int sock, pid_t pid);

  // pidfd_open(pid) only, as above.
  static std::shared_ptr<Peer> from_pid(pid_t pid);

  pid_t pid() const { return pid_; }

  // Readable once the peer has exited, or -1 when the kernel gave us no way
  // to watch it.
  int fd() const { return fd_.get(); }

  // 1 while the peer runs, 0 once it has exited, -ENOTSUP without fd(),
  // -errno. One poll(2).
  int alive() const;

 private:
  Peer(pid_t pid, UniqueFd fd) : pid_(pid), fd_(std::move(fd)) {}

  pid_t pid_;
  UniqueFd fd_;
};

}  // namespace rtipc
