// The handshake's transport (docs/protocol.md §2, §4): Unix SOCK_SEQPACKET
// sockets, one message with SCM_RIGHTS descriptors each way, every wait
// bounded by a deadline. Every descriptor made or received here is
// close-on-exec.
#pragma once

#include <sys/types.h>
#include <sys/un.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "deadline.hpp"
#include "fd.hpp"

namespace rtipc {

// The kernel's limit on descriptors in one SCM_RIGHTS message (SCM_MAX_FD).
inline constexpr size_t kMaxSocketFds = 253;

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

// What a group built without a socket knows of its peer: nothing.
inline PeerCredentials unknown_peer() {
  return {0, static_cast<uid_t>(-1), static_cast<gid_t>(-1)};
}

// An AF_UNIX SOCK_SEQPACKET socket, close-on-exec (and non-blocking if asked).
UniqueFd seqpacket_socket(bool nonblocking);

// Fills a sockaddr_un for path; throws Error(-ENAMETOOLONG) when it does not
// fit, Error(-EINVAL) when it is empty.
sockaddr_un unix_address(const std::string& path);

// Waits until fd has one of `events` (or an error/hang-up) or the deadline
// passes. Returns false on timeout; throws Error(-EINTR) when a signal
// handler ran, Error on failure.
bool wait_for(int fd, short events, const Deadline& deadline);

// SO_PEERCRED of a connected socket.
PeerCredentials peer_credentials(int sock);

// Sends one message with `fds` attached (none when empty), without SIGPIPE.
// Waits for room until the deadline: throws Error(-ETIMEDOUT) then, and
// Error(-errno) on failure.
void send_message(int sock, std::span<const std::byte> bytes, std::span<const int> fds,
                  const Deadline& deadline);

// Sends the 4-byte reply without blocking and without SIGPIPE. Returns 0 or
// -errno.
int send_reply(int sock, int32_t value);

struct ReceivedMessage {
  size_t size = 0;  // bytes in the buffer; 0 means the peer closed
  std::vector<UniqueFd> fds;
};

// Receives one message that is waiting already (call wait_for() first) into
// `buffer`, with up to 1 + kMaxChannels descriptors. Throws Error(-EBADMSG)
// when the message did not fit (MSG_TRUNC) or is longer than
// kMaxRequestSize, Error(-EMFILE) when its
// descriptors could not all be installed (MSG_CTRUNC: the process is out of
// descriptors), in both cases after closing every descriptor that did
// arrive; Error(-errno) on failure.
ReceivedMessage receive_message(int sock, std::span<std::byte> buffer);

}  // namespace rtipc
