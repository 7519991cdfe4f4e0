#include "client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "refusal.hpp"
#include "socket.hpp"

namespace rtipc {
namespace {

void handshake(int sock, Group& group, const Deadline& deadline) {
  // Before anything is sent: a failure here leaves the server untouched.
  auto peer = Peer::from_socket(sock, peer_credentials(sock).pid);
  const auto request = group.request();
  const auto fds = group.fds();
  send_message(sock, request, fds, deadline);

  if (!wait_for(sock, POLLIN, deadline)) fail(-ETIMEDOUT, "no answer from the server in time");
  // Room for more than the 4 bytes, so that a longer reply shows as such.
  std::byte reply[8];
  const ssize_t n = retry_eintr([&] { return ::recv(sock, reply, sizeof reply, MSG_DONTWAIT); });
  if (n < 0) {
    if (errno == ECONNRESET) fail(-ECONNRESET, "the server dropped the connection unanswered");
    fail_errno("receiving the server's answer");
  }
  int32_t value = -1;
  if (n == sizeof value) std::memcpy(&value, reply, sizeof value);
  if (n != sizeof value || value != 0) {
    if (n == 0) fail(-kErrRejected, "the server hung up without an answer");
    if (n != sizeof value) fail(-kErrRejected, "the server answered {} bytes, not 4", n);
    const int reason = refusal_from_answer(value);
    if (reason == -kErrRejected) fail(reason, "the server rejected the group (answer {})", value);
    fail(reason, "the server refused the group: {} (answer {})", std::strerror(-reason), value);
  }
  group.set_peer(std::move(peer));
}

// connect(2) on a Unix socket waits while the server's backlog is full; bound
// that wait with SO_SNDTIMEO (or O_NONBLOCK when no wait is allowed).
void connect_until(int sock, const sockaddr_un& addr, const Deadline& deadline,
                   const std::string& path) {
  const int ms = deadline.poll_ms();
  const int flags = ::fcntl(sock, F_GETFL);
  if (flags < 0) fail_errno("fcntl(F_GETFL)");
  if (ms == 0) {
    if (::fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0) fail_errno("fcntl(F_SETFL)");
  } else if (ms > 0) {
    const timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (::setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
      fail_errno("setsockopt(SO_SNDTIMEO)");
  }
  const int r = ::connect(sock, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  if (r < 0) {
    if (errno == EINTR) fail(-EINTR, "connect {}: interrupted by a signal", path);
    if (errno == EAGAIN || errno == EINPROGRESS)
      fail(-ETIMEDOUT, "connect {}: the server's backlog stayed full", path);
    fail_errno("connect " + path);
  }
  const timeval none = {0, 0};
  if (::fcntl(sock, F_SETFL, flags) < 0 ||
      ::setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none) < 0)
    fail_errno("restoring the socket's flags");
}

}  // namespace

void client_handshake(int sock, Group& group, int timeout_ms) {
  handshake(sock, group, Deadline(timeout_ms));
}

void client_connect(const std::string& path, Group& group, int timeout_ms) {
  const Deadline deadline(timeout_ms);
  const sockaddr_un addr = unix_address(path);
  UniqueFd sock = seqpacket_socket(false);
  connect_until(sock.get(), addr, deadline, path);
  handshake(sock.get(), group, deadline);
  group.set_socket_path(path);
}

}  // namespace rtipc
