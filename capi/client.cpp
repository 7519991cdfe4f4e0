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
    auto handle = rtipc::capi::new_client_group(config);
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
