/* Compiled only: rtipc.h on its own is valid strict C11 without warnings
 * (built with -std=c11 -Wall -Wextra -Wpedantic -Werror). */
#include <rtipc/rtipc.h>

int rtipc_header_check_c(void);

int rtipc_header_check_c(void) {
  struct rtipc_channel_config channel = {0, 0, 16, 0, RTIPC_CHANNEL_EVENTFD};
  struct rtipc_group_config group = {&channel, 0, 0, 1, 0, 0, RTIPC_GROUP_MLOCK};
  rtipc_log_fn log = 0;
  rtipc_filter_fn filter = 0;
  (void)log;
  (void)filter;
  return (int)group.producers->msg_size + RTIPC_PUBLISHED + RTIPC_NEW + RTIPC_EREJECTED;
}
