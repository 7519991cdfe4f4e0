/*
 * rtipc-pong SOCKET [-n CLIENTS]: the far end of the language benchmarks.
 * Serves clients one after another; each offers one channel each way of the
 * same message size. Busy-polls (no eventfd) and echoes every message back
 * with RTIPC_PRODUCE_FORCE; a message whose first 8 bytes are all 0xFF ends
 * the session. Exits 0 after CLIENTS sessions (default: never).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rtipc/rtipc.h>

static int accept_pair(const rtipc_proposal* p, void* user) {
  (void)user;
  struct rtipc_channel_config in = RTIPC_CHANNEL_CONFIG_INIT, out = RTIPC_CHANNEL_CONFIG_INIT;
  return rtipc_proposal_producer_count(p) == 1 && rtipc_proposal_consumer_count(p) == 1 &&
         rtipc_proposal_producer_config(p, 0, &out) == 0 &&
         rtipc_proposal_consumer_config(p, 0, &in) == 0 && in.msg_size == out.msg_size &&
         in.msg_size >= 8;
}

static bool is_end(const unsigned char* msg) {
  static const unsigned char end[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  return memcmp(msg, end, sizeof end) == 0;
}

/* Echoes until the end marker or until the client is gone. */
static int serve(rtipc_consumer* in, rtipc_producer* out) {
  size_t size = rtipc_consumer_msg_size(in);
  unsigned long idle = 0;
  for (;;) {
    int r = rtipc_consume(in, RTIPC_CONSUME_NEXT);
    if (r < 0) return r;
    if (r < RTIPC_NEW) {
      if (++idle % (1u << 20) == 0 && rtipc_consumer_peer_alive(in) == 0) return -EPIPE;
      continue;
    }
    idle = 0;
    const unsigned char* msg = rtipc_consumer_msg(in);
    memcpy(rtipc_producer_msg(out), msg, size);
    rtipc_produce(out, RTIPC_PRODUCE_FORCE);
    if (is_end(msg)) return 0;
  }
}

int main(int argc, char** argv) {
  long clients = -1;
  int c;
  while ((c = getopt(argc, argv, "n:h")) != -1) {
    if (c == 'n') {
      clients = strtol(optarg, NULL, 10);
    } else {
      fprintf(c == 'h' ? stdout : stderr, "usage: rtipc-pong SOCKET [-n CLIENTS]\n");
      return c == 'h' ? 0 : 2;
    }
  }
  if (optind + 1 != argc) {
    fprintf(stderr, "usage: rtipc-pong SOCKET [-n CLIENTS]\n");
    return 2;
  }
  struct rtipc_server_config config = RTIPC_SERVER_CONFIG_INIT;
  config.filter = accept_pair;
  rtipc_server* server;
  int err = rtipc_server_create(argv[optind], &config, &server);
  if (err < 0) {
    fprintf(stderr, "rtipc-pong: %s\n", rtipc_last_error());
    return 1;
  }
  for (long n = 0; clients < 0 || n < clients; n++) {
    rtipc_group* group;
    err = rtipc_server_accept(server, -1, &group);
    if (err == -EINTR) break;
    if (err < 0) {
      fprintf(stderr, "rtipc-pong: %s\n", rtipc_last_error());
      continue;
    }
    rtipc_consumer* in;
    rtipc_producer* out;
    rtipc_group_take_consumer(group, 0, &in);
    rtipc_group_take_producer(group, 0, &out);
    rtipc_group_destroy(group);
    err = serve(in, out);
    if (err < 0 && err != -EPIPE) fprintf(stderr, "rtipc-pong: %s\n", rtipc_strerror(err));
    rtipc_consumer_destroy(in);
    rtipc_producer_destroy(out);
  }
  rtipc_server_destroy(server);
  return 0;
}
