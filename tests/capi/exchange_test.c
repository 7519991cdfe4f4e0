/* Two processes through the C API: the parent creates a group as a client
 * and sends its request and descriptors over a socketpair (SCM_RIGHTS); the
 * forked child builds the server side with rtipc_group_from_request. They
 * then step through every produce and consume result in lockstep, with
 * 4-byte step numbers on the socket ordering what each side does:
 *
 *   A  client -> server, 16 B, 3 slots, eventfd: next, gaps, try mode
 *   B  client -> server, 32 B, 8 slots:          RTIPC_CONSUME_LATEST
 *   C  server -> client, 24 B, 4 slots, eventfd: the server's producer
 *      cache, then a ping-pong over A and C with blocking waits.
 *
 * Both sides destroy their group as soon as the channels are taken out. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <rtipc/rtipc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fdpass.h"

static const char info_a[] = {'t', 'o', ' ', 's', 'e', 'r', 'v', 'e', 'r'}; /* no NUL */
static const char info_c[] = "to client";                                   /* with NUL */
static const uint8_t info_group[] = {0x00, 0xff, 0x10, 0x20};

static const struct rtipc_channel_config config_a =
    CHANNEL_INIT(info_a, sizeof info_a, 16, 0, RTIPC_CHANNEL_EVENTFD);
static const struct rtipc_channel_config config_b = CHANNEL_INIT(NULL, 0, 32, 5, 0);
static const struct rtipc_channel_config config_c =
    CHANNEL_INIT(info_c, sizeof info_c, 24, 1, RTIPC_CHANNEL_EVENTFD);

static const char marker[24] = "cached, not yet shared!";

enum { PING_PONG_ROUNDS = 200, WAIT_MS = 10000 };

/* ---- lockstep over the socket ------------------------------------------ */

static void step_send(int sock, int32_t step) {
  CHECK_EQ(write(sock, &step, sizeof step), sizeof step);
}

/* Waits (bounded, so that a dead peer fails the test instead of hanging it)
 * for the peer's next step, which must be `step`. */
static void step_wait(int sock, int32_t step) {
  struct pollfd p = {sock, POLLIN, 0};
  CHECK_EQ(poll(&p, 1, WAIT_MS), 1);
  int32_t got = -1;
  CHECK_EQ(read(sock, &got, sizeof got), sizeof got);
  if (got != step) {
    fprintf(stderr, "pid %d: step %d, expected %d\n", (int)getpid(), got, step);
    check_failures++;
    exit(check_report("exchange_test"));
  }
}

/* ---- one message = a counter in the first 8 bytes ---------------------- */

static void write_msg(rtipc_producer* p, uint64_t value) {
  memset(rtipc_producer_msg(p), 0x5a, rtipc_producer_msg_size(p));
  memcpy(rtipc_producer_msg(p), &value, sizeof value);
}

static uint64_t read_msg(const rtipc_consumer* c) {
  uint64_t value = UINT64_MAX;
  if (rtipc_consumer_msg(c)) memcpy(&value, rtipc_consumer_msg(c), sizeof value);
  return value;
}

#define PRODUCE(p, value, mode, want)       \
  do {                                      \
    write_msg(p, value);                    \
    CHECK_EQ(rtipc_produce(p, mode), want); \
  } while (0)

/* Consumes and checks the result and, when the result says there is one,
 * the message now held. */
#define CONSUME(c, mode, want, value)                                               \
  do {                                                                              \
    CHECK_EQ(rtipc_consume(c, mode), want);                                         \
    if ((want) >= RTIPC_NEW || (value) != UINT64_MAX) CHECK_EQ(read_msg(c), value); \
  } while (0)

#define NONE UINT64_MAX

static void check_config(const struct rtipc_channel_config* got,
                         const struct rtipc_channel_config* want) {
  CHECK_EQ(got->msg_size, want->msg_size);
  CHECK_EQ(got->add_msgs, want->add_msgs);
  CHECK_EQ(got->flags, want->flags);
  CHECK_BYTES(got->info, got->info_size, want->info, want->info_size);
}

/* ---- the server: the forked child -------------------------------------- */

static void server(int sock) {
  uint8_t request[1024];
  int fds[FDPASS_MAX_FDS];
  size_t nfds = 0;
  ssize_t n = fdpass_recv(sock, request, sizeof request, fds, FDPASS_MAX_FDS, &nfds);
  CHECK(n > 0);
  CHECK_EQ(nfds, 3); /* memfd, eventfd of A, eventfd of C */
  rtipc_group* group = NULL;
  struct rtipc_server_config config = RTIPC_SERVER_CONFIG_INIT;
  config.group_flags = RTIPC_GROUP_PRODUCER_CACHE;
  int rc = rtipc_group_from_request(request, n > 0 ? (size_t)n : 0, fds, nfds, &config, &group);
  CHECK_EQ(rc, 0);
  step_send(sock, rc == 0 ? 0 : -1); /* the protocol's reply */
  if (!group) return;

  /* The group in the server's terms: it consumes A and B, produces C. */
  CHECK_EQ(rtipc_group_producer_count(group), 1);
  CHECK_EQ(rtipc_group_consumer_count(group), 2);
  size_t size;
  const void* info = rtipc_group_info(group, &size);
  CHECK_BYTES(info, size, info_group, sizeof info_group);
  struct rtipc_channel_config got = RTIPC_CHANNEL_CONFIG_INIT;
  CHECK_EQ(rtipc_group_consumer_config(group, 0, &got), 0);
  check_config(&got, &config_a);
  CHECK_EQ(rtipc_group_consumer_config(group, 1, &got), 0);
  check_config(&got, &config_b);
  CHECK_EQ(rtipc_group_producer_config(group, 0, &got), 0);
  check_config(&got, &config_c);

  rtipc_consumer *a = NULL, *b = NULL;
  rtipc_producer* c = NULL;
  CHECK_EQ(rtipc_group_take_consumer(group, 0, &a), 0);
  CHECK_EQ(rtipc_group_take_consumer(group, 1, &b), 0);
  CHECK_EQ(rtipc_group_take_producer(group, 0, &c), 0);
  rtipc_group_destroy(group); /* the channels live on */
  if (!a || !b || !c) return;

  info = rtipc_consumer_info(a, &size);
  CHECK_BYTES(info, size, info_a, sizeof info_a);
  CHECK(rtipc_consumer_info(b, &size) == NULL && size == 0);
  info = rtipc_producer_info(c, &size);
  CHECK_BYTES(info, size, info_c, sizeof info_c);
  CHECK(rtipc_consumer_fd(a) >= 0);
  CHECK_EQ(rtipc_consumer_fd(b), -ENOTSUP);
  CHECK(rtipc_producer_fd(c) >= 0);
  CHECK_EQ(rtipc_consumer_slots(a), 3);
  CHECK_EQ(rtipc_consumer_slots(b), 8);
  CHECK_EQ(rtipc_producer_slots(c), 4);

  /* A: next, gaps, try mode. */
  CONSUME(a, RTIPC_CONSUME_NEXT, RTIPC_NOTHING_PRODUCED, NONE);
  CONSUME(a, RTIPC_CONSUME_LATEST, RTIPC_NOTHING_PRODUCED, NONE);
  CHECK(rtipc_consumer_msg(a) == NULL);
  step_send(sock, 1);
  step_wait(sock, 2);
  CONSUME(a, RTIPC_CONSUME_NEXT, RTIPC_NEW, 1);
  CONSUME(a, RTIPC_CONSUME_NEXT, RTIPC_NO_NEW, 1);
  CONSUME(a, RTIPC_CONSUME_LATEST, RTIPC_NO_NEW, 1);
  step_send(sock, 3);
  step_wait(sock, 4);
  CONSUME(a, RTIPC_CONSUME_NEXT, RTIPC_NEW_AFTER_GAP, 3); /* 2 was discarded */
  CONSUME(a, RTIPC_CONSUME_NEXT, RTIPC_NO_NEW, 3);
  step_send(sock, 5);
  step_wait(sock, 6);
  CONSUME(a, RTIPC_CONSUME_NEXT, RTIPC_NEW, 4);
  CONSUME(a, RTIPC_CONSUME_NEXT, RTIPC_NO_NEW, 4);
  step_send(sock, 7);
  step_wait(sock, 8);
  CONSUME(a, RTIPC_CONSUME_NEXT, RTIPC_NEW, 5);

  /* B: latest. */
  CONSUME(b, RTIPC_CONSUME_LATEST, RTIPC_NOTHING_PRODUCED, NONE);
  step_send(sock, 9);
  step_wait(sock, 10);
  CONSUME(b, RTIPC_CONSUME_LATEST, RTIPC_NEW, 10); /* the first message, nothing skipped */
  CONSUME(b, RTIPC_CONSUME_LATEST, RTIPC_NO_NEW, 10);
  step_send(sock, 11);
  step_wait(sock, 12);
  CONSUME(b, RTIPC_CONSUME_LATEST, RTIPC_NEW_AFTER_GAP, 15); /* 11..14 skipped */
  CONSUME(b, RTIPC_CONSUME_NEXT, RTIPC_NO_NEW, 15);
  step_send(sock, 13);
  step_wait(sock, 14);
  CONSUME(b, RTIPC_CONSUME_LATEST, RTIPC_NEW, 16); /* directly after 15 */
  CONSUME(b, RTIPC_CONSUME_NEXT, RTIPC_NO_NEW, 16);

  /* C: with the producer cache the message is private until produced. */
  memcpy(rtipc_producer_msg(c), marker, sizeof marker);
  step_send(sock, 15);
  step_wait(sock, 16);
  CHECK_EQ(rtipc_produce(c, RTIPC_PRODUCE_FORCE), RTIPC_PUBLISHED);
  step_send(sock, 17);

  /* Ping-pong: the client's value comes back on C plus one million. */
  for (uint64_t i = 0; i < PING_PONG_ROUNDS; ++i) {
    CHECK_EQ(rtipc_consumer_wait(a, WAIT_MS), 1);
    CONSUME(a, RTIPC_CONSUME_NEXT, RTIPC_NEW, 1000 + i);
    PRODUCE(c, 1000000 + 1000 + i, RTIPC_PRODUCE_TRY, RTIPC_PUBLISHED);
  }
  step_wait(sock, 18);
  rtipc_consumer_destroy(a);
  rtipc_consumer_destroy(b);
  rtipc_producer_destroy(c);
}

/* ---- the client: the parent -------------------------------------------- */

static int region_holds(const void* region, size_t size, const void* bytes, size_t len) {
  return memmem(region, size, bytes, len) != NULL;
}

static void client(int sock) {
  struct rtipc_group_config config =
      GROUP_INIT(&config_a, &config_c, info_group, 0, 1, sizeof info_group, 0);
  struct rtipc_channel_config produced[] = {config_a, config_b};
  config.producers = produced;
  config.producer_count = 2;
  rtipc_group* group = NULL;
  CHECK_EQ(rtipc_group_create(&config, &group), 0);
  if (!group) return;

  int size = rtipc_group_request(group, NULL, 0);
  CHECK(size > 0);
  uint8_t* request = malloc((size_t)size);
  CHECK_EQ(rtipc_group_request(group, request, (size_t)size), size);
  int fds[3];
  CHECK_EQ(rtipc_group_fds(group, fds, 3), 3);
  CHECK_EQ(fdpass_send(sock, request, (size_t)size, fds, 3), 0);
  free(request);
  step_wait(sock, 0);

  /* A private view of the whole region, to see what the server writes. */
  int memfd = fcntl(fds[0], F_DUPFD_CLOEXEC, 0);
  size_t region_size = (size_t)lseek(memfd, 0, SEEK_END);
  const uint8_t* region = mmap(NULL, region_size, PROT_READ, MAP_SHARED, memfd, 0);
  CHECK(region != MAP_FAILED);
  close(memfd);

  rtipc_producer *a = NULL, *b = NULL;
  rtipc_consumer* c = NULL;
  CHECK_EQ(rtipc_group_take_producer(group, 0, &a), 0);
  CHECK_EQ(rtipc_group_take_producer(group, 1, &b), 0);
  CHECK_EQ(rtipc_group_take_consumer(group, 0, &c), 0);
  rtipc_group_destroy(group); /* the channels live on */
  if (!a || !b || !c || region == MAP_FAILED) return;

  /* A: 3 slots, so once the server holds one message only one more can
   * wait behind it (docs/protocol.md 7.3). */
  step_wait(sock, 1);
  PRODUCE(a, 1, RTIPC_PRODUCE_FORCE, RTIPC_PUBLISHED);
  step_send(sock, 2);
  step_wait(sock, 3);
  PRODUCE(a, 2, RTIPC_PRODUCE_FORCE, RTIPC_PUBLISHED);
  PRODUCE(a, 3, RTIPC_PRODUCE_FORCE, RTIPC_PUBLISHED_DISCARDED); /* drops 2 */
  void* held = rtipc_producer_msg(a);
  PRODUCE(a, 4, RTIPC_PRODUCE_TRY, RTIPC_QUEUE_FULL);
  CHECK(rtipc_producer_msg(a) == held); /* the message stays where it is */
  step_send(sock, 4);
  step_wait(sock, 5);
  uint64_t value = 0;
  memcpy(&value, rtipc_producer_msg(a), sizeof value);
  CHECK_EQ(value, 4);
  CHECK_EQ(rtipc_produce(a, RTIPC_PRODUCE_TRY), RTIPC_PUBLISHED); /* 4, unchanged */
  PRODUCE(a, 5, RTIPC_PRODUCE_TRY, RTIPC_QUEUE_FULL);
  step_send(sock, 6);
  step_wait(sock, 7);
  CHECK_EQ(rtipc_produce(a, RTIPC_PRODUCE_TRY), RTIPC_PUBLISHED); /* 5 */
  step_send(sock, 8);

  /* B */
  step_wait(sock, 9);
  PRODUCE(b, 10, RTIPC_PRODUCE_FORCE, RTIPC_PUBLISHED);
  step_send(sock, 10);
  step_wait(sock, 11);
  for (uint64_t v = 11; v <= 15; ++v) PRODUCE(b, v, RTIPC_PRODUCE_FORCE, RTIPC_PUBLISHED);
  step_send(sock, 12);
  step_wait(sock, 13);
  PRODUCE(b, 16, RTIPC_PRODUCE_TRY, RTIPC_PUBLISHED);
  step_send(sock, 14);

  /* C: the server has written its message into its cache, not the region. */
  step_wait(sock, 15);
  CHECK(!region_holds(region, region_size, marker, sizeof marker));
  CONSUME(c, RTIPC_CONSUME_NEXT, RTIPC_NOTHING_PRODUCED, NONE);
  CHECK_EQ(rtipc_consumer_wait(c, 0), 0);
  /* Without the cache (our producer A) a write lands in the region at once:
   * the check above can see a message that is there. */
  memcpy(rtipc_producer_msg(a), marker, sizeof marker - 8);
  CHECK(region_holds(region, region_size, marker, sizeof marker - 8));
  step_send(sock, 16);
  step_wait(sock, 17);
  CHECK(region_holds(region, region_size, marker, sizeof marker));
  CHECK_EQ(rtipc_consumer_wait(c, WAIT_MS), 1);
  CHECK_EQ(rtipc_consume(c, RTIPC_CONSUME_NEXT), RTIPC_NEW);
  CHECK(rtipc_consumer_msg(c) && memcmp(rtipc_consumer_msg(c), marker, sizeof marker) == 0);

  for (uint64_t i = 0; i < PING_PONG_ROUNDS; ++i) {
    PRODUCE(a, 1000 + i, RTIPC_PRODUCE_TRY, RTIPC_PUBLISHED);
    CHECK_EQ(rtipc_consumer_wait(c, WAIT_MS), 1);
    CONSUME(c, RTIPC_CONSUME_NEXT, RTIPC_NEW, 1000000 + 1000 + i);
  }
  step_send(sock, 18);
  munmap((void*)region, region_size);
  rtipc_producer_destroy(a);
  rtipc_producer_destroy(b);
  rtipc_consumer_destroy(c);
}

int main(void) {
  int sv[2];
  CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  fflush(NULL);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    close(sv[0]);
    server(sv[1]);
    close(sv[1]);
    _exit(check_report("exchange_test (server)"));
  }
  close(sv[1]);
  client(sv[0]);
  close(sv[0]);
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return check_report("exchange_test (client)");
}
