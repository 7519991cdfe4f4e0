/* Sends three messages to the server of the Makefile example.
 * usage: client SOCKET */
#include <stdio.h>

#include <rtipc/rtipc.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: client SOCKET\n");
    return 1;
  }
  struct rtipc_channel_config channel = RTIPC_CHANNEL_CONFIG_INIT;
  channel.msg_size = 64;
  channel.add_msgs = 2; /* room for all three */
  channel.flags = RTIPC_CHANNEL_EVENTFD;
  struct rtipc_group_config config = RTIPC_GROUP_CONFIG_INIT;
  config.producers = &channel;
  config.producer_count = 1;

  rtipc_group* group;
  rtipc_producer* out;
  if (rtipc_client_connect(argv[1], &config, 10000, &group) < 0 ||
      rtipc_group_take_producer(group, 0, &out) < 0) {
    fprintf(stderr, "client: %s\n", rtipc_last_error());
    return 1;
  }
  rtipc_group_destroy(group);
  for (int i = 1; i <= 3; i++) {
    snprintf(rtipc_producer_msg(out), 64, "message %d", i);
    if (rtipc_produce(out, RTIPC_PRODUCE_TRY) != RTIPC_PUBLISHED) {
      fprintf(stderr, "client: message %d not sent\n", i);
      return 1;
    }
  }
  rtipc_producer_destroy(out);
  return 0;
}
