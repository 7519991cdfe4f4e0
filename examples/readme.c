#include <rtipc/rtipc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  /* The client creates a group: here one channel of 64-byte messages. */
  struct rtipc_channel_config channel = RTIPC_CHANNEL_CONFIG_INIT;
  channel.msg_size = 64;
  channel.add_msgs = 4;
  struct rtipc_group_config config = RTIPC_GROUP_CONFIG_INIT;
  config.producers = &channel;
  config.producer_count = 1;
  rtipc_group *client, *server;
  if (rtipc_group_create(&config, &client) < 0) return 1;

  /* The request and the memfd travel to the server over a Unix socket; here
   * the server is this same process, with its own copy of the descriptor. */
  unsigned char request[64];
  int size = rtipc_group_request(client, request, sizeof request), fd;
  rtipc_group_fds(client, &fd, 1);
  fd = dup(fd);
  if (rtipc_group_from_request(request, size, &fd, 1, NULL, &server) < 0) return 1;

  rtipc_producer* producer;
  rtipc_consumer* consumer;
  rtipc_group_take_producer(client, 0, &producer);
  rtipc_group_take_consumer(server, 0, &consumer);
  rtipc_group_destroy(client); /* the channels live on */
  rtipc_group_destroy(server);

  strcpy(rtipc_producer_msg(producer), "hello");
  rtipc_produce(producer, RTIPC_PRODUCE_FORCE);
  int result = rtipc_consume(consumer, RTIPC_CONSUME_NEXT);
  if (result == RTIPC_NEW) printf("%s\n", (const char*)rtipc_consumer_msg(consumer));

  rtipc_producer_destroy(producer);
  rtipc_consumer_destroy(consumer);
  return result == RTIPC_NEW ? 0 : 1;
}
