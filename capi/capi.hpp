// The C handles, each wrapping one core object, and the one way C entry points
// turn failures into return codes. Only capi/ knows about C.
#pragma once

#include <cerrno>
#include <memory>
#include <new>
#include <vector>

#include "channel.hpp"
#include "error.hpp"
#include "group.hpp"
#include "log.hpp"
#include "rtipc/rtipc.h"
#include "server.hpp"

struct rtipc_group {
  std::unique_ptr<rtipc::Group> impl;
};

struct rtipc_producer {
  std::unique_ptr<rtipc::Producer> impl;
};

struct rtipc_consumer {
  std::unique_ptr<rtipc::Consumer> impl;
};

namespace rtipc::capi {

// Keeps `message` as the calling thread's last error (rtipc_last_error) and
// logs it at `level` (a bad peer is not the caller's error). Returns code.
// Never allocates: safe on the hot path.
int report(const char* function, int code, const char* message,
           LogLevel level = LogLevel::kError) noexcept;

// Runs a setup step; no exception leaves it.
template <typename F>
int guard(const char* function, F&& step) noexcept {
  try {
    return step();
  } catch (const Error& e) {
    return report(function, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    return report(function, -ENOMEM, "out of memory");
  } catch (const std::exception& e) {
    return report(function, -EIO, e.what());
  } catch (...) {
    return report(function, -EIO, "unknown failure");
  }
}

// A NULL where the header wants a pointer, checked by the calls that can
// afford it (setup, not the hot path): throws Error(-EINVAL) naming it.
inline void require(const void* pointer, const char* what) {
  if (!pointer) fail(-EINVAL, "{} is NULL; pass a valid pointer", what);
}

// A failure of a call that does not throw: records it for rtipc_last_error
// without logging. Returns code unchanged; passes non-negative values on.
int record_if_failed(const char* function, int code) noexcept;

// The client's new group for an rtipc_group_config (the sized-struct rule
// of sized.hpp applied); throws Error.
std::unique_ptr<rtipc_group> new_client_group(const rtipc_group_config* config);
GroupOptions options_from_flags(uint32_t flags);
// A channel's configuration; info points into the spec.
rtipc_channel_config config_from_spec(const ChannelSpec& c);

// The core's server options from a (possibly NULL) rtipc_server_config:
// every 0 replaced by its default, the filter wrapped to see an
// rtipc_proposal. Throws Error(-EINVAL, -E2BIG) for a bad config.
struct ServerSettings {
  ServerOptions options;
  int backlog = 0;
  uint32_t socket_mode = 0;
};
ServerSettings server_settings(const rtipc_server_config* config);

// Takes ownership of count descriptors; closes them all if it cannot.
std::vector<UniqueFd> own_fds(const int* fds, size_t count);

}  // namespace rtipc::capi
