/* rtipc_group_from_request owns every descriptor it is given: on each
 * failure path (and when the group is destroyed) all of them are closed, and
 * nothing else is left open. Counts /proc/self/fd around every call. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <rtipc/rtipc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "fdpass.h"

#define MAX_FDS 8

static uint8_t request[512];
static size_t request_size;
static int client_fds[MAX_FDS]; /* owned by the client group */
static size_t client_fd_count;
static size_t region_size;

static int sealed_memfd(size_t size, int seals) {
  int fd = memfd_create("rtipc-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  CHECK(fd >= 0);
  CHECK_EQ(ftruncate(fd, (off_t)size), 0);
  if (seals) CHECK_EQ(fcntl(fd, F_ADD_SEALS, seals), 0);
  return fd;
}

/* Hands fds (fresh descriptors, owned by the call) and bytes to
 * rtipc_group_from_request, which must fail with one of the wanted codes and
 * close every descriptor. want2 0: only want. */
static void expect_failure(const char* name, const void* bytes, size_t size, int* fds, size_t count,
                           uint32_t flags, int want, int want2, int before) {
  rtipc_group* group = NULL;
  struct rtipc_server_config config = RTIPC_SERVER_CONFIG_INIT;
  config.group_flags = flags;
  int rc = rtipc_group_from_request(bytes, size, fds, count, &config, &group);
  if (rc != want && (want2 == 0 || rc != want2)) {
    fprintf(stderr, "%s: returned %d (%s), expected %d\n", name, rc, rtipc_strerror(rc), want);
    check_failures++;
  }
  CHECK(group == NULL);
  if (rc == 0) rtipc_group_destroy(group);
  CHECK(rtipc_last_error()[0] != '\0');
  for (size_t i = 0; i < count; ++i) {
    errno = 0;
    if (fcntl(fds[i], F_GETFD) != -1 || errno != EBADF) {
      fprintf(stderr, "%s: descriptor %d (#%zu) left open\n", name, fds[i], i);
      check_failures++;
    }
  }
  int after = count_open_fds();
  if (after != before) {
    fprintf(stderr, "%s: %d descriptors open before, %d after\n", name, before, after);
    check_failures++;
  }
}

/* Fresh copies of the client's descriptors, as a server would receive them. */
static void dup_client_fds(int* out) {
  for (size_t i = 0; i < client_fd_count; ++i) {
    out[i] = fcntl(client_fds[i], F_DUPFD_CLOEXEC, 0);
    CHECK(out[i] >= 0);
  }
}

static void test_failures(void) {
  int fds[MAX_FDS + 1];
  int before;

#define FRESH()              \
  before = count_open_fds(); \
  CHECK(before > 0);         \
  dup_client_fds(fds)

  /* The shared-memory descriptor is not a sealed memfd. */
  FRESH();
  close(fds[0]);
  char path[] = "/tmp/rtipc-fds-test-XXXXXX";
  fds[0] = mkstemp(path);
  CHECK(fds[0] >= 0);
  unlink(path);
  CHECK_EQ(ftruncate(fds[0], (off_t)region_size), 0);
  expect_failure("regular file", request, request_size, fds, client_fd_count, 0, -EBADF, -EPERM,
                 before);

  FRESH();
  close(fds[0]);
  fds[0] = sealed_memfd(region_size, 0);
  expect_failure("unsealed memfd", request, request_size, fds, client_fd_count, 0, -EPERM, 0,
                 before);

  FRESH();
  close(fds[0]);
  fds[0] = memfd_create("rtipc-test", MFD_CLOEXEC); /* cannot be sealed at all */
  CHECK_EQ(ftruncate(fds[0], (off_t)region_size), 0);
  expect_failure("memfd without sealing", request, request_size, fds, client_fd_count, 0, -EPERM, 0,
                 before);

  FRESH();
  close(fds[0]);
  fds[0] = sealed_memfd(region_size - 1, F_SEAL_GROW | F_SEAL_SHRINK);
  expect_failure("memfd too small", request, request_size, fds, client_fd_count, 0, -EINVAL, 0,
                 before);

  FRESH();
  close(fds[0]);
  fds[0] = sealed_memfd(region_size, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_WRITE);
  expect_failure("memfd sealed against writing", request, request_size, fds, client_fd_count, 0,
                 -EPERM, 0, before);

  /* An eventfd that is not one. */
  FRESH();
  close(fds[1]);
  int pipefd[2];
  CHECK_EQ(pipe2(pipefd, O_CLOEXEC), 0);
  fds[1] = pipefd[0];
  close(pipefd[1]);
  expect_failure("pipe as eventfd", request, request_size, fds, client_fd_count, 0, -EBADF, 0,
                 before);

  FRESH();
  close(fds[2]);
  fds[2] = fcntl(fds[0], F_DUPFD_CLOEXEC, 0);
  expect_failure("memfd as eventfd", request, request_size, fds, client_fd_count, 0, -EBADF, 0,
                 before);

  /* Wrong descriptor counts. */
  FRESH();
  close(fds[client_fd_count - 1]);
  expect_failure("one descriptor missing", request, request_size, fds, client_fd_count - 1, 0,
                 -EBADMSG, 0, before);

  FRESH();
  fds[client_fd_count] = fcntl(fds[1], F_DUPFD_CLOEXEC, 0);
  expect_failure("one descriptor too many", request, request_size, fds, client_fd_count + 1, 0,
                 -EBADMSG, 0, before);

  FRESH();
  fds[client_fd_count] = fcntl(fds[0], F_DUPFD_CLOEXEC, 0);
  expect_failure("memfd twice", request, request_size, fds, client_fd_count + 1, 0, -EBADMSG, 0,
                 before);

  /* A bad request with good descriptors. */
  FRESH();
  expect_failure("truncated request", request, request_size - 1, fds, client_fd_count, 0, -EBADMSG,
                 0, before);

  FRESH();
  uint8_t bad[sizeof request];
  memcpy(bad, request, request_size);
  bad[0] ^= 0xff;
  expect_failure("bad magic", bad, request_size, fds, client_fd_count, 0, -EBADMSG, 0, before);

  FRESH();
  expect_failure("empty request", request, 0, fds, client_fd_count, 0, -EBADMSG, 0, before);

  FRESH();
  expect_failure("unknown flags", request, request_size, fds, client_fd_count, 0x100, -EINVAL, 0,
                 before);
#undef FRESH
}

/* The good case for contrast: the group owns the descriptors until it and
 * its channels are destroyed. */
static void test_success(void) {
  int before = count_open_fds();
  int fds[MAX_FDS];
  dup_client_fds(fds);
  rtipc_group* group = NULL;
  CHECK_EQ(rtipc_group_from_request(request, request_size, fds, client_fd_count, NULL, &group), 0);
  if (!group) return;
  for (size_t i = 0; i < client_fd_count; ++i) CHECK(fcntl(fds[i], F_GETFD) >= 0);
  rtipc_consumer* c = NULL;
  CHECK_EQ(rtipc_group_take_consumer(group, 0, &c), 0);
  rtipc_group_destroy(group);
  CHECK(count_open_fds() > before); /* the consumer still holds the memfd and its eventfd */
  rtipc_consumer_destroy(c);
  CHECK_EQ(count_open_fds(), before);
}

int main(void) {
  rtipc_set_log(NULL, NULL, RTIPC_LOG_NONE); /* the failures below are on purpose */
  static const char info[] = "info";
  struct rtipc_channel_config produced =
      CHANNEL_INIT(info, sizeof info, 16, 0, RTIPC_CHANNEL_EVENTFD);
  struct rtipc_channel_config consumed[] = {
      CHANNEL_INIT(NULL, 0, 8, 2, RTIPC_CHANNEL_EVENTFD),
      CHANNEL_INIT(NULL, 0, 100, 1, 0),
  };
  struct rtipc_group_config config = GROUP_INIT(&produced, consumed, info, 1, 2, sizeof info, 0);
  rtipc_group* client = NULL;
  CHECK_EQ(rtipc_group_create(&config, &client), 0);
  if (!client) return check_report("fds_test");
  int n = rtipc_group_request(client, request, sizeof request);
  CHECK(n > 0 && (size_t)n <= sizeof request);
  request_size = (size_t)n;
  CHECK_EQ(rtipc_group_fds(client, client_fds, MAX_FDS), 3);
  client_fd_count = 3;
  region_size = (size_t)lseek(client_fds[0], 0, SEEK_END);

  test_failures();
  test_success();
  rtipc_group_destroy(client);
  return check_report("fds_test");
}
