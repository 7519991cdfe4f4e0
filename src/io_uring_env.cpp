#include "io_uring_env.hpp"

#include "env.hpp"

namespace rtipc {

bool io_uring_forbidden_by_env() {
  return env_switch_on("RTIPC_NO_IO_URING");
}

}  // namespace rtipc
