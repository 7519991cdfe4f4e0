// The core records the peer's pid in the group on both sides of a handshake,
// and a rejection reaches the server as ClientRejected.
#include <gtest/gtest.h>

#include "client.hpp"
#include "helpers.hpp"
#include "server.hpp"

namespace rtipc {
namespace {

GroupSpec one_channel() {
  GroupSpec spec;
  spec.cacheline = 64;
  spec.client_produces.push_back({8, 0, true, {}});
  return spec;
}

TEST(Peer, BothSidesRecordThePeerPid) {
  test::TempDir dir;
  const std::string path = dir.path("peer.sock");
  auto server = Server::listen(path, 0, 0);
  const pid_t parent = ::getpid();
  const pid_t child = test::spawn([&] {
    auto group = Group::create(one_channel(), {});
    if (group->peer_pid() != 0) return 1;
    client_connect(path, *group, 5000);
    return group->peer_pid() == parent ? 0 : 2;
  });
  auto group = server->accept(10000, {});
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->peer_pid(), child);
  EXPECT_EQ(group->role(), Group::Role::kServer);
  EXPECT_EQ(test::reap(child), 0);
}

TEST(Peer, FilterRejectionIsAClientError) {
  test::TempDir dir;
  const std::string path = dir.path("peer.sock");
  auto server = Server::listen(path, 0, 0);
  const pid_t child = test::spawn([&] {
    auto group = Group::create(one_channel(), {});
    try {
      client_connect(path, *group, 5000);
    } catch (const Error& e) {
      return e.code() == -RTIPC_EREJECTED ? 0 : 1;
    }
    return 2;
  });
  PeerCredentials seen;
  try {
    ServerOptions options;
    options.filter = [&](const Proposal& p) {
      seen = p.peer;
      return p.spec.client_produces.size() == 2;  // never
    };
    server->accept(10000, options);
    ADD_FAILURE() << "accepted";
  } catch (const ClientRejected& e) {
    EXPECT_EQ(e.code(), -RTIPC_EREJECTED);
  }
  EXPECT_EQ(seen.pid, child);
  EXPECT_EQ(test::reap(child), 0);
}

}  // namespace
}  // namespace rtipc
