/* Built by install-test.sh against the installed library only (pkg-config),
 * then run: one channel, both ends in this process, one message through. */
#include <rtipc/rtipc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  printf("header %s library %s\n", RTIPC_VERSION, rtipc_version());

  struct rtipc_channel_config channel = RTIPC_CHANNEL_CONFIG_INIT;
  channel.msg_size = 32;
  channel.flags = RTIPC_CHANNEL_EVENTFD;
  struct rtipc_group_config config = RTIPC_GROUP_CONFIG_INIT;
  config.producers = &channel;
  config.producer_count = 1;
  rtipc_group *client = NULL, *server = NULL;
  if (rtipc_group_create(&config, &client) != 0) return 1;

  unsigned char request[256];
  int size = rtipc_group_request(client, request, sizeof request);
  int fds[2];
  if (size <= 0 || (size_t)size > sizeof request || rtipc_group_fds(client, fds, 2) != 2) return 1;
  for (int i = 0; i < 2; ++i) fds[i] = dup(fds[i]); /* the server side owns its copies */
  if (rtipc_group_from_request(request, (size_t)size, fds, 2, NULL, &server) != 0) return 1;

  rtipc_producer* producer = NULL;
  rtipc_consumer* consumer = NULL;
  if (rtipc_group_take_producer(client, 0, &producer) != 0) return 1;
  if (rtipc_group_take_consumer(server, 0, &consumer) != 0) return 1;
  strcpy(rtipc_producer_msg(producer), "hello through shared memory");
  if (rtipc_produce(producer, RTIPC_PRODUCE_FORCE) != RTIPC_PUBLISHED) return 1;
  if (rtipc_consumer_wait(consumer, 1000) != 1) return 1;
  if (rtipc_consume(consumer, RTIPC_CONSUME_NEXT) != RTIPC_NEW) return 1;
  printf("received: %s\n", (const char*)rtipc_consumer_msg(consumer));

  rtipc_producer_destroy(producer);
  rtipc_consumer_destroy(consumer);
  rtipc_group_destroy(client);
  rtipc_group_destroy(server);
  return 0;
}
