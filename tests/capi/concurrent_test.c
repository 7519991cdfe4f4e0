/* The calls rtipc.h marks "any thread" run while other threads drive the
 * same producer and consumer flat out. Meant for ThreadSanitizer
 * (scripts/test-sanitizers), which fails the test on any data race; in a
 * plain build it checks that the snapshots stay within bounds. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <rtipc/rtipc.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

enum { MESSAGES = 200000, SLOTS = 3 + 13 };

static rtipc_producer* producer;
static rtipc_consumer* consumer;
static atomic_int done;

static void* produce(void* arg) {
  (void)arg;
  for (uint64_t i = 1; i <= MESSAGES; ++i) {
    memcpy(rtipc_producer_msg(producer), &i, sizeof i);
    rtipc_produce(producer, RTIPC_PRODUCE_FORCE);
  }
  return NULL;
}

static void* consume(void* arg) {
  (void)arg;
  uint64_t last = 0;
  while (last != MESSAGES)
    if (rtipc_consume(consumer, RTIPC_CONSUME_NEXT) >= RTIPC_NEW)
      memcpy(&last, rtipc_consumer_msg(consumer), sizeof last);
  atomic_store(&done, 1);
  return NULL;
}

/* The "any thread" getters, in a loop, on both handles. */
static void* watch(void* arg) {
  long* bad = arg;
  size_t size;
  while (!atomic_load(&done)) {
    int p = rtipc_producer_pending(producer), c = rtipc_consumer_pending(consumer);
    if (p < 0 || p >= SLOTS || c < 0 || c >= SLOTS) ++*bad; /* at most n - 1 wait */
    if (rtipc_producer_msg_size(producer) != 8 || rtipc_consumer_msg_size(consumer) != 8) ++*bad;
    if (rtipc_producer_slots(producer) != SLOTS || rtipc_consumer_slots(consumer) != SLOTS) ++*bad;
    if (rtipc_producer_msg_align(producer) == 0 || rtipc_consumer_msg_align(consumer) == 0) ++*bad;
    if (rtipc_producer_fd(producer) < 0 || rtipc_consumer_fd(consumer) < 0) ++*bad;
    if (rtipc_producer_info(producer, &size) || rtipc_consumer_info(consumer, &size)) ++*bad;
    /* No handshake here: the peer is unknown. */
    if (rtipc_producer_peer_alive(producer) != -ENOTSUP) ++*bad;
    if (rtipc_consumer_peer_alive(consumer) != -ENOTSUP) ++*bad;
  }
  return NULL;
}

int main(void) {
  struct rtipc_channel_config c = CHANNEL_INIT(NULL, 0, 8, SLOTS - 3, RTIPC_CHANNEL_EVENTFD);
  struct rtipc_group_config config = GROUP_INIT(&c, NULL, NULL, 1, 0, 0, 0);
  rtipc_group *client = NULL, *server = NULL;
  CHECK_EQ(rtipc_group_create(&config, &client), 0);
  if (!client) return check_report("concurrent_test");
  unsigned char request[256];
  int size = rtipc_group_request(client, request, sizeof request);
  int fds[2];
  CHECK_EQ(rtipc_group_fds(client, fds, 2), 2);
  for (int i = 0; i < 2; ++i) fds[i] = dup(fds[i]);
  CHECK_EQ(rtipc_group_from_request(request, (size_t)size, fds, 2, NULL, &server), 0);
  if (!server) return check_report("concurrent_test");
  CHECK_EQ(rtipc_group_take_producer(client, 0, &producer), 0);
  CHECK_EQ(rtipc_group_take_consumer(server, 0, &consumer), 0);
  rtipc_group_destroy(client);
  rtipc_group_destroy(server);

  long bad = 0;
  pthread_t threads[3];
  pthread_create(&threads[0], NULL, watch, &bad);
  pthread_create(&threads[1], NULL, consume, NULL);
  pthread_create(&threads[2], NULL, produce, NULL);
  for (int i = 0; i < 3; ++i) pthread_join(threads[i], NULL);
  CHECK_EQ(bad, 0);
  CHECK(rtipc_consumer_pending(consumer) == 0);

  rtipc_producer_destroy(producer);
  rtipc_consumer_destroy(consumer);
  return check_report("concurrent_test");
}
