/* Channel groups through the C API, in one process: creation with several
 * configurations, what a group reports about itself, taking channels out,
 * the request and descriptors it hands to a server, and bad arguments. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <rtipc/rtipc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static size_t align_cl(size_t x) {
  const size_t cl = rtipc_default_cacheline();
  return (x + cl - 1) / cl * cl;
}

/* docs/protocol.md 6.2: index area, then n slots. */
static size_t channel_size(const struct rtipc_channel_config* c) {
  size_t n = 3 + (size_t)c->add_msgs;
  return align_cl((2 + n) * 4) + n * align_cl(c->msg_size);
}

static void check_channel_config(const struct rtipc_channel_config* got,
                                 const struct rtipc_channel_config* want) {
  CHECK_EQ(got->msg_size, want->msg_size);
  CHECK_EQ(got->add_msgs, want->add_msgs);
  CHECK_EQ(got->flags, want->flags);
  CHECK_BYTES(got->info, got->info_size, want->info, want->info_size);
}

/* Creates a group from config and checks everything it says about itself and
 * about the channels taken out of it. */
static void check_group(const char* name, const struct rtipc_group_config* config) {
  rtipc_group* group = NULL;
  int rc = rtipc_group_create(config, &group);
  CHECK_EQ(rc, 0);
  if (rc != 0) {
    fprintf(stderr, "  (%s: %s)\n", name, rtipc_last_error());
    return;
  }
  CHECK_EQ(rtipc_group_producer_count(group), config->producer_count);
  CHECK_EQ(rtipc_group_consumer_count(group), config->consumer_count);
  size_t info_size = 99;
  const void* info = rtipc_group_info(group, &info_size);
  CHECK_BYTES(info, info_size, config->info, config->info_size);
  if (config->info_size == 0) CHECK(info == NULL);

  size_t want_request = 20, want_fds = 1, want_region = 0;
  uint32_t total = config->producer_count + config->consumer_count;
  for (uint32_t i = 0; i < total; ++i) {
    int produced = i < config->producer_count;
    const struct rtipc_channel_config* want =
        produced ? &config->producers[i] : &config->consumers[i - config->producer_count];
    uint32_t index = produced ? i : i - config->producer_count;
    struct rtipc_channel_config got = RTIPC_CHANNEL_CONFIG_INIT;
    memset(&got, 0xab, sizeof got);
    got.size = sizeof got;
    CHECK_EQ(produced ? rtipc_group_producer_config(group, index, &got)
                      : rtipc_group_consumer_config(group, index, &got),
             0);
    check_channel_config(&got, want);
    want_request += 16 + want->info_size;
    want_fds += (want->flags & RTIPC_CHANNEL_EVENTFD) != 0;
    want_region += channel_size(want);
  }
  want_request += config->info_size;
  CHECK_EQ(rtipc_group_request(group, NULL, 0), want_request);
  CHECK_EQ(rtipc_group_fds(group, NULL, 0), want_fds);

  int* fds = calloc(want_fds, sizeof *fds);
  CHECK_EQ(rtipc_group_fds(group, fds, want_fds), want_fds);
  struct stat st;
  CHECK_EQ(fstat(fds[0], &st), 0);
  CHECK_EQ(st.st_size, want_region);
  free(fds);

  for (uint32_t i = 0; i < config->producer_count; ++i) {
    rtipc_producer* p = NULL;
    CHECK_EQ(rtipc_group_take_producer(group, i, &p), 0);
    if (!p) continue;
    const struct rtipc_channel_config* want = &config->producers[i];
    CHECK_EQ(rtipc_producer_msg_size(p), want->msg_size);
    CHECK_EQ(rtipc_producer_slots(p), 3 + want->add_msgs);
    size_t size;
    const void* bytes = rtipc_producer_info(p, &size);
    CHECK_BYTES(bytes, size, want->info, want->info_size);
    CHECK_EQ(rtipc_producer_fd(p) >= 0, (want->flags & RTIPC_CHANNEL_EVENTFD) != 0);
    CHECK(rtipc_producer_msg(p) != NULL);
    CHECK_EQ((uintptr_t)rtipc_producer_msg(p) % rtipc_default_cacheline(), 0);
    rtipc_producer_destroy(p);
  }
  for (uint32_t i = 0; i < config->consumer_count; ++i) {
    rtipc_consumer* c = NULL;
    CHECK_EQ(rtipc_group_take_consumer(group, i, &c), 0);
    if (!c) continue;
    const struct rtipc_channel_config* want = &config->consumers[i];
    CHECK_EQ(rtipc_consumer_msg_size(c), want->msg_size);
    CHECK_EQ(rtipc_consumer_slots(c), 3 + want->add_msgs);
    size_t size;
    const void* bytes = rtipc_consumer_info(c, &size);
    CHECK_BYTES(bytes, size, want->info, want->info_size);
    CHECK_EQ(rtipc_consumer_fd(c) >= 0, (want->flags & RTIPC_CHANNEL_EVENTFD) != 0);
    CHECK(rtipc_consumer_msg(c) == NULL); /* nothing consumed yet */
    CHECK_EQ(rtipc_consume(c, RTIPC_CONSUME_NEXT), RTIPC_NOTHING_PRODUCED);
    CHECK_EQ(rtipc_consume(c, RTIPC_CONSUME_LATEST), RTIPC_NOTHING_PRODUCED);
    rtipc_consumer_destroy(c);
  }
  rtipc_group_destroy(group);
}

static void test_configurations(void) {
  static const char cmd[] = "command";
  static const uint8_t blob[] = {0, 1, 2, 0, 255};
  static const char group_info[] = "group metadata, no terminating NUL";

  struct rtipc_channel_config one_plain = CHANNEL_INIT(NULL, 0, 8, 0, 0);
  struct rtipc_group_config producer_only = GROUP_INIT(&one_plain, NULL, NULL, 1, 0, 0, 0);
  check_group("producer only", &producer_only);

  struct rtipc_channel_config one_event =
      CHANNEL_INIT(cmd, sizeof cmd, 100, 7, RTIPC_CHANNEL_EVENTFD);
  struct rtipc_group_config consumer_only = GROUP_INIT(NULL, &one_event, NULL, 0, 1, 0, 0);
  check_group("consumer only", &consumer_only);

  struct rtipc_channel_config produced[] = {
      CHANNEL_INIT(cmd, sizeof cmd, 16, 0, RTIPC_CHANNEL_EVENTFD),
      CHANNEL_INIT(NULL, 0, 1, 1, 0),
      CHANNEL_INIT(blob, sizeof blob, 4096, 30, RTIPC_CHANNEL_EVENTFD),
  };
  struct rtipc_channel_config consumed[] = {
      CHANNEL_INIT(blob, sizeof blob, 65, 2, 0),
      CHANNEL_INIT(NULL, 0, 1 << 20, 0, RTIPC_CHANNEL_EVENTFD),
  };
  struct rtipc_group_config mixed = GROUP_INIT(produced, consumed, group_info, COUNT(produced),
                                               COUNT(consumed), sizeof group_info - 1, 0);
  check_group("mixed", &mixed);

  mixed.flags = RTIPC_GROUP_PRODUCER_CACHE | RTIPC_GROUP_MLOCK; /* mlock may fail: a warning */
  check_group("mixed, cached, mlock", &mixed);

  /* add_msgs 12, 13, 14: where the C library's slot offset formula is wrong
   * (docs/protocol.md 6.2); the region must follow the correct one. */
  struct rtipc_channel_config layout_fix[] = {
      CHANNEL_INIT(NULL, 0, 8, 12, 0), CHANNEL_INIT(NULL, 0, 8, 13, 0),
      CHANNEL_INIT(NULL, 0, 8, 14, 0), CHANNEL_INIT(NULL, 0, 8, 28, 0)};
  struct rtipc_group_config formula =
      GROUP_INIT(layout_fix, NULL, NULL, COUNT(layout_fix), 0, 0, 0);
  check_group("add_msgs 12..14", &formula);

  /* At the limits: 2^20 slots, 64 MiB messages, info bytes that fill the
   * whole 65536-byte request (20 header bytes, 2 table entries). */
  static char info_max[65536 - 20 - 2 * 16];
  struct rtipc_channel_config largest_channels[] = {
      CHANNEL_INIT(info_max, sizeof info_max, 1, (1u << 20) - 3, 0),
      CHANNEL_INIT(NULL, 0, 64u << 20, 0, RTIPC_CHANNEL_EVENTFD),
  };
  struct rtipc_group_config at_limits = GROUP_INIT(largest_channels, NULL, NULL, 2, 0, 0, 0);
  check_group("at the limits", &at_limits);

  /* The limit: 1024 channels in all. */
  static struct rtipc_channel_config many[512];
  for (size_t i = 0; i < COUNT(many); ++i)
    many[i] = (struct rtipc_channel_config)CHANNEL_INIT(NULL, 0, 4, 0, 0);
  struct rtipc_group_config largest = GROUP_INIT(many, many, NULL, 512, 512, 0, 0);
  check_group("1024 channels", &largest);
}

static void test_take(void) {
  struct rtipc_channel_config c = CHANNEL_INIT(NULL, 0, 8, 0, 0);
  struct rtipc_channel_config pair[] = {c, c};
  struct rtipc_group_config config = GROUP_INIT(pair, &c, NULL, 2, 1, 0, 0);
  rtipc_group* group = NULL;
  CHECK_EQ(rtipc_group_create(&config, &group), 0);
  if (!group) return;

  rtipc_producer *p0 = NULL, *p1 = NULL, *extra = NULL;
  rtipc_consumer *c0 = NULL, *cextra = NULL;
  CHECK_EQ(rtipc_group_take_producer(group, 2, &extra), -EINVAL);
  CHECK_EQ(rtipc_group_take_producer(group, UINT32_MAX, &extra), -EINVAL);
  CHECK_EQ(rtipc_group_take_consumer(group, 1, &cextra), -EINVAL);
  CHECK(extra == NULL && cextra == NULL);

  CHECK_EQ(rtipc_group_take_producer(group, 1, &p1), 0);
  CHECK_EQ(rtipc_group_take_producer(group, 1, &extra), -EBUSY);
  CHECK(extra == NULL);
  CHECK(strlen(rtipc_last_error()) > 0);
  CHECK_EQ(rtipc_group_take_producer(group, 0, &p0), 0);
  CHECK(p0 && p1 && p0 != p1);
  CHECK_EQ(rtipc_group_take_consumer(group, 0, &c0), 0);
  CHECK_EQ(rtipc_group_take_consumer(group, 0, &cextra), -EBUSY);
  CHECK(cextra == NULL);

  /* Configurations stay readable after the channels are taken. */
  struct rtipc_channel_config got = RTIPC_CHANNEL_CONFIG_INIT;
  CHECK_EQ(rtipc_group_producer_config(group, 1, &got), 0);
  CHECK_EQ(got.msg_size, 8);
  CHECK_EQ(rtipc_group_producer_config(group, 2, &got), -EINVAL);
  CHECK_EQ(rtipc_group_consumer_config(group, 1, &got), -EINVAL);

  rtipc_group_destroy(group);
  rtipc_producer_destroy(p0);
  rtipc_producer_destroy(p1);
  rtipc_consumer_destroy(c0);

  /* Every destroy function accepts NULL. */
  rtipc_group_destroy(NULL);
  rtipc_producer_destroy(NULL);
  rtipc_consumer_destroy(NULL);
}

/* The request of docs/protocol.md section 9, byte for byte. */
static void test_request(void) {
  static const char command[] = "rpc command", response[] = "rpc response", event[] = "rpc event";
  struct rtipc_channel_config produced =
      CHANNEL_INIT(command, sizeof command, 16, 0, RTIPC_CHANNEL_EVENTFD);
  struct rtipc_channel_config consumed[] = {
      CHANNEL_INIT(response, sizeof response, 12, 0, RTIPC_CHANNEL_EVENTFD),
      CHANNEL_INIT(event, sizeof event, 8, 10, RTIPC_CHANNEL_EVENTFD),
  };
  struct rtipc_group_config config = GROUP_INIT(&produced, consumed, NULL, 1, 2, 0, 0);
  rtipc_group* group = NULL;
  CHECK_EQ(rtipc_group_create(&config, &group), 0);
  if (!group) return;

  uint8_t want[103] = {
      0x0c,
      0x1f,
      0x02,
      0x00,
      rtipc_default_cacheline() & 0xff,
      rtipc_default_cacheline() >> 8,
      0x04,
      0x00,
      0,
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      2,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x10,
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      0x0c,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x0c,
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      0x0d,
      0,
      0,
      0,
      0x0a,
      0,
      0,
      0,
      0x08,
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      0x0a,
      0,
      0,
      0,
  };
  memcpy(want + 68, command, sizeof command);
  memcpy(want + 80, response, sizeof response);
  memcpy(want + 93, event, sizeof event);

  /* snprintf-style: the length comes back whatever the buffer. */
  CHECK_EQ(rtipc_group_request(group, NULL, 0), sizeof want);
  uint8_t buf[sizeof want + 8];
  memset(buf, 0xee, sizeof buf);
  CHECK_EQ(rtipc_group_request(group, buf, sizeof want - 1), sizeof want);
  for (size_t i = 0; i < sizeof buf; ++i) CHECK_EQ(buf[i], 0xee); /* too small: untouched */
  CHECK_EQ(rtipc_group_request(group, buf, 0), sizeof want);
  CHECK_EQ(buf[0], 0xee);
  CHECK_EQ(rtipc_group_request(group, buf, sizeof want), sizeof want);
  CHECK(memcmp(buf, want, sizeof want) == 0);
  memset(buf, 0xee, sizeof buf);
  CHECK_EQ(rtipc_group_request(group, buf, sizeof buf), sizeof want);
  CHECK(memcmp(buf, want, sizeof want) == 0);
  for (size_t i = sizeof want; i < sizeof buf; ++i) CHECK_EQ(buf[i], 0xee);

  /* Its memfd: 1408 bytes with 64-byte lines (docs/protocol.md section 9). */
  int fds[4];
  CHECK_EQ(rtipc_group_fds(group, fds, 4), 4);
  struct stat st;
  CHECK_EQ(fstat(fds[0], &st), 0);
  size_t want_size =
      channel_size(&produced) + channel_size(&consumed[0]) + channel_size(&consumed[1]);
  CHECK_EQ(st.st_size, want_size);
  if (rtipc_default_cacheline() == 64) CHECK_EQ(st.st_size, 1408);
  rtipc_group_destroy(group);
}

static void readlink_fd(int fd, char* out, size_t cap) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, out, cap - 1);
  out[n < 0 ? 0 : n] = '\0';
}

/* The descriptors a client sends: a sealed memfd, then eventfds in table
 * order, all close-on-exec, eventfds non-blocking (docs/protocol.md 4, 6.1, 8). */
static void test_fds(void) {
  struct rtipc_channel_config produced[] = {
      CHANNEL_INIT(NULL, 0, 8, 0, RTIPC_CHANNEL_EVENTFD),
      CHANNEL_INIT(NULL, 0, 8, 0, 0),
  };
  struct rtipc_channel_config consumed[] = {
      CHANNEL_INIT(NULL, 0, 8, 0, RTIPC_CHANNEL_EVENTFD),
      CHANNEL_INIT(NULL, 0, 8, 0, RTIPC_CHANNEL_EVENTFD),
  };
  struct rtipc_group_config config = GROUP_INIT(produced, consumed, NULL, 2, 2, 0, 0);
  rtipc_group* group = NULL;
  CHECK_EQ(rtipc_group_create(&config, &group), 0);
  if (!group) return;

  int fds[6] = {-7, -7, -7, -7, -7, -7};
  CHECK_EQ(rtipc_group_fds(group, NULL, 0), 4);
  CHECK_EQ(rtipc_group_fds(group, fds, 3), 4);
  for (int i = 0; i < 6; ++i) CHECK_EQ(fds[i], -7); /* too small: untouched */
  CHECK_EQ(rtipc_group_fds(group, fds, 6), 4);
  CHECK_EQ(fds[4], -7);

  char link[256];
  readlink_fd(fds[0], link, sizeof link);
  CHECK(strncmp(link, "/memfd:", 7) == 0);
  int seals = fcntl(fds[0], F_GET_SEALS);
  CHECK(seals >= 0);
  CHECK_EQ(seals & (F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL),
           F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
  CHECK_EQ(seals & F_SEAL_WRITE, 0);
  for (int i = 0; i < 4; ++i) {
    CHECK(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
    for (int j = 0; j < i; ++j) CHECK(fds[i] != fds[j]);
  }
  for (int i = 1; i < 4; ++i) {
    readlink_fd(fds[i], link, sizeof link);
    CHECK_STREQ(link, "anon_inode:[eventfd]");
    CHECK(fcntl(fds[i], F_GETFL) & O_NONBLOCK);
  }

  /* In table order: the eventfds belong to produced[0], consumed[0], consumed[1]. */
  rtipc_producer* p0 = NULL;
  rtipc_consumer *c0 = NULL, *c1 = NULL;
  CHECK_EQ(rtipc_group_take_producer(group, 0, &p0), 0);
  CHECK_EQ(rtipc_group_take_consumer(group, 0, &c0), 0);
  CHECK_EQ(rtipc_group_take_consumer(group, 1, &c1), 0);
  if (p0 && c0 && c1) {
    CHECK_EQ(rtipc_producer_fd(p0), fds[1]);
    CHECK_EQ(rtipc_consumer_fd(c0), fds[2]);
    CHECK_EQ(rtipc_consumer_fd(c1), fds[3]);
  }
  rtipc_producer_destroy(p0);
  rtipc_consumer_destroy(c0);
  rtipc_consumer_destroy(c1);
  rtipc_group_destroy(group);
}

/* Bad arguments: each case runs in a fresh thread, whose last error starts
 * empty, so that a non-empty message after the call is this call's. */
struct bad_case {
  const char* name;
  int (*run)(void);
  int want;
  int last_error_before_empty;
  char last_error[512];
};

static void* run_bad_case(void* arg) {
  struct bad_case* c = arg;
  c->last_error_before_empty = rtipc_last_error()[0] == '\0';
  int rc = c->run();
  if (rc != c->want)
    fprintf(stderr, "%s: returned %d (%s), expected %d\n", c->name, rc, rtipc_strerror(rc),
            c->want);
  CHECK_EQ(rc, c->want);
  snprintf(c->last_error, sizeof c->last_error, "%s", rtipc_last_error());
  return NULL;
}

static int create_expecting_failure(const struct rtipc_group_config* config) {
  rtipc_group* group = (rtipc_group*)&group; /* must stay untouched */
  int rc = rtipc_group_create(config, &group);
  if (rc == 0)
    rtipc_group_destroy(group);
  else
    CHECK(group == (rtipc_group*)&group);
  return rc;
}

static const struct rtipc_channel_config good = CHANNEL_INIT(NULL, 0, 8, 0, 0);

static int bad_msg_size(void) {
  struct rtipc_channel_config c = CHANNEL_INIT(NULL, 0, 0, 0, 0);
  struct rtipc_group_config config = GROUP_INIT(&c, NULL, NULL, 1, 0, 0, 0);
  return create_expecting_failure(&config);
}
static int bad_msg_size_too_big(void) {
  struct rtipc_channel_config c = CHANNEL_INIT(NULL, 0, (64u << 20) + 1, 0, 0);
  struct rtipc_group_config config = GROUP_INIT(NULL, &c, NULL, 0, 1, 0, 0);
  return create_expecting_failure(&config);
}
static int bad_too_many_slots(void) {
  struct rtipc_channel_config c = CHANNEL_INIT(NULL, 0, 8, (1u << 20) - 2, 0); /* 2^20 + 1 slots */
  struct rtipc_group_config config = GROUP_INIT(&c, NULL, NULL, 1, 0, 0, 0);
  return create_expecting_failure(&config);
}
static int bad_producers_null(void) {
  struct rtipc_group_config config = GROUP_INIT(NULL, NULL, NULL, 1, 0, 0, 0);
  return create_expecting_failure(&config);
}
static int bad_channel_info_null(void) {
  struct rtipc_channel_config c = CHANNEL_INIT(NULL, 3, 8, 0, 0);
  struct rtipc_group_config config = GROUP_INIT(&c, NULL, NULL, 1, 0, 0, 0);
  return create_expecting_failure(&config);
}
static int bad_group_info_null(void) {
  struct rtipc_group_config config = GROUP_INIT(&good, NULL, NULL, 1, 0, 5, 0);
  return create_expecting_failure(&config);
}
static int bad_channel_info_too_big(void) {
  static char big[65537];
  struct rtipc_channel_config c = CHANNEL_INIT(big, sizeof big, 8, 0, 0);
  struct rtipc_group_config config = GROUP_INIT(&c, NULL, NULL, 1, 0, 0, 0);
  return create_expecting_failure(&config);
}
static int bad_group_info_too_big(void) {
  static char big[65537];
  struct rtipc_group_config config = GROUP_INIT(&good, NULL, big, 1, 0, sizeof big, 0);
  return create_expecting_failure(&config);
}
static int bad_channel_flags(void) {
  struct rtipc_channel_config c = CHANNEL_INIT(NULL, 0, 8, 0, 0x80);
  struct rtipc_group_config config = GROUP_INIT(&c, NULL, NULL, 1, 0, 0, 0);
  return create_expecting_failure(&config);
}
static int bad_group_flags(void) {
  struct rtipc_group_config config = GROUP_INIT(&good, NULL, NULL, 1, 0, 0, 0x100);
  return create_expecting_failure(&config);
}
static int bad_region_too_big(void) {
  /* 256 slots of 64 MiB: the index area pushes it just past 16 GiB. */
  struct rtipc_channel_config c = CHANNEL_INIT(NULL, 0, 64u << 20, 253, 0);
  struct rtipc_group_config config = GROUP_INIT(&c, NULL, NULL, 1, 0, 0, 0);
  return create_expecting_failure(&config);
}
static int bad_no_channels(void) {
  struct rtipc_group_config config = GROUP_INIT(NULL, NULL, NULL, 0, 0, 0, 0);
  return create_expecting_failure(&config);
}
static int bad_too_many_channels(void) {
  static struct rtipc_channel_config many[600];
  for (size_t i = 0; i < COUNT(many); ++i) many[i] = good;
  struct rtipc_group_config config = GROUP_INIT(many, many, NULL, 600, 425, 0, 0);
  return create_expecting_failure(&config);
}
static int bad_from_request_flags(void) {
  rtipc_group* group = NULL;
  struct rtipc_server_config config = RTIPC_SERVER_CONFIG_INIT;
  config.group_flags = 0x100;
  return rtipc_group_from_request("", 0, NULL, 0, &config, &group);
}
static int bad_config_index(void) {
  struct rtipc_group_config config = GROUP_INIT(&good, NULL, NULL, 1, 0, 0, 0);
  rtipc_group* group = NULL;
  if (rtipc_group_create(&config, &group) != 0) return -1000;
  struct rtipc_channel_config out = RTIPC_CHANNEL_CONFIG_INIT;
  int rc = rtipc_group_producer_config(group, 1, &out);
  rtipc_group_destroy(group);
  return rc;
}

static void test_bad_arguments(void) {
  struct bad_case cases[] = {
      {"message size 0", bad_msg_size, -EINVAL, 0, ""},
      {"message size above 64 MiB", bad_msg_size_too_big, -EINVAL, 0, ""},
      {"too many slots", bad_too_many_slots, -EINVAL, 0, ""},
      {"producers NULL with a count", bad_producers_null, -EINVAL, 0, ""},
      {"channel info NULL with a size", bad_channel_info_null, -EINVAL, 0, ""},
      {"group info NULL with a size", bad_group_info_null, -EINVAL, 0, ""},
      {"channel info above 64 KiB", bad_channel_info_too_big, -EINVAL, 0, ""},
      {"group info above 64 KiB", bad_group_info_too_big, -EINVAL, 0, ""},
      {"unknown channel flags", bad_channel_flags, -EINVAL, 0, ""},
      {"unknown group flags", bad_group_flags, -EINVAL, 0, ""},
      {"region above 16 GiB", bad_region_too_big, -EINVAL, 0, ""},
      {"no channels", bad_no_channels, -EINVAL, 0, ""},
      {"1025 channels", bad_too_many_channels, -EINVAL, 0, ""},
      {"unknown flags on the server side", bad_from_request_flags, -EINVAL, 0, ""},
      {"config of a channel that does not exist", bad_config_index, -EINVAL, 0, ""},
  };
  for (size_t i = 0; i < COUNT(cases); ++i) {
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, run_bad_case, &cases[i]), 0);
    pthread_join(thread, NULL);
    if (!cases[i].last_error_before_empty || cases[i].last_error[0] == '\0')
      fprintf(stderr, "%s: last error not set by this call\n", cases[i].name);
    CHECK(cases[i].last_error_before_empty);
    CHECK(cases[i].last_error[0] != '\0');
  }

  /* The hot path rejects a bad mode without touching the queue. */
  struct rtipc_group_config config = GROUP_INIT(&good, &good, NULL, 1, 1, 0, 0);
  rtipc_group* group = NULL;
  CHECK_EQ(rtipc_group_create(&config, &group), 0);
  if (!group) return;
  rtipc_producer* p = NULL;
  rtipc_consumer* c = NULL;
  CHECK_EQ(rtipc_group_take_producer(group, 0, &p), 0);
  CHECK_EQ(rtipc_group_take_consumer(group, 0, &c), 0);
  if (p && c) {
    CHECK_EQ(rtipc_produce(p, 2u), -EINVAL);
    CHECK_EQ(rtipc_produce(p, (unsigned)-1), -EINVAL);
    CHECK_EQ(rtipc_consume(c, 2u), -EINVAL);
    CHECK_EQ(rtipc_consume(c, RTIPC_CONSUME_NEXT), RTIPC_NOTHING_PRODUCED);
  }
  rtipc_producer_destroy(p);
  rtipc_consumer_destroy(c);
  rtipc_group_destroy(group);
}

/* A request whose client uses 128-byte lines for the layout, one channel
 * the server produces (8-byte messages, 3 slots). */
static size_t request_with_cacheline(uint8_t* out, uint16_t cacheline) {
  const uint32_t words[] = {0, 0, 1, /* add_msgs */ 0, /* msg_size */ 8, 0, 0};
  const uint16_t head[] = {0x1f0c, 2, cacheline, 4};
  memcpy(out, head, sizeof head);
  memcpy(out + sizeof head, words, sizeof words);
  return sizeof head + sizeof words;
}

static int sealed_memfd(size_t size) {
  int fd = memfd_create("rtipc-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  CHECK(fd >= 0);
  CHECK_EQ(ftruncate(fd, (off_t)size), 0);
  CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL), 0);
  return fd;
}

/* The server lays the region out with the client's cache-line size, whatever
 * its own (docs/protocol.md 6.3): index area 128 bytes, slots 128 bytes apart. */
static void test_client_cacheline(void) {
  uint8_t request[64];
  size_t size = request_with_cacheline(request, 128);
  const size_t region = 128 + 3 * 128;

  rtipc_group* group = NULL;
  int fd = sealed_memfd(region - 1); /* enough for 64-byte lines, not for 128 */
  CHECK_EQ(rtipc_group_from_request(request, size, &fd, 1, NULL, &group), -EINVAL);

  fd = sealed_memfd(region);
  int view = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  CHECK_EQ(rtipc_group_from_request(request, size, &fd, 1, NULL, &group), 0);
  rtipc_producer* p = NULL;
  if (group) CHECK_EQ(rtipc_group_take_producer(group, 0, &p), 0);
  const uint8_t* bytes = mmap(NULL, region, PROT_READ, MAP_SHARED, view, 0);
  CHECK(bytes != MAP_FAILED);
  if (p && bytes != MAP_FAILED) {
    for (int i = 0; i < 3; ++i) {
      memset(rtipc_producer_msg(p), 0x61 + i, 8);
      CHECK_EQ(rtipc_produce(p, RTIPC_PRODUCE_FORCE),
               i < 2 ? RTIPC_PUBLISHED : RTIPC_PUBLISHED_DISCARDED);
    }
    for (int i = 0; i < 3; ++i) CHECK_EQ(bytes[128 + 128 * i], 0x61 + i); /* slot i */
  }
  if (bytes != MAP_FAILED) munmap((void*)bytes, region);
  close(view);
  rtipc_producer_destroy(p);
  rtipc_group_destroy(group);

  /* A line size that is not a power of two in [8, 4096] is a bad request. */
  static const uint16_t bad[] = {0, 4, 96, 8192};
  for (size_t i = 0; i < COUNT(bad); ++i) {
    size = request_with_cacheline(request, bad[i]);
    fd = sealed_memfd(region);
    group = NULL;
    CHECK_EQ(rtipc_group_from_request(request, size, &fd, 1, NULL, &group), -EBADMSG);
  }
}

/* A peer that follows the protocol text's order on its first push stores
 * tail before head; a consumer that looks in between (here: forever) must
 * still get the message, also when it asks for the latest one. */
static void test_tail_first_peer(void) {
  struct rtipc_channel_config c = CHANNEL_INIT(NULL, 0, 8, 0, 0);
  struct rtipc_channel_config pair[] = {c, c};
  struct rtipc_group_config config = GROUP_INIT(pair, NULL, NULL, 2, 0, 0, 0);
  rtipc_group *client = NULL, *server = NULL;
  CHECK_EQ(rtipc_group_create(&config, &client), 0);
  if (!client) return;
  uint8_t request[128];
  int size = rtipc_group_request(client, request, sizeof request);
  int fd;
  CHECK_EQ(rtipc_group_fds(client, &fd, 1), 1);
  size_t region = (size_t)lseek(fd, 0, SEEK_END);
  uint8_t* bytes = mmap(NULL, region, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(bytes != MAP_FAILED);
  fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  CHECK_EQ(rtipc_group_from_request(request, (size_t)size, &fd, 1, NULL, &server), 0);
  if (!server || bytes == MAP_FAILED) return;

  /* Each channel: tail, head, chain[3], then slot 0 one cache line in. */
  const size_t stride = channel_size(&c);
  for (int i = 0; i < 2; ++i) {
    uint32_t* index = (uint32_t*)(bytes + i * stride);
    memcpy(bytes + i * stride + align_cl(5 * 4), "message", 8);
    index[2] = 0xffffffffu;          /* chain[0]: the newest message */
    index[0] = 0x40000000u;          /* tail = slot 0 | FIRST */
    CHECK_EQ(index[1], 0xffffffffu); /* head not written yet */
  }
  rtipc_consumer *next = NULL, *latest = NULL;
  CHECK_EQ(rtipc_group_take_consumer(server, 0, &next), 0);
  CHECK_EQ(rtipc_group_take_consumer(server, 1, &latest), 0);
  if (next && latest) {
    CHECK_EQ(rtipc_consume(next, RTIPC_CONSUME_NEXT), RTIPC_NEW);
    CHECK(rtipc_consumer_msg(next) && strcmp(rtipc_consumer_msg(next), "message") == 0);
    CHECK_EQ(rtipc_consume(latest, RTIPC_CONSUME_LATEST), RTIPC_NEW);
    CHECK(rtipc_consumer_msg(latest) && strcmp(rtipc_consumer_msg(latest), "message") == 0);
    CHECK_EQ(rtipc_consume(latest, RTIPC_CONSUME_NEXT), RTIPC_NO_NEW);
  }
  rtipc_consumer_destroy(next);
  rtipc_consumer_destroy(latest);
  munmap(bytes, region);
  rtipc_group_destroy(server);
  rtipc_group_destroy(client);
}

int main(void) {
  rtipc_set_log(NULL, NULL, RTIPC_LOG_NONE); /* the failures below are on purpose */
  test_configurations();
  test_take();
  test_request();
  test_fds();
  test_bad_arguments();
  test_client_cacheline();
  test_tail_first_peer();
  return check_report("group_test");
}
