// Compiled only: rtipc.h on its own is valid C++ (built as C++11 and C++20
// with -Wall -Wextra -Wpedantic -Werror), usable without casts.
#include <rtipc/rtipc.h>

int rtipc_header_check_cpp();

int rtipc_header_check_cpp() {
  rtipc_channel_config channel = {nullptr, 0, 16, 0, RTIPC_CHANNEL_EVENTFD};
  rtipc_group_config group = {&channel, nullptr, nullptr, 1, 0, 0, RTIPC_GROUP_MLOCK};
  rtipc_log_fn log = nullptr;
  rtipc_filter_fn filter = nullptr;
  rtipc_group* handle = nullptr;
  (void)log;
  (void)filter;
  (void)handle;
  return static_cast<int>(group.producers->msg_size) + RTIPC_PUBLISHED + RTIPC_NEW +
         RTIPC_EREJECTED;
}
