// Helpers for the one-process core tests: a group's spec in one line, both
// ends of a group in this process, and the error code a call throws.
#pragma once

#include <fcntl.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "error.hpp"
#include "fd.hpp"
#include "group.hpp"
#include "limits.hpp"
#include "server.hpp"

namespace rtipc::test_core {

inline ChannelSpec channel(uint32_t msg_size, uint32_t add_msgs, bool eventfd = false) {
  return {msg_size, add_msgs, eventfd, {}};
}

// Both ends of a group in this process: the client's Group::create and the
// server's group_from_request on duplicates of its descriptors.
struct LocalPair {
  LocalPair(GroupSpec spec, const ServerOptions& options = permissive()) {
    client = Group::create(spec, {});
    std::vector<UniqueFd> fds;
    for (int fd : client->fds()) fds.emplace_back(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    const auto request = client->request();
    server = group_from_request(request, std::move(fds), options);
  }
  static ServerOptions permissive() {
    ServerOptions o;
    o.limits = hard_limits();
    return o;
  }
  std::unique_ptr<Group> client, server;
};

inline int error_code(const std::function<void()>& f, std::string* what = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (what) *what = e.what();
    return e.code();
  }
  return 0;
}

inline GroupSpec spec_with(uint32_t cacheline, std::vector<ChannelSpec> server_produces,
                           std::vector<ChannelSpec> client_produces = {}) {
  GroupSpec s;
  s.cacheline = cacheline;
  s.client_consumes = std::move(server_produces);
  s.client_produces = std::move(client_produces);
  return s;
}

}  // namespace rtipc::test_core
