#include "server.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "log.hpp"
#include "refusal.hpp"

namespace rtipc {
namespace {

constexpr int32_t kAccepted = 0;

std::string describe(const PeerCredentials& peer) {
  return fmt::format("client pid {} (uid {}, gid {})", peer.pid, peer.uid, peer.gid);
}

// Waits for the request and receives it; its descriptors come owned.
ReceivedMessage receive_request(int sock, int timeout_ms, std::span<std::byte> buffer) {
  if (!wait_for(sock, POLLIN, Deadline(timeout_ms)))
    fail(-EPROTO, "sent no request {}",
         timeout_ms > 0 ? fmt::format("within {} ms", timeout_ms) : "in time");
  ReceivedMessage message = receive_message(sock, buffer);
  if (message.size == 0 && message.fds.empty())
    fail(-ECONNABORTED, "hung up (or sent an empty message) without a request");
  return message;
}

// lstat's identity of path, or false when there is nothing there.
bool same_file(const std::string& path, dev_t dev, ino_t ino) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev &&
         st.st_ino == ino;
}

// Whether a server answers at path (which is a socket file). A refused
// connection means nobody listens: the file is stale. Non-blocking, so that
// a live server with a full backlog cannot hold us.
bool someone_listens(const sockaddr_un& addr) {
  UniqueFd probe = seqpacket_socket(true);
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0)
    return true;
  return errno != ECONNREFUSED;
}

// path exists. Fails unless it is a socket file nobody listens on; then
// replaces it: with `with` (a listening socket's file) when given, else by
// removing it.
void replace_stale(const std::string& path, const sockaddr_un& addr, const std::string& with = {}) {
  struct stat st;
  if (::lstat(path.c_str(), &st) < 0) fail_errno("lstat " + path);
  if (!S_ISSOCK(st.st_mode)) fail(-EEXIST, "{} exists and is not a socket; left alone", path);
  if (someone_listens(addr)) fail(-EADDRINUSE, "a server already listens on {}", path);
  log(LogLevel::kInfo, "replacing stale socket file {}", path);
  if (!with.empty()) {
    if (::rename(with.c_str(), path.c_str()) < 0) fail_errno("rename onto " + path);
  } else if (::unlink(path.c_str()) < 0 && errno != ENOENT) {
    fail_errno("unlink stale " + path);
  }
}

}  // namespace

std::unique_ptr<Group> group_from_request(std::span<const std::byte> request,
                                          std::vector<UniqueFd> fds, const ServerOptions& options,
                                          const PeerCredentials& peer) {
  GroupPlan plan = decode_request(request);
  // Before mapping or writing anything (the existing servers map first and
  // write the chains of a peer they may then reject; docs/protocol.md §10), and
  // before the filter, which may then trust the sizes it sees.
  check_limits(plan, options.group, options.limits);
  if (fds.size() != plan.fd_count)
    fail(-EBADMSG, "request came with {} descriptors, its table needs {}", fds.size(),
         plan.fd_count);
  if (options.filter && !options.filter(Proposal{plan.spec, peer, plan.region_size}))
    fail(-kErrRejected, "rejected by the filter");
  return Group::adopt(std::move(plan), std::move(fds), options.group);
}

std::unique_ptr<Group> serve_handshake(int sock, int timeout_ms, std::span<std::byte> buffer,
                                       const ServerOptions& options) {
  PeerCredentials peer;
  try {
    peer = peer_credentials(sock);
    // Now, while the client is surely there: a pidfd names the very process
    // the credentials name.
    auto process = Peer::from_socket(sock, peer.pid);
    ReceivedMessage message = receive_request(sock, timeout_ms, buffer);
    auto group =
        group_from_request(buffer.first(message.size), std::move(message.fds), options, peer);
    group->set_peer(std::move(process));
    if (const int r = send_reply(sock, kAccepted); r < 0)
      fail(r, "could not send the reply, dropping the group: {}", std::strerror(-r));
    return group;
  } catch (const ClientRejected&) {
    throw;
  } catch (const Error& e) {
    send_reply(sock, refusal_answer(e.code()));  // best effort: the peer may be gone
    // A signal is the caller's business, not the client's fault.
    if (e.code() == -EINTR) throw;
    throw ClientRejected(e.code(), describe(peer) + ": " + e.what());
  } catch (const std::bad_alloc&) {
    send_reply(sock, refusal_answer(-ENOMEM));
    throw ClientRejected(-ENOMEM, describe(peer) + ": out of memory");
  }
}

std::unique_ptr<Server> Server::listen(const std::string& path, int backlog, mode_t mode,
                                       ServerOptions options) {
  if (mode & ~mode_t{07777}) fail(-EINVAL, "socket file mode {:#o} has bits beyond 07777", mode);
  const sockaddr_un addr = unix_address(path);
  UniqueFd fd = seqpacket_socket(true);  // accept() must never block past its timeout

  // Listen under a temporary name first and then give the socket its real
  // name: a client that finds the file can always connect. (Bound directly,
  // the file would exist, refusing connections, until listen().)
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  const bool staged = temp.size() < sizeof addr.sun_path;
  const std::string& bound = staged ? temp : path;
  if (staged) ::unlink(temp.c_str());  // a leftover of an earlier process with our pid
  const sockaddr_un bound_addr = unix_address(bound);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&bound_addr), sizeof bound_addr) < 0) {
    if (staged || errno != EADDRINUSE) fail_errno("bind " + bound);
    replace_stale(path, addr);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0)
      fail_errno("bind " + path);
  }
  struct stat st;
  if (::lstat(bound.c_str(), &st) < 0) fail_errno("lstat " + bound);
  // The file is ours from here on; the destructor removes it if we fail.
  std::unique_ptr<Server> server(
      new Server(std::move(fd), bound, st.st_dev, st.st_ino, std::move(options)));
  // Before listen(), so that no client connects under the umask's bits.
  if (mode != 0 && ::chmod(bound.c_str(), mode) < 0) fail_errno("chmod " + bound);
  if (::listen(server->fd_.get(), backlog <= 0 ? SOMAXCONN : backlog) < 0)
    fail_errno("listen " + bound);
  if (staged) {
    // link() names it only if the path is free; a stale file is replaced by
    // rename(), both atomically.
    if (::link(temp.c_str(), path.c_str()) < 0) {
      if (errno != EEXIST) fail_errno("link " + path);
      replace_stale(path, addr, temp);
    }
    ::unlink(temp.c_str());
    server->path_ = path;
  }
  return server;
}

Server::Server(UniqueFd fd, std::string path, dev_t dev, ino_t ino, ServerOptions options)
    : fd_(std::move(fd)),
      path_(std::move(path)),
      dev_(dev),
      ino_(ino),
      creator_(::getpid()),
      options_(std::move(options)),
      buffer_(new std::byte[kRequestBufferSize]) {
  pending_.reserve(kMaxPendingConnections);
  timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!timer_) fail_errno("timerfd_create");
  ready_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!ready_) fail_errno("epoll_create1");
  for (int fd : {fd_.get(), timer_.get()}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    if (::epoll_ctl(ready_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) fail_errno("epoll_ctl");
  }
}

Server::~Server() {
  // Another server may have replaced a file we left behind; never remove
  // theirs.
  if (::getpid() == creator_ && same_file(path_, dev_, ino_)) ::unlink(path_.c_str());
}

std::unique_ptr<Group> Server::serve_pending(UniqueFd conn, const ServerOptions& options,
                                             bool* hung_up) {
  *hung_up = false;
  try {
    return serve_handshake(conn.get(), 0, {buffer_.get(), kRequestBufferSize}, options);
  } catch (const ClientRejected& e) {
    // A peer that connects and hangs up without a word made no handshake
    // attempt: it is what a liveness probe (such as listen() above, run
    // by another server) does. Wait for a real client.
    if (e.code() != -ECONNABORTED) throw;
    log(LogLevel::kDebug, "{}", e.what());
    *hung_up = true;
    return nullptr;
  }
}

void Server::add_pending(UniqueFd conn, int request_timeout_ms) {
  if (pending_.size() >= kMaxPendingConnections) {
    // The oldest has been silent longest: it goes, so that a stream of
    // silent connections cannot keep newer clients out.
    log(LogLevel::kInfo, "{} connections wait for their request; dropping the oldest",
        pending_.size());
    take_pending(0);
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  // Cannot fail short of memory; then the connection only waits unseen
  // until its request time runs out (the timer still fires).
  ::epoll_ctl(ready_.get(), EPOLL_CTL_ADD, conn.get(), &ev);
  pending_.push_back({std::move(conn), Deadline(request_timeout_ms)});
}

UniqueFd Server::take_pending(size_t i) {
  UniqueFd conn = std::move(pending_[i].fd);
  pending_.erase(pending_.begin() + static_cast<ptrdiff_t>(i));
  ::epoll_ctl(ready_.get(), EPOLL_CTL_DEL, conn.get(), nullptr);
  return conn;
}

int Server::first_request_ms() const {
  int first_ms = -1;
  for (const Pending& p : pending_) {
    const int left = p.request_deadline.poll_ms();
    if (left >= 0 && (first_ms < 0 || left < first_ms)) first_ms = left;
  }
  return first_ms;
}

void Server::arm_request_timer() noexcept {
  const int first_ms = first_request_ms();
  itimerspec t{};  // all zero: stopped
  if (first_ms >= 0) {
    t.it_value.tv_sec = first_ms / 1000;
    t.it_value.tv_nsec = (first_ms % 1000) * 1000000L + 1;  // 0 would stop it
  }
  ::timerfd_settime(timer_.get(), 0, &t, nullptr);
}

std::unique_ptr<Group> Server::accept(int timeout_ms, const ServerOptions& options) {
  const Deadline deadline(timeout_ms);
  // However the call ends, fd() shows the table's next request deadline.
  struct Rearm {
    Server* server;
    ~Rearm() { server->arm_request_timer(); }
  } rearm{this};
  uint64_t expirations;
  [[maybe_unused]] ssize_t n = ::read(timer_.get(), &expirations, sizeof expirations);
  // Sized when the server was made: the loop allocates nothing of its own,
  // so that running out of memory costs only the client being served.
  std::array<pollfd, kMaxPendingConnections + 1>& fds = poll_fds_;
  for (bool first = true;; first = false) {
    // poll() reports a waiting connection even with no time left, so under
    // a stream of connections only this check ends the call on time.
    if (!first && deadline.expired()) fail(-ETIMEDOUT, "no client within {} ms", timeout_ms);

    // Connections whose request time is up are answered now (serve
    // rejects them with -EPROTO unless the request just came).
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (!pending_[i].request_deadline.expired()) continue;
      UniqueFd conn = take_pending(i--);
      bool hung_up;
      if (auto group = serve_pending(std::move(conn), options, &hung_up)) return group;
    }

    // Wait for a new connection or a request on any pending one, until our
    // deadline or the first request deadline.
    size_t nfds = 0;
    fds[nfds++] = {fd_.get(), POLLIN, 0};
    for (const Pending& p : pending_) fds[nfds++] = {p.fd.get(), POLLIN, 0};
    int wait_ms = deadline.poll_ms();
    if (const int first = first_request_ms(); first >= 0 && (wait_ms < 0 || first < wait_ms))
      wait_ms = first;
    if (::poll(fds.data(), nfds, wait_ms) < 0) {
      if (errno == EINTR) fail(-EINTR, "accept on {}: interrupted by a signal", path_);
      fail_errno("poll on " + path_);
    }

    // The oldest request first; the others wait for the next round (or
    // call). Whoever sent a request is served at once, so a silent
    // connection holds nobody.
    bool served = false;
    for (size_t i = 1; i < nfds && !served; ++i) {
      if (!fds[i].revents) continue;
      UniqueFd conn = take_pending(i - 1);
      bool hung_up;
      if (auto group = serve_pending(std::move(conn), options, &hung_up)) return group;
      served = true;
    }
    if (served || !(fds[0].revents & POLLIN)) continue;

    UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) {
      // Gone before we got to it, or taken by another process sharing the
      // socket: wait for the next. (Non-blocking: a signal cannot land here.)
      if (errno == EAGAIN || errno == ECONNABORTED) continue;
      fail_errno("accept on " + path_);
    }
    // A client that sent its request before we took it is served now; the
    // others join the table (and fd(), so accept(0)'s callers wake for
    // their requests).
    if (wait_for(conn.get(), POLLIN, Deadline(0))) {
      bool hung_up;
      if (auto group = serve_pending(std::move(conn), options, &hung_up)) return group;
      continue;
    }
    add_pending(std::move(conn), options.request_timeout_ms);
  }
}

}  // namespace rtipc
