/*
 * rtipc-ping SOCKET [-n ROUNDTRIPS] [-s SIZE] [-c CALLS] [-w WAKEUPS]: the C
 * reference client of the language benchmarks (every binding has one that
 * behaves and prints the same). Against rtipc-pong it measures the per-call
 * cost of rtipc_consume finding nothing and of rtipc_produce, then busy-poll
 * round trips, and then, in a second session whose echo channel has an
 * eventfd, wake-up round trips: produce, sleep in a waitset until the echo
 * is there, consume. Prints one JSON line.
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

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void* a, const void* b) {
  uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return x < y ? -1 : x > y;
}

static uint64_t seq_of(const rtipc_consumer* in) {
  uint64_t v;
  memcpy(&v, rtipc_consumer_msg(in), sizeof v);
  return v;
}

/* Takes every echo that is there (pong may still be sending some). */
static void drain(rtipc_consumer* in) {
  for (int idle = 0; idle < 1000000; idle++)
    if (rtipc_consume(in, RTIPC_CONSUME_NEXT) >= RTIPC_NEW) idle = 0;
}

static void round_trip(rtipc_producer* out, rtipc_consumer* in, uint64_t seq) {
  memcpy(rtipc_producer_msg(out), &seq, sizeof seq);
  rtipc_produce(out, RTIPC_PRODUCE_FORCE);
  for (;;)
    if (rtipc_consume(in, RTIPC_CONSUME_NEXT) >= RTIPC_NEW && seq_of(in) == seq) return;
}

static void end_session(rtipc_producer* out) {
  memset(rtipc_producer_msg(out), 0xFF, 8); /* the end marker */
  rtipc_produce(out, RTIPC_PRODUCE_FORCE);
}

/* Produces seq, then sleeps in the waitset until its echo is there. */
static int wake_round_trip(rtipc_waitset* ws, rtipc_producer* out, rtipc_consumer* in,
                           uint64_t seq) {
  memcpy(rtipc_producer_msg(out), &seq, sizeof seq);
  rtipc_produce(out, RTIPC_PRODUCE_FORCE);
  for (;;) {
    struct rtipc_waitset_event ev;
    int n = rtipc_waitset_wait(ws, &ev, 1, 5000);
    if (n == 0) return -ETIMEDOUT;
    if (n < 0 && n != -EINTR) return n;
    while (rtipc_consume(in, RTIPC_CONSUME_NEXT) >= RTIPC_NEW)
      if (seq_of(in) == seq) return 0;
  }
}

/* The second session: wakeups round trips through a waitset; *rtt sorted. */
static int wake_session(const char* path, uint32_t size, long wakeups, uint64_t* rtt) {
  struct rtipc_channel_config plain = RTIPC_CHANNEL_CONFIG_INIT, woken = RTIPC_CHANNEL_CONFIG_INIT;
  plain.msg_size = woken.msg_size = size;
  woken.flags = RTIPC_CHANNEL_EVENTFD; /* the echoes' channel: pong's produce signals it */
  struct rtipc_group_config config = RTIPC_GROUP_CONFIG_INIT;
  config.producers = &plain;
  config.producer_count = 1;
  config.consumers = &woken;
  config.consumer_count = 1;
  rtipc_group* group;
  int err = rtipc_client_connect(path, &config, 5000, &group);
  if (err < 0) return err;
  rtipc_producer* out;
  rtipc_consumer* in;
  rtipc_group_take_producer(group, 0, &out);
  rtipc_group_take_consumer(group, 0, &in);
  rtipc_group_destroy(group);
  rtipc_waitset* ws = NULL;
  err = rtipc_waitset_create(NULL, &ws);
  if (err == 0) err = rtipc_waitset_add_consumer(ws, in, 0);
  for (uint64_t i = 0; err == 0 && i < 100; i++) /* warm up */
    err = wake_round_trip(ws, out, in, i);
  for (long i = 0; err == 0 && i < wakeups; i++) {
    uint64_t start = now_ns();
    err = wake_round_trip(ws, out, in, (uint64_t)i + 100);
    rtt[i] = now_ns() - start;
  }
  end_session(out);
  if (ws) rtipc_waitset_remove_consumer(ws, in);
  rtipc_waitset_destroy(ws);
  rtipc_producer_destroy(out);
  rtipc_consumer_destroy(in);
  qsort(rtt, (size_t)wakeups, sizeof *rtt, cmp_u64);
  return err;
}

#define USAGE "usage: rtipc-ping SOCKET [-n ROUNDTRIPS] [-s SIZE] [-c CALLS] [-w WAKEUPS]\n"

int main(int argc, char** argv) {
  long roundtrips = 100000, size = 16, calls = 1000000, wakeups = 2000;
  int c;
  while ((c = getopt(argc, argv, "n:s:c:w:h")) != -1) {
    long* target = c == 'n'   ? &roundtrips
                   : c == 's' ? &size
                   : c == 'c' ? &calls
                   : c == 'w' ? &wakeups
                              : NULL;
    if (!target) {
      fprintf(c == 'h' ? stdout : stderr, USAGE);
      return c == 'h' ? 0 : 2;
    }
    *target = strtol(optarg, NULL, 10);
  }
  if (optind + 1 != argc || roundtrips < 1 || size < 8 || calls < 1 || wakeups < 1) {
    fprintf(stderr, USAGE);
    return 2;
  }

  struct rtipc_channel_config channel = RTIPC_CHANNEL_CONFIG_INIT;
  channel.msg_size = (uint32_t)size;
  struct rtipc_group_config config = RTIPC_GROUP_CONFIG_INIT;
  config.producers = &channel;
  config.producer_count = 1;
  config.consumers = &channel;
  config.consumer_count = 1;
  rtipc_group* group;
  if (rtipc_client_connect(argv[optind], &config, 5000, &group) < 0) {
    fprintf(stderr, "rtipc-ping: %s\n", rtipc_last_error());
    return 1;
  }
  rtipc_producer* out;
  rtipc_consumer* in;
  rtipc_group_take_producer(group, 0, &out);
  rtipc_group_take_consumer(group, 0, &in);
  rtipc_group_destroy(group);

  for (uint64_t i = 0; i < 1000; i++) /* warm up both sides */
    round_trip(out, in, i);

  uint64_t t0 = now_ns();
  for (long i = 0; i < calls; i++) rtipc_consume(in, RTIPC_CONSUME_NEXT);
  double consume_ns = (double)(now_ns() - t0) / (double)calls;

  uint64_t seq = UINT64_C(1) << 40; /* apart from the round trips' numbers */
  t0 = now_ns();
  for (long i = 0; i < calls; i++) {
    memcpy(rtipc_producer_msg(out), &seq, sizeof seq);
    rtipc_produce(out, RTIPC_PRODUCE_FORCE);
  }
  double produce_ns = (double)(now_ns() - t0) / (double)calls;
  drain(in);

  uint64_t* rtt = malloc(sizeof *rtt * (size_t)roundtrips);
  if (!rtt) return 1;
  for (long i = 0; i < roundtrips; i++) {
    uint64_t start = now_ns();
    round_trip(out, in, (uint64_t)i + 1000);
    rtt[i] = now_ns() - start;
  }
  qsort(rtt, (size_t)roundtrips, sizeof *rtt, cmp_u64);
  uint64_t p50 = rtt[roundtrips / 2], p99 = rtt[roundtrips * 99 / 100],
           p999 = rtt[roundtrips * 999 / 1000];

  end_session(out);
  rtipc_producer_destroy(out);
  rtipc_consumer_destroy(in);

  uint64_t* wake = malloc(sizeof *wake * (size_t)wakeups);
  int err = wake ? wake_session(argv[optind], (uint32_t)size, wakeups, wake) : -ENOMEM;
  if (err < 0) {
    fprintf(stderr, "rtipc-ping: wake-up session: %s\n", rtipc_strerror(err));
    return 1;
  }
  printf(
      "{\"lang\":\"c\",\"size\":%ld,\"calls\":%ld,\"consume_empty_ns\":%.2f,"
      "\"produce_ns\":%.2f,\"roundtrips\":%ld,\"rtt_p50_ns\":%llu,\"rtt_p99_ns\":%llu,"
      "\"rtt_p999_ns\":%llu,\"oneway_p50_ns\":%.1f,\"wakeups\":%ld,"
      "\"wakeup_rtt_p50_ns\":%llu,\"wakeup_rtt_p99_ns\":%llu}\n",
      size, calls, consume_ns, produce_ns, roundtrips, (unsigned long long)p50,
      (unsigned long long)p99, (unsigned long long)p999, (double)p50 / 2, wakeups,
      (unsigned long long)wake[wakeups / 2], (unsigned long long)wake[wakeups * 99 / 100]);
  free(wake);
  free(rtt);
  return 0;
}
