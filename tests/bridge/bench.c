/*
 * bridge-bench: the rtipc ends of scripts/bench-bridge.
 *
 *   bridge-bench serve SOCKET           an rtipc server: echoes a group of one
 *                                       channel each way, or counts what
 *                                       a group of one channel produces
 *   bridge-bench ping SOCKET SIZE COUNT round trips on bench/ping, bench/pong
 *   bridge-bench pong SOCKET SIZE       echoes bench/ping to bench/pong
 *   bridge-bench send SOCKET SIZE COUNT streams COUNT messages on bench/stream
 *   bridge-bench recv SOCKET SIZE COUNT counts them
 *
 * ping prints "latency_ns p50=.. p99=.. p999=.." (half round trips); recv and
 * a counting serve print "throughput msgs=.. per_s=..". Every side sleeps
 * on its eventfd while it waits (no busy polling), as the bridge does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rtipc/rtipc.h>

#define SLOTS 256

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void* a, const void* b) {
  uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return x < y ? -1 : x > y;
}

static int connect_group(const char* path, const char* out, const char* in, uint32_t size,
                         rtipc_producer** p, rtipc_consumer** c) {
  char out_info[64], in_info[64];
  snprintf(out_info, sizeof out_info, "topic=%s push=try", out ? out : "");
  snprintf(in_info, sizeof in_info, "topic=%s push=try", in ? in : "");
  struct rtipc_channel_config oc = RTIPC_CHANNEL_CONFIG_INIT, ic = RTIPC_CHANNEL_CONFIG_INIT;
  oc.flags = ic.flags = RTIPC_CHANNEL_EVENTFD;
  oc.msg_size = ic.msg_size = size;
  oc.add_msgs = ic.add_msgs = SLOTS - 3;
  oc.info = out_info;
  oc.info_size = (uint32_t)strlen(out_info);
  ic.info = in_info;
  ic.info_size = (uint32_t)strlen(in_info);
  struct rtipc_group_config g = RTIPC_GROUP_CONFIG_INIT;
  g.producers = out ? &oc : NULL;
  g.producer_count = out ? 1 : 0;
  g.consumers = in ? &ic : NULL;
  g.consumer_count = in ? 1 : 0;
  rtipc_group* group;
  int err;
  for (int i = 0; i < 200; i++) {
    err = rtipc_client_connect(path, &g, 5000, &group);
    if (err != -ENOENT && err != -ECONNREFUSED) break;
    usleep(50000);
  }
  if (err < 0) {
    fprintf(stderr, "bridge-bench: connect %s: %s\n", path, rtipc_strerror(err));
    return 1;
  }
  if (out) rtipc_group_take_producer(group, 0, p);
  if (in) rtipc_group_take_consumer(group, 0, c);
  rtipc_group_destroy(group);
  return 0;
}

/* The next message, sleeping while there is none; 0, or -1 when the peer went. */
static int next(rtipc_consumer* c) {
  for (;;) {
    int r = rtipc_consume(c, RTIPC_CONSUME_NEXT);
    if (r >= RTIPC_NEW) return 0;
    int w = rtipc_consumer_wait(c, 1000);
    if (w == -EPIPE) return -1;
  }
}

static void push(rtipc_producer* p) {
  while (rtipc_produce(p, RTIPC_PRODUCE_TRY) == RTIPC_QUEUE_FULL) usleep(1);
}

static int echo(rtipc_producer* p, rtipc_consumer* c) {
  size_t size = rtipc_consumer_msg_size(c);
  while (next(c) == 0) {
    memcpy(rtipc_producer_msg(p), rtipc_consumer_msg(c), size);
    push(p);
  }
  return 0;
}

/* Counts messages from the first to the last (or COUNT, or 2 s of silence). */
static int count(rtipc_consumer* c, long expected) {
  long n = 0;
  uint64_t first = 0, last = 0;
  for (;;) {
    int r = rtipc_consume(c, RTIPC_CONSUME_NEXT);
    if (r >= RTIPC_NEW) {
      last = now_ns();
      if (n++ == 0) first = last;
      if (expected && n >= expected) break;
      continue;
    }
    int w = rtipc_consumer_wait(c, 2000);
    if (w == -EPIPE || (w == 0 && n > 0)) break;
  }
  double s = (double)(last - first) / 1e9;
  printf("throughput msgs=%ld per_s=%.0f\n", n, n > 1 && s > 0 ? (double)(n - 1) / s : 0.0);
  return 0;
}

static int serve(const char* path) {
  struct rtipc_server_config sc = RTIPC_SERVER_CONFIG_INIT;
  sc.max_slots = 1u << 20;
  rtipc_server* server;
  int err = rtipc_server_create(path, &sc, &server);
  if (err < 0)
    return fprintf(stderr, "bridge-bench: listen %s: %s\n", path, rtipc_strerror(err)), 1;
  rtipc_group* g;
  err = rtipc_server_accept(server, 60000, &g);
  if (err < 0) return fprintf(stderr, "bridge-bench: accept: %s\n", rtipc_strerror(err)), 1;
  rtipc_producer* p = NULL;
  rtipc_consumer* c = NULL;
  if (rtipc_group_producer_count(g)) rtipc_group_take_producer(g, 0, &p);
  rtipc_group_take_consumer(g, 0, &c);
  rtipc_group_destroy(g);
  int status = p ? echo(p, c) : count(c, 0);
  rtipc_producer_destroy(p);
  rtipc_consumer_destroy(c);
  rtipc_server_destroy(server);
  return status;
}

static int ping(rtipc_producer* p, rtipc_consumer* c, long n) {
  const long warmup = 1000;
  uint64_t* half = malloc(sizeof *half * (size_t)n);
  for (long i = -warmup; i < n; i++) {
    uint64_t t0 = now_ns();
    memcpy(rtipc_producer_msg(p), &i, sizeof i);
    push(p);
    if (next(c) < 0) return fprintf(stderr, "bridge-bench: the echo went away\n"), 1;
    if (i >= 0) half[i] = (now_ns() - t0) / 2;
  }
  qsort(half, (size_t)n, sizeof *half, cmp_u64);
  printf("latency_ns p50=%llu p99=%llu p999=%llu\n", (unsigned long long)half[n / 2],
         (unsigned long long)half[n * 99 / 100], (unsigned long long)half[n * 999 / 1000]);
  free(half);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3)
    return fprintf(stderr, "usage: bridge-bench serve|ping|pong|send|recv SOCKET [SIZE [COUNT]]\n"),
           1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *mode = argv[1], *path = argv[2];
  uint32_t size = argc > 3 ? (uint32_t)atol(argv[3]) : 64;
  long n = argc > 4 ? atol(argv[4]) : 10000;
  if (size < 8) size = 8;
  rtipc_producer* p = NULL;
  rtipc_consumer* c = NULL;
  int status;
  if (strcmp(mode, "serve") == 0) return serve(path);
  if (strcmp(mode, "ping") == 0) {
    if (connect_group(path, "bench/ping", "bench/pong", size, &p, &c)) return 1;
    status = ping(p, c, n);
  } else if (strcmp(mode, "pong") == 0) {
    if (connect_group(path, "bench/pong", "bench/ping", size, &p, &c)) return 1;
    status = echo(p, c);
  } else if (strcmp(mode, "send") == 0) {
    if (connect_group(path, "bench/stream", NULL, size, &p, &c)) return 1;
    for (long i = 0; i < n; i++) {
      memcpy(rtipc_producer_msg(p), &i, sizeof i);
      push(p);
    }
    while (rtipc_producer_pending(p) > 0 && rtipc_producer_peer_alive(p) != 0) usleep(1000);
    status = 0;
  } else if (strcmp(mode, "recv") == 0) {
    if (connect_group(path, NULL, "bench/stream", size, &p, &c)) return 1;
    status = count(c, n);
  } else {
    return fprintf(stderr, "bridge-bench: unknown mode %s\n", mode), 1;
  }
  rtipc_producer_destroy(p);
  rtipc_consumer_destroy(c);
  return status;
}
