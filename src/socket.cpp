#include "socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "layout.hpp"
#include "request.hpp"

namespace rtipc {
namespace {

constexpr size_t kMaxReceivedFds = 1 + kMaxChannels;

}  // namespace

UniqueFd seqpacket_socket(bool nonblocking) {
  UniqueFd fd(
      ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0));
  if (!fd) fail_errno("socket(AF_UNIX, SOCK_SEQPACKET)");
  return fd;
}

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty()) fail(-EINVAL, "empty socket path");
  if (path.size() >= sizeof addr.sun_path)
    fail(-ENAMETOOLONG, "socket path of {} bytes exceeds the limit of {}", path.size(),
         sizeof addr.sun_path - 1);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

bool wait_for(int fd, short events, const Deadline& deadline) {
  for (;;) {
    pollfd pfd = {fd, events, 0};
    const int r = ::poll(&pfd, 1, deadline.poll_ms());
    if (r > 0) {
      if (pfd.revents & POLLNVAL) fail(-EBADF, "descriptor {} is not open", fd);
      return true;  // ready, or an error/hang-up that the next call reports
    }
    if (r == 0) return false;
    if (errno == EINTR) fail(-EINTR, "interrupted by a signal");
    fail_errno("poll");
  }
}

PeerCredentials peer_credentials(int sock) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
    fail_errno("getsockopt(SO_PEERCRED)");
  return {cred.pid, cred.uid, cred.gid};
}

void send_message(int sock, std::span<const std::byte> bytes, std::span<const int> fds,
                  const Deadline& deadline) {
  if (fds.size() > kMaxSocketFds)
    fail(-EINVAL, "{} descriptors exceed the kernel's limit of {} per message", fds.size(),
         kMaxSocketFds);
  iovec iov = {const_cast<std::byte*>(bytes.data()), bytes.size()};
  alignas(cmsghdr) std::byte control[CMSG_SPACE(sizeof(int) * kMaxSocketFds)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    const ssize_t n =
        retry_eintr([&] { return ::sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT); });
    if (n >= 0) {
      // SOCK_SEQPACKET sends a message whole or not at all.
      if (static_cast<size_t>(n) != bytes.size())
        fail(-EIO, "sent {} of {} bytes of one message", n, bytes.size());
      return;
    }
    if (errno != EAGAIN) fail_errno("sendmsg");
    if (!wait_for(sock, POLLOUT, deadline)) fail(-ETIMEDOUT, "timed out sending the request");
  }
}

int send_reply(int sock, int32_t value) {
  const ssize_t n =
      retry_eintr([&] { return ::send(sock, &value, sizeof value, MSG_NOSIGNAL | MSG_DONTWAIT); });
  return n == sizeof value ? 0 : -errno;
}

ReceivedMessage receive_message(int sock, std::span<std::byte> buffer) {
  alignas(cmsghdr) std::byte control[CMSG_SPACE(sizeof(int) * kMaxReceivedFds)];
  iovec iov = {buffer.data(), buffer.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n =
      retry_eintr([&] { return ::recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC); });
  if (n < 0) fail_errno("recvmsg");

  // Own every descriptor before judging anything, so that each one is closed
  // on every path below.
  int raw[kMaxReceivedFds];
  size_t raw_count = 0;
  bool foreign_control = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
      foreign_control = true;
      continue;
    }
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count && raw_count < kMaxReceivedFds; ++i)
      std::memcpy(&raw[raw_count++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
  }
  ReceivedMessage out;
  out.size = static_cast<size_t>(n);
  try {
    out.fds.reserve(raw_count);
  } catch (...) {
    for (size_t i = 0; i < raw_count; ++i) ::close(raw[i]);
    throw;
  }
  for (size_t i = 0; i < raw_count; ++i) out.fds.emplace_back(raw[i]);

  if ((msg.msg_flags & MSG_TRUNC) || out.size > kMaxRequestSize)
    fail(-EBADMSG, "request larger than the limit of {} bytes", kMaxRequestSize);
  // The control buffer holds more descriptors than the kernel passes in one
  // message, so a cut means they could not all be installed: out of
  // descriptors (RLIMIT_NOFILE), not a malformed request.
  static_assert(kMaxReceivedFds > kMaxSocketFds);
  if (msg.msg_flags & MSG_CTRUNC)
    fail(-EMFILE, "only {} of the request's descriptors could be received (out of descriptors?)",
         raw_count);
  if (foreign_control) fail(-EBADMSG, "request came with control data other than SCM_RIGHTS");
  return out;
}

}  // namespace rtipc
