// Issue 18, item 2: connections that never send their request. The server
// watches every pending connection at once, so silent ones neither keep an
// honest client out nor stretch accept past its deadline, and a full table
// drops its oldest. The honest client runs in a second process.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../handshake/helpers.hpp"
#include "client.hpp"
#include "server.hpp"
#include "socket.hpp"

namespace rtipc {
namespace {

// Connects to path and then says nothing.
UniqueFd silent_connection(const std::string& path) {
  UniqueFd s = seqpacket_socket(false);
  const sockaddr_un addr = unix_address(path);
  if (::connect(s.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    ADD_FAILURE() << "connect: " << std::strerror(errno);
  return s;
}

// Whether the server answered s or closed its end (a silent connection
// that is still waiting its turn has neither).
bool dropped(int s) {
  pollfd p = {s, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

GroupSpec one_channel() {
  GroupSpec spec;
  spec.cacheline = 64;
  spec.client_produces.push_back({8, 2, false, {}});
  return spec;
}

double now_s() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

class PendingConnections : public testing::Test {
 protected:
  void SetUp() override {
    ::alarm(60);  // a watchdog: a server stuck on one connection fails, never hangs
    server_ = Server::listen(path_, 0, 0);
  }
  void TearDown() override { ::alarm(0); }

  test::TempDir dir_;
  const std::string path_ = dir_.path("pending.sock");
  std::unique_ptr<Server> server_;
};

// Four silent connections first, then an honest client (5 s to connect):
// the first accept call serves it, and nothing is refused meanwhile.
TEST_F(PendingConnections, HonestClientIsServedWhileSilentOnesWait) {
  ServerOptions options;
  options.request_timeout_ms = 3000;  // what a server serving one at a time waits for each
  std::vector<UniqueFd> silent;
  for (int i = 0; i < 4; ++i) silent.push_back(silent_connection(path_));
  const pid_t client = test::spawn(
      [&] {
        auto g = Group::create(one_channel(), {});
        try {
          client_connect(path_, *g, 5000);
        } catch (const Error&) {
          return 1;
        }
        return 0;
      },
      30);
  int groups = 0, refused = 0, calls = 0;
  while (groups == 0 && calls < 3) {
    ++calls;
    try {
      if (server_->accept(3000, options)) ++groups;
    } catch (const Error& e) {
      ++refused;
      std::printf("accept: %s\n", e.what());
    }
  }
  EXPECT_EQ(groups, 1);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(refused, 0);
  EXPECT_EQ(test::reap(client), 0) << "the honest client could not connect";
  for (const UniqueFd& s : silent) EXPECT_FALSE(dropped(s.get()));  // still waiting their turn
}

// accept(100) with four silent connections (each with the default request
// timeout of 1 s) ends on its own deadline, not on theirs.
TEST_F(PendingConnections, AcceptDeadlineHoldsWithSilentConnections) {
  std::vector<UniqueFd> silent;
  for (int i = 0; i < 4; ++i) silent.push_back(silent_connection(path_));
  int code = 0;
  const double t0 = now_s();
  try {
    server_->accept(100, ServerOptions{});
  } catch (const Error& e) {
    code = e.code();
  }
  std::printf("accept(100) with 4 silent connections: %s after %.3f s\n", std::strerror(-code),
              now_s() - t0);
  EXPECT_EQ(code, -ETIMEDOUT);
}

// A full table drops its oldest connection for each new one: three more
// than fit, and exactly the first three are closed.
TEST_F(PendingConnections, FullTableDropsTheOldest) {
  ServerOptions options;
  options.request_timeout_ms = 30000;
  const size_t extra = 3;
  std::vector<UniqueFd> silent;
  for (size_t i = 0; i < Server::kMaxPendingConnections + extra; ++i)
    silent.push_back(silent_connection(path_));
  int code = 0;
  try {
    server_->accept(500, options);
  } catch (const Error& e) {
    code = e.code();
  }
  EXPECT_EQ(code, -ETIMEDOUT);
  for (size_t i = 0; i < silent.size(); ++i)
    EXPECT_EQ(dropped(silent[i].get()), i < extra) << "connection " << i;
  EXPECT_EQ(server_->pending_connections(), Server::kMaxPendingConnections);
}

// A connection whose request time runs out is refused (-EPROTO) in a later
// call, while the table keeps serving others.
TEST_F(PendingConnections, SilentConnectionIsRefusedWhenItsTimeRunsOut) {
  ServerOptions options;
  options.request_timeout_ms = 50;
  UniqueFd silent = silent_connection(path_);
  int code = 0;
  try {
    server_->accept(5000, options);
  } catch (const Error& e) {
    code = e.code();
  }
  EXPECT_EQ(code, -EPROTO);
  EXPECT_TRUE(dropped(silent.get()));
}

}  // namespace
}  // namespace rtipc
