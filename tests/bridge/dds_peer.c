/*
 * dds-peer: a program written against Cyclone DDS alone (no librtipc), for
 * the bridge tests: any DDS program can read and write a bridged topic,
 * and a hostile one cannot hurt the bridge.
 *
 *   dds-peer read TOPIC SIZE COUNT     takes COUNT frames from rtipc/SIZE/TOPIC
 *                                      and checks each payload
 *   dds-peer write TOPIC SIZE COUNT    writes COUNT well-formed frames
 *   dds-peer hostile TOPIC SIZE COUNT  writes malformed frames (wrong payload
 *                                      sizes, nonzero flags, wild sequence
 *                                      numbers) interleaved with COUNT
 *                                      well-formed ones, then a flood
 *
 * The payload of message i is the uint64 i, then (uint8_t)(i * 13 + j) at
 * offset j >= 8, as bridge-peer writes and checks. QoS: reliable, keep-last
 * 8 (a bridge channel with push=try), the reader keep-all. CYCLONEDDS_URI configures the network.
 * Prints one "dds-peer: key=value ..." line. Exit status: 0 ok, 1 usage or
 * DDS failure, 3 timeout, 4 bad payload.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dds/dds.h>

#include "frame.h"

#define PAYLOAD_BOUND 1048576u

/* How long to wait for a match or the next sample: DDS_PEER_TIMEOUT_S, 20. */
static double timeout_s(void) {
  const char* t = getenv("DDS_PEER_TIMEOUT_S");
  return t ? atof(t) : 20;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill(uint8_t* p, size_t size, uint64_t i) {
  memcpy(p, &i, sizeof i);
  for (size_t j = 8; j < size; j++) p[j] = (uint8_t)(i * 13 + j);
}

static bool check(const uint8_t* p, size_t size) {
  uint64_t i;
  memcpy(&i, p, sizeof i);
  for (size_t j = 8; j < size; j++)
    if (p[j] != (uint8_t)(i * 13 + j)) return false;
  return true;
}

static dds_qos_t* frame_qos(void) {
  dds_qos_t* qos = dds_create_qos();
  dds_qset_reliability(qos, DDS_RELIABILITY_RELIABLE, DDS_SECS(1));
  dds_qset_history(qos, DDS_HISTORY_KEEP_LAST, 8);
  return qos;
}

/* Waits until the writer has at least one matched reader. */
static bool wait_matched(dds_entity_t writer, double timeout_s) {
  double end = now_s() + timeout_s;
  dds_publication_matched_status_t st;
  while (now_s() < end) {
    if (dds_get_publication_matched_status(writer, &st) == 0 && st.current_count > 0) return true;
    dds_sleepfor(DDS_MSECS(20));
  }
  return false;
}

static int do_read(dds_entity_t pp, dds_entity_t topic, uint32_t size, long count) {
  dds_qos_t* qos = frame_qos();
  /* Keeps what arrives while it sleeps: reliable, nothing overwritten. */
  dds_qset_history(qos, DDS_HISTORY_KEEP_ALL, 0);
  dds_entity_t reader = dds_create_reader(pp, topic, qos, NULL);
  dds_delete_qos(qos);
  if (reader < 0) return 1;
  long got = 0, bad = 0;
  double last = now_s();
  while (got < count && now_s() - last < timeout_s()) {
    void* samples[16] = {0};
    dds_sample_info_t infos[16];
    int32_t n = dds_take(reader, samples, infos, 16, 16);
    if (n <= 0) {
      dds_sleepfor(DDS_MSECS(1));
      continue;
    }
    for (int32_t i = 0; i < n; i++) {
      if (!infos[i].valid_data) continue;
      const rtipc_bridge_Frame* f = samples[i];
      got++;
      if (f->payload._length != size || f->flags != 0 || !check(f->payload._buffer, size)) bad++;
    }
    dds_return_loan(reader, samples, n);
    last = now_s();
  }
  printf("dds-peer: read=%ld bad=%ld\n", got, bad);
  return bad ? 4 : got == count ? 0 : 3;
}

static dds_return_t write_frame(dds_entity_t writer, uint64_t seq, uint32_t flags, uint8_t* buf,
                                uint32_t length) {
  rtipc_bridge_Frame f = {.seq = seq, .flags = flags};
  f.payload._buffer = buf;
  f.payload._length = f.payload._maximum = length;
  f.payload._release = false;
  return dds_write(writer, &f);
}

static int do_write(dds_entity_t writer, uint32_t size, long count) {
  uint8_t* buf = calloc(1, size);
  long written = 0;
  for (long i = 0; i < count; i++) {
    fill(buf, size, (uint64_t)i);
    if (write_frame(writer, (uint64_t)i, 0, buf, size) == 0) written++;
  }
  dds_wait_for_acks(writer, DDS_SECS(10));
  free(buf);
  printf("dds-peer: written=%ld\n", written);
  return written == count ? 0 : 1;
}

/* Each malformed frame is written and acknowledged before the next, so
 * that the bridge sees every one; then a flood nobody waits for. */
static int do_hostile(dds_entity_t writer, uint32_t size, long count) {
  uint8_t* buf = calloc(1, PAYLOAD_BOUND + 1);
  const uint32_t bad_sizes[] = {0, 1, size - 1, size + 1, size * 2, PAYLOAD_BOUND};
  long malformed = 0, good = 0, refused_by_writer = 0;
  uint64_t seq = 0;
  srand(42);
  for (long i = 0; i < count; i++) {
    for (size_t k = 0; k < sizeof bad_sizes / sizeof bad_sizes[0]; k++) {
      for (uint32_t j = 0; j < bad_sizes[k]; j++) buf[j] = (uint8_t)rand();
      if (write_frame(writer, (uint64_t)rand() << 32, 0, buf, bad_sizes[k]) == 0) malformed++;
      dds_wait_for_acks(writer, DDS_SECS(5));
    }
    fill(buf, size, (uint64_t)i);
    if (write_frame(writer, seq++, 0x80000000u | (uint32_t)rand(), buf, size) == 0) malformed++;
    /* Beyond the type's bound: Cyclone's serializer should refuse it. */
    if (write_frame(writer, seq, 0, buf, PAYLOAD_BOUND + 1) != 0) refused_by_writer++;
    if (write_frame(writer, seq++, 0, buf, size) == 0) good++;
    dds_wait_for_acks(writer, DDS_SECS(5));
  }
  /* The flood: as fast as the writer goes, wrong and right sizes mixed. */
  long flood = 0;
  for (long i = 0; i < 100000; i++) {
    uint32_t len = (i & 1) ? size : (uint32_t)rand() % (2 * size + 1);
    if (len == size) fill(buf, size, (uint64_t)i);
    if (write_frame(writer, (uint64_t)rand(), (uint32_t)(i & 2), buf, len) == 0) flood++;
  }
  dds_wait_for_acks(writer, DDS_SECS(10));
  free(buf);
  printf("dds-peer: malformed=%ld good=%ld refused_by_writer=%ld flood=%ld\n", malformed, good,
         refused_by_writer, flood);
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: dds-peer read|write|hostile TOPIC SIZE COUNT\n");
    return 1;
  }
  const char* mode = argv[1];
  uint32_t size = (uint32_t)strtoul(argv[3], NULL, 10);
  long count = atol(argv[4]);
  if (size < 8 || size > PAYLOAD_BOUND) return 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  char name[300];
  snprintf(name, sizeof name, "rtipc/%" PRIu32 "/%s", size, argv[2]);

  dds_entity_t pp = dds_create_participant(DDS_DOMAIN_DEFAULT, NULL, NULL);
  if (pp < 0) {
    fprintf(stderr, "dds-peer: participant: %s\n", dds_strretcode(pp));
    return 1;
  }
  dds_entity_t topic = dds_create_topic(pp, &rtipc_bridge_Frame_desc, name, NULL, NULL);
  if (topic < 0) return 1;
  int status;
  if (strcmp(mode, "read") == 0) {
    status = do_read(pp, topic, size, count);
  } else {
    dds_qos_t* qos = frame_qos();
    /* A well-behaved writer keeps what is not acknowledged yet, so a
     * reader that discovers it a moment late still gets everything. */
    if (strcmp(mode, "write") == 0) dds_qset_history(qos, DDS_HISTORY_KEEP_ALL, 0);
    dds_entity_t writer = dds_create_writer(pp, topic, qos, NULL);
    dds_delete_qos(qos);
    if (writer < 0 || !wait_matched(writer, timeout_s())) {
      fprintf(stderr, "dds-peer: no reader on %s\n", name);
      dds_delete(pp);
      return 3;
    }
    status = strcmp(mode, "write") == 0 ? do_write(writer, size, count)
                                        : do_hostile(writer, size, count);
  }
  dds_delete(pp);
  return status;
}
