// The server side of the handshake.
#include "server.hpp"

#include <string>
#include <vector>

#include "capi.hpp"

struct rtipc_server {
  std::unique_ptr<rtipc::Server> impl;
};

namespace rtipc::capi {
namespace {

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

RTIPC_EXPORT int rtipc_server_create(const char* path, const struct rtipc_server_config* config,
                                     rtipc_server** server) noexcept {
  return guard(__func__, [&] {
    rtipc::capi::require(path, "path");
    rtipc::capi::require(server, "server (where the new server goes)");
    auto settings = rtipc::capi::server_settings(config);
    auto handle = std::make_unique<rtipc_server>();
    handle->impl =
        rtipc::Server::listen(path, settings.backlog, static_cast<mode_t>(settings.socket_mode),
                              std::move(settings.options));
    *server = handle.release();
    return 0;
  });
}

RTIPC_EXPORT int rtipc_server_fd(const rtipc_server* server) noexcept {
  return server->impl->fd();
}

RTIPC_EXPORT int rtipc_server_accept(rtipc_server* server, int timeout_ms,
                                     rtipc_group** group) noexcept {
  return guard_accept(__func__, [&] {
    rtipc::capi::require(server, "server");
    rtipc::capi::require(group, "group (where the new group goes)");
    auto handle = std::make_unique<rtipc_group>();  // before accepting: nothing lost on failure
    handle->impl = server->impl->accept(timeout_ms);
    handle->impl->set_socket_path(server->impl->path());
    *group = handle.release();
    return 0;
  });
}

RTIPC_EXPORT int rtipc_server_accept_socket(int sock, const struct rtipc_server_config* config,
                                            int timeout_ms, rtipc_group** group) noexcept {
  return guard_accept(__func__, [&] {
    rtipc::capi::require(group, "group (where the new group goes)");
    const auto settings = rtipc::capi::server_settings(config);
    auto handle = std::make_unique<rtipc_group>();
    std::unique_ptr<std::byte[]> buffer(new std::byte[rtipc::kRequestBufferSize]);
    handle->impl = rtipc::serve_handshake(
        sock, timeout_ms, {buffer.get(), rtipc::kRequestBufferSize}, settings.options);
    *group = handle.release();
    return 0;
  });
}

RTIPC_EXPORT void rtipc_server_destroy(rtipc_server* server) noexcept {
  delete server;
}

}  // extern "C"
