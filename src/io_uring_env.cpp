#include "io_uring_env.hpp"

#include <cstdlib>
#include <cstring>

namespace rtipc {

bool io_uring_forbidden_by_env() {
  const char* v = std::getenv("RTIPC_NO_IO_URING");
  return v && *v && std::strcmp(v, "0") != 0;
}

}  // namespace rtipc
