// The server's descriptor, as callers of accept(0) use it (the bindings, the
// bridge, any event loop): readable exactly when accept(0) has something to
// do, so that a silent connection never holds such a loop in accept. The
// clients run in a second process.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "../handshake/helpers.hpp"
#include "client.hpp"
#include "server.hpp"
#include "socket.hpp"

namespace rtipc {
namespace {

UniqueFd connect_to(const std::string& path) {
  UniqueFd s = seqpacket_socket(false);
  const sockaddr_un addr = unix_address(path);
  if (::connect(s.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    ADD_FAILURE() << "connect: " << std::strerror(errno);
  return s;
}

GroupSpec one_channel() {
  GroupSpec spec;
  spec.cacheline = 64;
  spec.client_produces.push_back({8, 2, false, {}});
  return spec;
}

bool readable(int fd, int timeout_ms) {
  pollfd p = {fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

// The code accept(0) ends with: 0 for a group, else the error's.
int accept_now(Server& server, const ServerOptions& options) {
  try {
    return server.accept(0, options) ? 0 : -EIO;
  } catch (const Error& e) {
    return e.code();
  }
}

class ServerFd : public testing::Test {
 protected:
  void SetUp() override {
    ::alarm(60);  // a watchdog: an accept(0) held by a silent client fails, never hangs
    server_ = Server::listen(path_, 0, 0);
  }
  void TearDown() override { ::alarm(0); }

  test::TempDir dir_;
  const std::string path_ = dir_.path("fd.sock");
  std::unique_ptr<Server> server_;
};

// A connection that sends nothing: accept(0) takes it into the table and
// returns at once (it used to wait out the request timeout, here 30 s, and
// fail with -EPROTO), and the descriptor then shows nothing more to do.
TEST_F(ServerFd, AcceptZeroDoesNotWaitForASilentClient) {
  ServerOptions options;
  options.request_timeout_ms = 30000;
  UniqueFd silent = connect_to(path_);
  ASSERT_TRUE(readable(server_->fd(), 10000));
  EXPECT_EQ(accept_now(*server_, options), -ETIMEDOUT);
  EXPECT_EQ(server_->pending_connections(), 1u);
  EXPECT_FALSE(readable(server_->fd(), 0));
}

// The request of a connection already in the table wakes the descriptor,
// and accept(0) serves it.
TEST_F(ServerFd, RequestOfAWaitingConnectionWakesIt) {
  ServerOptions options;
  options.request_timeout_ms = 30000;
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  const pid_t client = test::spawn([&] {
    ::close(go[1]);
    UniqueFd sock = connect_to(path_);
    char byte;
    if (::read(go[0], &byte, 1) != 1) return 2;
    auto group = Group::create(one_channel(), {});
    try {
      client_handshake(sock.get(), *group, 5000);
    } catch (const Error&) {
      return 1;
    }
    return 0;
  });
  ::close(go[0]);
  ASSERT_TRUE(readable(server_->fd(), 10000));
  EXPECT_EQ(accept_now(*server_, options), -ETIMEDOUT);  // connected, silent so far
  ASSERT_EQ(server_->pending_connections(), 1u);
  EXPECT_FALSE(readable(server_->fd(), 0));
  ASSERT_EQ(::write(go[1], "g", 1), 1);
  ::close(go[1]);
  ASSERT_TRUE(readable(server_->fd(), 10000)) << "the request did not wake the descriptor";
  EXPECT_EQ(accept_now(*server_, options), 0);
  EXPECT_EQ(server_->pending_connections(), 0u);
  EXPECT_EQ(test::reap(client), 0);
}

// A waiting connection whose request time runs out wakes the descriptor
// too, so that a loop sleeping on it refuses the connection in time.
TEST_F(ServerFd, RequestTimeoutWakesIt) {
  ServerOptions options;
  options.request_timeout_ms = 200;
  UniqueFd silent = connect_to(path_);
  ASSERT_TRUE(readable(server_->fd(), 10000));
  EXPECT_EQ(accept_now(*server_, options), -ETIMEDOUT);
  ASSERT_TRUE(readable(server_->fd(), 10000)) << "the request deadline did not wake the descriptor";
  EXPECT_EQ(accept_now(*server_, options), -EPROTO);
  EXPECT_EQ(server_->pending_connections(), 0u);
  EXPECT_FALSE(readable(server_->fd(), 0));
}

}  // namespace
}  // namespace rtipc
