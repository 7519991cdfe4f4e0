// Compiled only: rtipc.h on its own is valid C++ (built as C++11 and C++20
// with -Wall -Wextra -Wpedantic -Werror), usable without casts, its _INIT
// macros too, and every function is noexcept.
#include <rtipc/rtipc.h>

int rtipc_header_check_cpp();

static_assert(noexcept(rtipc_produce(nullptr, RTIPC_PRODUCE_FORCE)), "entry points are noexcept");

int rtipc_header_check_cpp() {
  rtipc_channel_config channel = RTIPC_CHANNEL_CONFIG_INIT;
  rtipc_group_config group = RTIPC_GROUP_CONFIG_INIT;
  rtipc_server_config server = RTIPC_SERVER_CONFIG_INIT;
  channel.msg_size = 16;
  group.producers = &channel;
  rtipc_log_fn log = nullptr;
  rtipc_filter_fn filter = nullptr;
  rtipc_group* handle = nullptr;
  (void)log;
  (void)filter;
  (void)handle;
  return static_cast<int>(group.producers->msg_size) + static_cast<int>(server.size) +
         RTIPC_PUBLISHED + RTIPC_NEW + RTIPC_EREJECTED;
}
