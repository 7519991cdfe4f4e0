// Two processes joined by the core's handshake, one channel with an
// eventfd between them, either of which may be the server. For tests of
// hostile peers that need the core's objects (the eventfd descriptor,
// Producer and Consumer) rather than the C API.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <functional>
#include <memory>
#include <string>

#include "../handshake/helpers.hpp"
#include "client.hpp"
#include "server.hpp"

namespace rtipc {

enum class PeerRole { kClient, kServer };

// One channel with an eventfd between this process and a forked peer.
// `we_consume`: the peer produces. The peer runs `peer` on its group and
// exits with its result; its SIGALRM guard ends a hang.
class CorePair {
 public:
  CorePair(PeerRole role, bool we_consume, std::function<int(Group&)> peer) {
    GroupSpec spec;
    spec.cacheline = 64;
    const bool client_produces = (role == PeerRole::kClient) == we_consume;
    (client_produces ? spec.client_produces : spec.client_consumes)
        .push_back({sizeof(uint64_t), 2, true, {}});
    const std::string path = dir_.path("pair.sock");
    if (role == PeerRole::kClient) {
      auto server = Server::listen(path, 0, 0);
      child_ = test::spawn([&] {
        auto g = Group::create(spec, {});
        client_connect(path, *g, 10000);
        return peer(*g);
      });
      group_ = server->accept(10000, {});
    } else {
      test::Pipe ready;
      child_ = test::spawn([&] {
        auto server = Server::listen(path, 0, 0);
        ready.put();
        auto g = server->accept(10000, {});
        return peer(*g);
      });
      EXPECT_EQ(ready.get(), 'x');
      group_ = Group::create(spec, {});
      client_connect(path, *group_, 10000);
    }
  }
  ~CorePair() {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      test::reap(child_);
    }
  }
  Group& group() { return *group_; }
  int finish() {
    const int rc = test::reap(child_);
    child_ = -1;
    return rc;
  }

 private:
  test::TempDir dir_;
  std::unique_ptr<Group> group_;
  pid_t child_ = -1;
};

inline std::string role_name(const testing::TestParamInfo<PeerRole>& info) {
  return info.param == PeerRole::kClient ? "peer_is_client" : "peer_is_server";
}

}  // namespace rtipc
