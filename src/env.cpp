#include "env.hpp"

#include <cstdlib>
#include <cstring>

namespace rtipc {

bool env_switch_on(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::strcmp(v, "0") != 0;
}

}  // namespace rtipc
