/*
 * dds-bench: the plain Cyclone DDS baseline of scripts/bench-bridge, with
 * the bridge's type (frame.idl), topic names and QoS (push=try: reliable,
 * keep-last 256), and no rtipc at all.
 *
 *   dds-bench ping SIZE COUNT   round trips: prints latency_ns p50= p99= p999=
 *   dds-bench pong SIZE         echoes until killed
 *   dds-bench send SIZE COUNT   streams COUNT frames
 *   dds-bench recv SIZE COUNT   prints throughput msgs= per_s=
 *
 * Waits sleep in a DDS waitset, as the bridge sleeps in its loop.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dds/dds.h>

#include "frame.h"

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

struct end {
  dds_entity_t pp, writer, reader, waitset;
  uint8_t* buf;
  uint32_t size;
};

static dds_entity_t topic(dds_entity_t pp, const char* name, uint32_t size) {
  char full[128];
  snprintf(full, sizeof full, "rtipc/%" PRIu32 "/%s", size, name);
  return dds_create_topic(pp, &rtipc_bridge_Frame_desc, full, NULL, NULL);
}

static void open_end(struct end* e, const char* out, const char* in, uint32_t size) {
  dds_qos_t* qos = dds_create_qos();
  dds_qset_reliability(qos, DDS_RELIABILITY_RELIABLE, DDS_MSECS(100));
  dds_qset_history(qos, DDS_HISTORY_KEEP_LAST, SLOTS);
  e->size = size;
  e->buf = calloc(1, size);
  e->pp = dds_create_participant(DDS_DOMAIN_DEFAULT, NULL, NULL);
  if (out) e->writer = dds_create_writer(e->pp, topic(e->pp, out, size), qos, NULL);
  if (in) {
    e->reader = dds_create_reader(e->pp, topic(e->pp, in, size), qos, NULL);
    e->waitset = dds_create_waitset(e->pp);
    dds_entity_t rc = dds_create_readcondition(e->reader, DDS_ANY_STATE);
    dds_waitset_attach(e->waitset, rc, 0);
  }
  dds_delete_qos(qos);
}

static void wait_matched(struct end* e) {
  dds_publication_matched_status_t st = {0};
  while (dds_get_publication_matched_status(e->writer, &st) == 0 && st.current_count == 0)
    dds_sleepfor(DDS_MSECS(10));
  dds_sleepfor(DDS_MSECS(200)); /* the other direction too */
}

static void write_frame(struct end* e, uint64_t seq) {
  rtipc_bridge_Frame f = {.seq = seq};
  memcpy(e->buf, &seq, sizeof seq);
  f.payload._buffer = e->buf;
  f.payload._length = f.payload._maximum = e->size;
  dds_write(e->writer, &f);
}

/* Takes up to 32 samples, sleeping until there is one (or timeout). */
static int32_t take(struct end* e, dds_duration_t timeout) {
  void* samples[32] = {0};
  dds_sample_info_t infos[32];
  for (;;) {
    int32_t n = dds_take(e->reader, samples, infos, 32, 32);
    if (n > 0) {
      int32_t valid = 0;
      for (int32_t i = 0; i < n; i++) valid += infos[i].valid_data;
      dds_return_loan(e->reader, samples, n);
      if (valid) return valid;
      continue;
    }
    if (dds_waitset_wait(e->waitset, NULL, 0, timeout) == 0) return 0;
  }
}

int main(int argc, char** argv) {
  if (argc < 3) return fprintf(stderr, "usage: dds-bench ping|pong|send|recv SIZE [COUNT]\n"), 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char* mode = argv[1];
  uint32_t size = (uint32_t)atol(argv[2]);
  long n = argc > 3 ? atol(argv[3]) : 10000;
  struct end e = {0};
  if (strcmp(mode, "ping") == 0) {
    open_end(&e, "bench/ping", "bench/pong", size);
    wait_matched(&e);
    const long warmup = 1000;
    uint64_t* half = malloc(sizeof *half * (size_t)n);
    for (long i = -warmup; i < n; i++) {
      uint64_t t0 = now_ns();
      write_frame(&e, (uint64_t)i);
      if (take(&e, DDS_SECS(5)) == 0) return fprintf(stderr, "dds-bench: no echo\n"), 1;
      if (i >= 0) half[i] = (now_ns() - t0) / 2;
    }
    qsort(half, (size_t)n, sizeof *half, cmp_u64);
    printf("latency_ns p50=%" PRIu64 " p99=%" PRIu64 " p999=%" PRIu64 "\n", half[n / 2],
           half[n * 99 / 100], half[n * 999 / 1000]);
    free(half);
  } else if (strcmp(mode, "pong") == 0) {
    open_end(&e, "bench/pong", "bench/ping", size);
    for (;;) {
      int32_t k = take(&e, DDS_INFINITY);
      for (int32_t i = 0; i < k; i++) write_frame(&e, 0);
    }
  } else if (strcmp(mode, "send") == 0) {
    open_end(&e, "bench/stream", NULL, size);
    wait_matched(&e);
    for (long i = 0; i < n; i++) write_frame(&e, (uint64_t)i);
    dds_wait_for_acks(e.writer, DDS_SECS(10));
  } else if (strcmp(mode, "recv") == 0) {
    open_end(&e, NULL, "bench/stream", size);
    long got = 0;
    uint64_t first = 0, last = 0;
    while (got < n) {
      int32_t k = take(&e, got ? DDS_SECS(2) : DDS_SECS(60));
      if (k == 0) break;
      last = now_ns();
      if (got == 0) first = last;
      got += k;
    }
    double s = (double)(last - first) / 1e9;
    printf("throughput msgs=%ld per_s=%.0f\n", got, got > 1 && s > 0 ? (double)(got - 1) / s : 0.0);
  }
  dds_delete(e.pp);
  free(e.buf);
  return 0;
}
