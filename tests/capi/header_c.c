/* Compiled only: rtipc.h on its own is valid strict C11 without warnings
 * (built with -std=c11 -Wall -Wextra -Wpedantic -Werror), and its _INIT
 * macros are too. */
#include <rtipc/rtipc.h>

int rtipc_header_check_c(void);

int rtipc_header_check_c(void) {
  struct rtipc_channel_config channel = RTIPC_CHANNEL_CONFIG_INIT;
  struct rtipc_group_config group = RTIPC_GROUP_CONFIG_INIT;
  struct rtipc_server_config server = RTIPC_SERVER_CONFIG_INIT;
  channel.msg_size = 16;
  group.producers = &channel;
  rtipc_log_fn log = 0;
  rtipc_filter_fn filter = 0;
  (void)log;
  (void)filter;
  return (int)group.producers->msg_size + (int)server.size + RTIPC_PUBLISHED + RTIPC_NEW +
         RTIPC_EREJECTED;
}
