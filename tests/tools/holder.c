/*
 * rtipc-holder: one end of a group that stays up while a test looks at it
 * with the rtipc program, and moves messages only when told to.
 *
 *   rtipc-holder server SOCKET
 *   rtipc-holder client SOCKET [-p SIZE:ADD_MSGS:EVENTFD]... [-c ...] [-i INFO]
 *
 * Prints "ready PID" once the group is up, then reads commands on stdin:
 *   produce I N   try to publish N messages on producer I; prints "ok PUBLISHED"
 *   consume I N   take up to N messages from consumer I; prints "ok TAKEN"
 *   quit          exits 0
 * Exit status: 0 ok, 1 usage, 2 setup failed, 3 bad command.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rtipc/rtipc.h>

#define MAX_CHANNELS 16

static int parse_channel(const char* text, struct rtipc_channel_config* c) {
  unsigned size, add, ev;
  if (sscanf(text, "%u:%u:%u", &size, &add, &ev) != 3) return -1;
  struct rtipc_channel_config init = RTIPC_CHANNEL_CONFIG_INIT;
  *c = init;
  c->msg_size = size;
  c->add_msgs = add;
  c->flags = ev ? RTIPC_CHANNEL_EVENTFD : 0;
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) return 1;
  const int server_mode = strcmp(argv[1], "server") == 0;
  const char* path = argv[2];
  struct rtipc_channel_config prod[MAX_CHANNELS], cons[MAX_CHANNELS];
  char infos[2][MAX_CHANNELS][32];
  unsigned np = 0, nc = 0;
  const char* info = "";
  for (int i = 3; i + 1 < argc; i += 2) {
    struct rtipc_channel_config* c;
    if (strcmp(argv[i], "-p") == 0 && np < MAX_CHANNELS) {
      c = &prod[np];
      if (parse_channel(argv[i + 1], c)) return 1;
      snprintf(infos[0][np], sizeof infos[0][np], "out%u", np);
      c->info = infos[0][np];
      c->info_size = (uint32_t)strlen(infos[0][np]);
      np++;
    } else if (strcmp(argv[i], "-c") == 0 && nc < MAX_CHANNELS) {
      c = &cons[nc];
      if (parse_channel(argv[i + 1], c)) return 1;
      snprintf(infos[1][nc], sizeof infos[1][nc], "in%u", nc);
      c->info = infos[1][nc];
      c->info_size = (uint32_t)strlen(infos[1][nc]);
      nc++;
    } else if (strcmp(argv[i], "-i") == 0) {
      info = argv[i + 1];
    } else {
      return 1;
    }
  }

  rtipc_group* group = NULL;
  int r;
  if (server_mode) {
    rtipc_server* server;
    r = rtipc_server_create(path, NULL, &server);
    if (r == 0) {
      printf("listening\n");
      fflush(stdout);
      r = rtipc_server_accept(server, 20000, &group);
      rtipc_server_destroy(server);
    }
  } else {
    struct rtipc_group_config config = RTIPC_GROUP_CONFIG_INIT;
    config.producers = prod;
    config.producer_count = np;
    config.consumers = cons;
    config.consumer_count = nc;
    config.info = info;
    config.info_size = (uint32_t)strlen(info);
    r = rtipc_client_connect(path, &config, 20000, &group);
  }
  if (r < 0) {
    fprintf(stderr, "holder: %s\n", rtipc_strerror(r));
    return 2;
  }
  const uint32_t producers = rtipc_group_producer_count(group);
  const uint32_t consumers = rtipc_group_consumer_count(group);
  rtipc_producer* p[MAX_CHANNELS] = {0};
  rtipc_consumer* c[MAX_CHANNELS] = {0};
  for (uint32_t i = 0; i < producers && i < MAX_CHANNELS; i++)
    rtipc_group_take_producer(group, i, &p[i]);
  for (uint32_t i = 0; i < consumers && i < MAX_CHANNELS; i++)
    rtipc_group_take_consumer(group, i, &c[i]);
  printf("ready %d\n", (int)getpid());
  fflush(stdout);

  char line[128];
  while (fgets(line, sizeof line, stdin)) {
    char verb[16];
    unsigned index, count, done = 0;
    if (strncmp(line, "quit", 4) == 0) break;
    if (sscanf(line, "%15s %u %u", verb, &index, &count) != 3 || index >= MAX_CHANNELS) return 3;
    if (strcmp(verb, "produce") == 0 && p[index]) {
      for (unsigned k = 0; k < count; k++) {
        memset(rtipc_producer_msg(p[index]), (int)k, rtipc_producer_msg_size(p[index]));
        if (rtipc_produce(p[index], RTIPC_PRODUCE_TRY) == RTIPC_PUBLISHED) done++;
      }
    } else if (strcmp(verb, "consume") == 0 && c[index]) {
      for (unsigned k = 0; k < count; k++) {
        const int got = rtipc_consume(c[index], RTIPC_CONSUME_NEXT);
        if (got == RTIPC_NEW || got == RTIPC_NEW_AFTER_GAP) done++;
      }
    } else {
      return 3;
    }
    printf("ok %u\n", done);
    fflush(stdout);
  }
  for (uint32_t i = 0; i < MAX_CHANNELS; i++) {
    rtipc_producer_destroy(p[i]);
    rtipc_consumer_destroy(c[i]);
  }
  rtipc_group_destroy(group);
  return 0;
}
