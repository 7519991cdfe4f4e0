/*
 * gap-peer: the C side of the bindings' gap and discard tests. Listens on
 * SOCKET and accepts one client offering one channel each way (16-byte
 * messages or more), then:
 *
 * gaps: force-produces the numbers 1..N (uint64 at offset 0) in bursts
 *   longer than the queue, so that the client's consumer must skip some.
 *   For every message it takes, the client reports back (with TRY, never
 *   losing one) the number and the consume result (uint64 at offset 8: 2
 *   new, 3 new after a gap). The peer checks that the numbers rise, that
 *   the client reported a gap exactly where numbers are missing, that at
 *   least one gap happened, and, when the group's info says "next", that
 *   the messages missed are exactly those its produce reported discarded.
 *
 * discards: the client force-produces 1..N as fast as it can and then
 *   UINT64_MAX with its count of discards (results "published, discarded")
 *   at offset 8; the peer consumes slowly, checks its own gap reports, and
 *   that the messages it missed equal the client's discards.
 *
 * usage: gap-peer SOCKET gaps|discards N
 * Exit status: 0 ok, 1 usage or setup, 2 a check failed, 3 timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rtipc/rtipc.h>

#define fail(status, ...) (fprintf(stderr, "gap-peer: " __VA_ARGS__), exit(status))

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t word(const void* msg, int index) {
  uint64_t v;
  memcpy(&v, (const char*)msg + 8 * index, sizeof v);
  return v;
}

static int accept_pair(const rtipc_proposal* p, void* user) {
  (void)user;
  struct rtipc_channel_config a = RTIPC_CHANNEL_CONFIG_INIT, b = RTIPC_CHANNEL_CONFIG_INIT;
  return rtipc_proposal_producer_count(p) == 1 && rtipc_proposal_consumer_count(p) == 1 &&
         rtipc_proposal_producer_config(p, 0, &a) == 0 &&
         rtipc_proposal_consumer_config(p, 0, &b) == 0 && a.msg_size >= 16 && b.msg_size >= 16;
}

struct checker {
  uint64_t prev, seen, missed, gaps;
};

/* One message with number seq that the consumer side called a gap or not. */
static void check_step(struct checker* c, uint64_t seq, bool gap, const char* who) {
  if (seq <= c->prev)
    fail(2, "%s: number %llu after %llu\n", who, (unsigned long long)seq,
         (unsigned long long)c->prev);
  bool missing = seq != c->prev + 1;
  if (gap != missing)
    fail(2, "%s: %s at %llu after %llu\n", who, gap ? "a gap reported" : "no gap reported",
         (unsigned long long)seq, (unsigned long long)c->prev);
  c->missed += seq - c->prev - 1;
  c->gaps += missing;
  c->seen++;
  c->prev = seq;
}

/* Takes every report waiting; returns whether the report of last came. */
static bool drain_reports(rtipc_consumer* in, struct checker* c, uint64_t last) {
  for (;;) {
    int r = rtipc_consume(in, RTIPC_CONSUME_NEXT);
    if (r < 0) fail(2, "consume: %s\n", rtipc_strerror(r));
    if (r == RTIPC_NEW_AFTER_GAP) fail(2, "a report was lost: the client must report with TRY\n");
    if (r != RTIPC_NEW) return c->prev == last;
    const void* m = rtipc_consumer_msg(in);
    uint64_t result = word(m, 1);
    if (result != RTIPC_NEW && result != RTIPC_NEW_AFTER_GAP)
      fail(2, "the client reported consume result %llu\n", (unsigned long long)result);
    check_step(c, word(m, 0), result == RTIPC_NEW_AFTER_GAP, "client's consumer");
  }
}

static void produce_number(rtipc_producer* out, uint64_t seq, uint64_t* discarded) {
  memcpy(rtipc_producer_msg(out), &seq, sizeof seq);
  int r = rtipc_produce(out, RTIPC_PRODUCE_FORCE);
  if (r < 0) fail(2, "produce: %s\n", rtipc_strerror(r));
  *discarded += r == RTIPC_PUBLISHED_DISCARDED;
}

static int run_gaps(rtipc_producer* out, rtipc_consumer* in, uint64_t n, bool next_mode) {
  struct checker c = {0};
  uint64_t discarded = 0, seq = 1;
  double deadline = now_s() + 20;
  /* The first number alone, so that the client is there before bursts. */
  produce_number(out, seq, &discarded);
  while (!drain_reports(in, &c, 1))
    if (now_s() > deadline) fail(3, "no report of the first message\n");
  unsigned burst = 1;
  while (seq < n) {
    burst = burst * 7 % 23 + 1; /* 1..23: some fit the queue, most do not */
    for (unsigned i = 0; i < burst && seq < n; i++) produce_number(out, ++seq, &discarded);
    /* The newest message is never lost: wait for its report, so that
     * every burst is seen and bursts do not run together. */
    while (!drain_reports(in, &c, seq))
      if (now_s() > deadline) fail(3, "no report of message %llu\n", (unsigned long long)seq);
  }
  if (c.gaps == 0) fail(2, "no gap happened: the test proved nothing\n");
  if (next_mode && c.missed != discarded)
    fail(2, "NEXT missed %llu messages but %llu were discarded\n", (unsigned long long)c.missed,
         (unsigned long long)discarded);
  if (c.seen + c.missed != n)
    fail(2, "%llu seen + %llu missed != %llu\n", (unsigned long long)c.seen,
         (unsigned long long)c.missed, (unsigned long long)n);
  printf("gap-peer: gaps OK: %llu sent, %llu seen, %llu gaps, %llu missed, %llu discarded\n",
         (unsigned long long)n, (unsigned long long)c.seen, (unsigned long long)c.gaps,
         (unsigned long long)c.missed, (unsigned long long)discarded);
  return 0;
}

static int run_discards(rtipc_consumer* in, uint64_t n) {
  struct checker c = {0};
  double deadline = now_s() + 20;
  for (;;) {
    int r = rtipc_consume(in, RTIPC_CONSUME_NEXT);
    if (r < 0) fail(2, "consume: %s\n", rtipc_strerror(r));
    if (r < RTIPC_NEW) {
      if (now_s() > deadline) fail(3, "no end marker\n");
      continue;
    }
    const void* m = rtipc_consumer_msg(in);
    uint64_t seq = word(m, 0);
    if (seq == UINT64_MAX) {
      uint64_t discards = word(m, 1);
      uint64_t missed = c.missed + (n - c.prev);
      if (r != (n == c.prev ? RTIPC_NEW : RTIPC_NEW_AFTER_GAP))
        fail(2, "gap report of the end marker wrong\n");
      if (missed != discards)
        fail(2, "missed %llu messages, the client reported %llu discards\n",
             (unsigned long long)missed, (unsigned long long)discards);
      if (discards == 0) fail(2, "no discard happened: the test proved nothing\n");
      printf("gap-peer: discards OK: %llu sent, %llu seen, %llu missed = discarded\n",
             (unsigned long long)n, (unsigned long long)c.seen, (unsigned long long)missed);
      return 0;
    }
    check_step(&c, seq, r == RTIPC_NEW_AFTER_GAP, "peer's consumer");
    usleep(20); /* slow, so that the client's queue overflows */
  }
}

int main(int argc, char** argv) {
  if (argc != 4 || (strcmp(argv[2], "gaps") && strcmp(argv[2], "discards")))
    fail(1, "usage: gap-peer SOCKET gaps|discards N\n");
  char* end;
  unsigned long long n = strtoull(argv[3], &end, 10);
  if (*end || n < 2) fail(1, "N must be a number >= 2\n");
  unlink(argv[1]);
  struct rtipc_server_config config = RTIPC_SERVER_CONFIG_INIT;
  config.filter = accept_pair;
  rtipc_server* server;
  int err = rtipc_server_create(argv[1], &config, &server);
  if (err < 0) fail(1, "listen on %s: %s\n", argv[1], rtipc_strerror(err));
  rtipc_group* group;
  err = rtipc_server_accept(server, 20000, &group);
  rtipc_server_destroy(server);
  if (err < 0) fail(1, "accept: %s\n", rtipc_last_error());
  size_t info_size;
  const char* info = rtipc_group_info(group, &info_size);
  bool next_mode = info && info_size == 4 && memcmp(info, "next", 4) == 0;
  rtipc_producer* out;
  rtipc_consumer* in;
  if (rtipc_group_take_producer(group, 0, &out) < 0 || rtipc_group_take_consumer(group, 0, &in) < 0)
    fail(1, "take channels: %s\n", rtipc_last_error());
  rtipc_group_destroy(group);
  int status = strcmp(argv[2], "gaps") == 0 ? run_gaps(out, in, n, next_mode) : run_discards(in, n);
  rtipc_producer_destroy(out);
  rtipc_consumer_destroy(in);
  return status;
}
