// The server side of the handshake.
#include "server.hpp"

#include <string>
#include <vector>

#include "capi.hpp"

struct rtipc_server {
  std::unique_ptr<rtipc::Server> impl;
  int request_timeout_ms = rtipc::kDefaultRequestTimeoutMs;
};

namespace rtipc::capi {
namespace {

std::vector<rtipc_channel_config> channel_configs(const std::vector<ChannelSpec>& specs) {
  std::vector<rtipc_channel_config> out;
  out.reserve(specs.size());
  for (const ChannelSpec& c : specs) out.push_back(config_from_spec(c));
  return out;
}

// The C filter sees the proposal in the server's terms: its producers are
// the channels the client consumes. Info pointers point into the decoded
// request, which outlives the call.
Filter c_filter(rtipc_filter_fn filter, void* user) {
  if (!filter) return nullptr;
  return [filter, user](const Proposal& p) {
    const GroupSpec& spec = p.spec;
    const PeerCredentials& peer = p.peer;
    const auto producers = channel_configs(spec.client_consumes);
    const auto consumers = channel_configs(spec.client_produces);
    rtipc_group_config proposal{};
    proposal.producers = producers.empty() ? nullptr : producers.data();
    proposal.consumers = consumers.empty() ? nullptr : consumers.data();
    proposal.info = spec.info.empty() ? nullptr : spec.info.data();
    proposal.producer_count = static_cast<uint32_t>(producers.size());
    proposal.consumer_count = static_cast<uint32_t>(consumers.size());
    proposal.info_size = static_cast<uint32_t>(spec.info.size());
    proposal.flags = 0;  // local to each side, never sent
    const rtipc_peer c_peer = {peer.pid, peer.uid, peer.gid};
    return filter(&proposal, &c_peer, user) != 0;
  };
}

// As guard(), but a bad client is logged as a warning and a plain timeout
// only at debug level: neither is the server's failure.
template <typename F>
int guard_accept(const char* function, F&& step) noexcept {
  try {
    return step();
  } catch (const ClientRejected& e) {
    return report(function, e.code(), e.what(), LogLevel::kWarning);
  } catch (const Error& e) {
    return report(function, e.code(), e.what(),
                  e.code() == -ETIMEDOUT ? LogLevel::kDebug : LogLevel::kError);
  } catch (...) {
    return guard(function, []() -> int { throw; });
  }
}

}  // namespace
}  // namespace rtipc::capi

using rtipc::capi::guard;
using rtipc::capi::guard_accept;

extern "C" {

RTIPC_EXPORT int rtipc_server_create(const char* path, int backlog, uint32_t mode,
                                     rtipc_server** server) {
  return guard(__func__, [&] {
    auto impl = rtipc::Server::listen(path, backlog, static_cast<mode_t>(mode));
    *server = new rtipc_server{std::move(impl)};
    return 0;
  });
}

RTIPC_EXPORT int rtipc_server_fd(const rtipc_server* server) {
  return server->impl->fd();
}

RTIPC_EXPORT void rtipc_server_set_request_timeout(rtipc_server* server, int timeout_ms) {
  server->request_timeout_ms = timeout_ms;
}

RTIPC_EXPORT int rtipc_server_accept(rtipc_server* server, int timeout_ms, rtipc_filter_fn filter,
                                     void* user, uint32_t flags, rtipc_group** group) {
  return guard_accept(__func__, [&] {
    rtipc::ServerOptions options;
    options.group = rtipc::capi::options_from_flags(flags);
    options.filter = rtipc::capi::c_filter(filter, user);
    options.limits = rtipc::hard_limits();  // this API has no limits (yet)
    options.request_timeout_ms = server->request_timeout_ms;
    auto handle = std::make_unique<rtipc_group>();  // before accepting: nothing lost on failure
    handle->impl = server->impl->accept(timeout_ms, options);
    *group = handle.release();
    return 0;
  });
}

RTIPC_EXPORT int rtipc_server_accept_socket(int sock, int timeout_ms, rtipc_filter_fn filter,
                                            void* user, uint32_t flags, rtipc_group** group) {
  return guard_accept(__func__, [&] {
    rtipc::ServerOptions options;
    options.group = rtipc::capi::options_from_flags(flags);
    options.filter = rtipc::capi::c_filter(filter, user);
    options.limits = rtipc::hard_limits();
    auto handle = std::make_unique<rtipc_group>();
    std::unique_ptr<std::byte[]> buffer(new std::byte[rtipc::kRequestBufferSize]);
    handle->impl = rtipc::serve_handshake(sock, timeout_ms,
                                          {buffer.get(), rtipc::kRequestBufferSize}, options);
    *group = handle.release();
    return 0;
  });
}

RTIPC_EXPORT void rtipc_server_destroy(rtipc_server* server) {
  delete server;
}

}  // extern "C"
