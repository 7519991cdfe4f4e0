// The server side of the handshake (docs/protocol.md §2-5): a listening socket on
// a path, and the checks a client's request and descriptors go through
// before anything of theirs is mapped.
//
// Thread rules: one thread at a time per Server.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <array>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "error.hpp"
#include "group.hpp"
#include "limits.hpp"
#include "request.hpp"
#include "socket.hpp"

namespace rtipc {

// What a filter judges: the client's proposal (in the client's terms), decoded
// and within the limits, with what it costs. The layout's cache line is
// spec.cacheline. Valid during the filter's call only.
struct Proposal {
  const GroupSpec& spec;
  const PeerCredentials& peer;  // pid 0, uid and gid (uid_t)-1 when unknown
  uint64_t region_size;
};

// Decides on a proposal before anything is mapped or written. Returns true
// to accept.
using Filter = std::function<bool(const Proposal&)>;

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

// A receive buffer one byte longer than any valid request, so that a longer
// one shows as such.
inline constexpr size_t kRequestBufferSize = kMaxRequestSize + 1;

// How a server takes a client's group.
struct ServerOptions {
  GroupOptions group;  // for every accepted group
  ServerLimits limits;
  Filter filter;                                      // null: accept whatever is within the limits
  int request_timeout_ms = kDefaultRequestTimeoutMs;  // -1: no limit
};

// Builds the server side of a group from request bytes and the descriptors
// that came with them, in this order: decode (-EBADMSG, -EINVAL), check
// the limits (-E2BIG) and the descriptor count (-EBADMSG), ask the filter
// with `peer` (-kErrRejected), adopt (-EBADF, -EPERM, -EINVAL). Closes
// every descriptor on failure. Throws Error. For rtipc_group_from_request
// (peer unknown: the default) and the handshake.
std::unique_ptr<Group> group_from_request(std::span<const std::byte> request,
                                          std::vector<UniqueFd> fds, const ServerOptions& options,
                                          const PeerCredentials& peer = unknown_peer());

// Runs the server side of one handshake on a connected socket: waits up to
// timeout_ms (-1: no limit) for the request, receives it into `buffer`
// (kRequestBufferSize bytes or more), builds the group as
// group_from_request does, records the client's process in it (Peer: pid
// and pidfd) and replies 0; on any failure replies the reason
// (refusal_answer: the code, -EACCES for -EPERM, -1 when it is no reason a
// client may learn) where the socket still allows it, closes every received descriptor and throws
// ClientRejected. Codes: as group_from_request, -EBADMSG also for a request
// longer than kMaxRequestSize, -EPROTO (no request within the timeout),
// -ECONNABORTED (the peer hung up without sending anything), -EPIPE and the
// like (the peer vanished before the reply). A signal handler that ran
// while it waited throws a plain Error(-EINTR) (the client got -1). Does
// not close sock.
std::unique_ptr<Group> serve_handshake(int sock, int timeout_ms, std::span<std::byte> buffer,
                                       const ServerOptions& options);

class Server {
 public:
  // Binds and listens on path (SOCK_SEQPACKET). An existing socket file that
  // refuses connections is stale and replaced; one with a live listener
  // fails with -EADDRINUSE; anything that is not a socket fails with -EEXIST
  // and is left alone. mode: permission bits for the socket file, 0 keeps
  // the umask's. backlog <= 0: SOMAXCONN. `options`: how accept(timeout_ms)
  // takes clients. Throws Error.
  static std::unique_ptr<Server> listen(const std::string& path, int backlog, mode_t mode,
                                        ServerOptions options = {});

  // Closes the socket and unlinks the path if it is still our socket file
  // and this is the process that created it (a forked copy only closes).
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Readable when accept(0) has something to do: a new connection, a
  // request on a waiting one, or a waiting one's request time run out (an
  // epoll set of the listening socket, the table and a timer). So callers
  // that sleep on it never wait in accept for a silent client.
  int fd() const { return ready_.get(); }
  const std::string& path() const { return path_; }
  const ServerOptions& options() const { return options_; }

  // Waits up to timeout_ms (-1: no limit; 0: only a client already
  // waiting) for a client's request and runs the handshake with it. One
  // deadline for the whole call. Connections that have not sent their
  // request yet wait in a table of up to kMaxPendingConnections, all
  // watched at once, and stay there across calls: each gets
  // options.request_timeout_ms from its connect, the first request to
  // arrive is served, so silent connections hold nobody up; when the table
  // is full the oldest is dropped. Peers that connect and hang up without
  // sending anything are skipped, however many. Throws Error(-ETIMEDOUT)
  // when no request came, Error(-EINTR) when a signal handler ran,
  // ClientRejected when a client failed (see serve_handshake; -EPROTO for
  // one whose request time ran out), and Error for failures of the
  // server's own (e.g. -EMFILE).
  std::unique_ptr<Group> accept(int timeout_ms, const ServerOptions& options);
  // The same with the options the server was made with.
  std::unique_ptr<Group> accept(int timeout_ms) { return accept(timeout_ms, options_); }

  // How many connections may wait for their request at once.
  static constexpr size_t kMaxPendingConnections = 16;
  size_t pending_connections() const { return pending_.size(); }

 private:
  Server(UniqueFd fd, std::string path, dev_t dev, ino_t ino, ServerOptions options);

  struct Pending {
    UniqueFd fd;
    Deadline request_deadline;
  };
  // Serves conn, whose request is there or whose time is up. Null when the
  // peer hung up without a word (*hung_up).
  std::unique_ptr<Group> serve_pending(UniqueFd conn, const ServerOptions& options, bool* hung_up);
  void add_pending(UniqueFd conn, int request_timeout_ms);
  UniqueFd take_pending(size_t i);
  // What is left of the first request deadline in the table, for poll():
  // -1 when the table is empty.
  int first_request_ms() const;
  // Arms the timer for the first request deadline in the table (or stops it).
  void arm_request_timer() noexcept;
  std::vector<Pending> pending_;  // oldest first; capacity reserved
  std::array<pollfd, kMaxPendingConnections + 1> poll_fds_;

  UniqueFd fd_;     // the listening socket
  UniqueFd timer_;  // fires at the first request deadline of the table
  UniqueFd ready_;  // epoll: fd_, every pending connection, timer_
  std::string path_;
  dev_t dev_;
  ino_t ino_;
  pid_t creator_;
  ServerOptions options_;
  std::unique_ptr<std::byte[]> buffer_;  // kRequestBufferSize, reused by every accept
};

}  // namespace rtipc
