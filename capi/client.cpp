// The client side of the handshake.
#include "client.hpp"

#include "capi.hpp"

using rtipc::capi::guard;

namespace {

template <typename Connect>
int connect_group(const char* function, const rtipc_group_config* config, rtipc_group** group,
                  Connect&& connect) {
  return guard(function, [&] {
    rtipc::capi::require(group, "group (where the new group goes)");
    const auto c = rtipc::capi::read_group_config(config);
    auto spec = rtipc::capi::spec_from_config(c, true);
    auto options = rtipc::capi::options_from_flags(c.flags);
    auto handle = std::make_unique<rtipc_group>();
    handle->impl = rtipc::Group::create(std::move(spec), options);
    connect(*handle->impl);
    *group = handle.release();
    return 0;
  });
}

}  // namespace

extern "C" {

RTIPC_EXPORT int rtipc_client_connect(const char* path, const struct rtipc_group_config* config,
                                      int timeout_ms, rtipc_group** group) noexcept {
  return connect_group(__func__, config, group, [&](rtipc::Group& g) {
    rtipc::capi::require(path, "path");
    rtipc::client_connect(path, g, timeout_ms);
  });
}

RTIPC_EXPORT int rtipc_client_connect_socket(int sock, const struct rtipc_group_config* config,
                                             int timeout_ms, rtipc_group** group) noexcept {
  return connect_group(__func__, config, group,
                       [&](rtipc::Group& g) { rtipc::client_handshake(sock, g, timeout_ms); });
}

}  // extern "C"
