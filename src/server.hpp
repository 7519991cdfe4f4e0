// The server side of the handshake (PROTOCOL.md §2-5): a listening socket on
// a path, and the checks a client's request and descriptors go through
// before anything of theirs is mapped.
//
// Thread rules: one thread at a time per Server.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <span>
#include <string>

#include "error.hpp"
#include "group.hpp"
#include "request.hpp"
#include "socket.hpp"

namespace rtipc {

// Decides on a client's proposal (in the client's terms) before anything is
// mapped or written. Returns true to accept.
using Filter = std::function<bool(const GroupSpec& proposal, const PeerCredentials& peer)>;

// A failure that concerns one client only (bad request, bad descriptors,
// filter said no, silent or vanished peer): the server itself is fine and
// ready for the next client. code() is what the accept call returns.
class ClientRejected : public Error {
 public:
  using Error::Error;
};

// The default bound on how long a connected client may take to send its
// request.
inline constexpr int kDefaultRequestTimeoutMs = 1000;

// Runs the server side of one handshake on a connected socket: waits up to
// request_timeout_ms (-1: no limit) for the request, receives it into
// `buffer` (kMaxRequestSize bytes), decodes and checks it, asks `filter`
// (null accepts), adopts the group, records the client's process in it
// (Peer: pid and pidfd) and replies 0; on any failure replies -1
// (where the socket still allows it), closes every received descriptor and
// throws ClientRejected. Codes: -RTIPC_EREJECTED (the filter), -EBADMSG,
// -EINVAL, -EBADF, -EPERM (request or descriptors), -EPROTO (no request
// within the timeout), -ECONNABORTED (the peer hung up without sending
// anything), -EPIPE and the like (the peer vanished before the reply).
// Does not close sock.
std::unique_ptr<Group> serve_handshake(int sock, int request_timeout_ms,
                                       std::span<std::byte> buffer, const Filter& filter,
                                       const GroupOptions& options);

class Server {
 public:
  // Binds and listens on path (SOCK_SEQPACKET). An existing socket file that
  // refuses connections is stale and replaced; one with a live listener
  // fails with -EADDRINUSE; anything that is not a socket fails with -EEXIST
  // and is left alone. mode: permission bits for the socket file, 0 keeps
  // the umask's. backlog <= 0: SOMAXCONN. Throws Error.
  static std::unique_ptr<Server> listen(const std::string& path, int backlog, mode_t mode);

  // Closes the socket and unlinks the path if it is still our socket file
  // and this is the process that created it (a forked copy only closes).
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

  // -1: no limit (a silent peer then holds accept() forever).
  void set_request_timeout(int timeout_ms) { request_timeout_ms_ = timeout_ms; }

  // Waits up to timeout_ms (-1: no limit) for a client and runs the
  // handshake with it. Throws Error(-ETIMEDOUT) when no client came,
  // ClientRejected when one came and failed (see serve_handshake; a peer
  // that hangs up without sending anything is skipped), and Error
  // for failures of the server's own (e.g. -EMFILE).
  std::unique_ptr<Group> accept(int timeout_ms, const Filter& filter, const GroupOptions& options);

 private:
  Server(UniqueFd fd, std::string path, dev_t dev, ino_t ino);

  UniqueFd fd_;
  std::string path_;
  dev_t dev_;
  ino_t ino_;
  pid_t creator_;
  int request_timeout_ms_ = kDefaultRequestTimeoutMs;
  std::unique_ptr<std::byte[]> buffer_;  // kMaxRequestSize, reused by every accept
};

}  // namespace rtipc
