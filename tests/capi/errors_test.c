/* Version, error names, the last-error message and the log sink. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <rtipc/rtipc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static void test_version(void) {
  CHECK_STREQ(rtipc_version(), RTIPC_VERSION);
  char parts[64];
  snprintf(parts, sizeof parts, "%d.%d.%d", RTIPC_VERSION_MAJOR, RTIPC_VERSION_MINOR,
           RTIPC_VERSION_MICRO);
  CHECK_STREQ(rtipc_version(), parts);
  CHECK_EQ(RTIPC_PROTOCOL_VERSION, 2);
  CHECK_EQ(rtipc_version_major(), RTIPC_VERSION_MAJOR);
  CHECK_EQ(rtipc_version_minor(), RTIPC_VERSION_MINOR);
  CHECK_EQ(rtipc_version_micro(), RTIPC_VERSION_MICRO);
  const uint32_t cl = rtipc_default_cacheline();
  CHECK(cl >= 8 && cl <= 4096 && (cl & (cl - 1)) == 0);
}

static void test_strerror(void) {
  static const int errnos[] = {EINVAL, EBADMSG, EPERM, EBADF, ENOMEM, EBUSY, EPROTO, ENOTSUP};
  for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; ++i) {
    const char* want = strerror(errnos[i]); /* the C locale: the plain English text */
    CHECK_STREQ(rtipc_strerror(-errnos[i]), want);
    CHECK_STREQ(rtipc_strerror(errnos[i]), want);
  }
  const char* rejected = rtipc_strerror(-RTIPC_EREJECTED);
  CHECK(rejected && rejected[0]);
  CHECK_STREQ(rtipc_strerror(RTIPC_EREJECTED), rejected);
  for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; ++i)
    CHECK(strcmp(rejected, rtipc_strerror(-errnos[i])) != 0);

  /* Anything at all gets some static text. */
  static const int odd[] = {0, 4095, -4097, 100000, -100000, INT_MAX, INT_MIN};
  for (size_t i = 0; i < sizeof odd / sizeof odd[0]; ++i) {
    const char* text = rtipc_strerror(odd[i]);
    CHECK(text && text[0]);
    CHECK(strcmp(text, rejected) != 0);
  }
}

/* A failing setup call: message size 0. */
static int fail_once(void) {
  struct rtipc_channel_config c = CHANNEL_INIT(NULL, 0, 0, 0, 0);
  struct rtipc_group_config config = GROUP_INIT(&c, NULL, NULL, 1, 0, 0, 0);
  rtipc_group* group = NULL;
  return rtipc_group_create(&config, &group);
}

struct captured {
  int calls;
  unsigned level;
  char text[512];
};

static void capture(unsigned level, const char* text, void* user) {
  struct captured* c = user;
  c->calls++;
  c->level = level;
  snprintf(c->text, sizeof c->text, "%s", text);
}

static void test_custom_sink(void) {
  struct captured seen = {0};
  rtipc_set_log(capture, &seen, RTIPC_LOG_DEBUG);
  CHECK_EQ(fail_once(), -EINVAL);
  CHECK_EQ(seen.calls, 1);
  CHECK_EQ(seen.level, RTIPC_LOG_ERROR);
  CHECK(seen.text[0] != '\0');
  CHECK_STREQ(seen.text, rtipc_last_error());

  /* Succeeding calls log nothing at the default level. */
  struct captured quiet = {0};
  rtipc_set_log(capture, &quiet, RTIPC_LOG_ERROR);
  struct rtipc_channel_config c = CHANNEL_INIT(NULL, 0, 8, 0, 0);
  struct rtipc_group_config config = GROUP_INIT(&c, NULL, NULL, 1, 0, 0, 0);
  rtipc_group* group = NULL;
  CHECK_EQ(rtipc_group_create(&config, &group), 0);
  rtipc_group_destroy(group);
  CHECK_EQ(quiet.calls, 0);

  /* RTIPC_LOG_NONE: the sink is never called, the message is still kept. */
  struct captured silenced = {0};
  rtipc_set_log(capture, &silenced, RTIPC_LOG_NONE);
  config.flags = 0x100;
  CHECK_EQ(rtipc_group_create(&config, &group), -EINVAL);
  CHECK_EQ(silenced.calls, 0);
  CHECK(rtipc_last_error()[0] != '\0');
  CHECK(strcmp(rtipc_last_error(), seen.text) != 0); /* this failure's, not the last one's */

  rtipc_set_log(NULL, NULL, RTIPC_LOG_ERROR);
}

/* Runs fail_once() with stderr sent to a file; returns what was written. */
static char* stderr_of_failure(void) {
  static char out[4096];
  FILE* tmp = tmpfile();
  CHECK(tmp != NULL);
  if (!tmp) return strcpy(out, "");
  fflush(stderr);
  int saved = dup(2);
  dup2(fileno(tmp), 2);
  CHECK_EQ(fail_once(), -EINVAL);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  rewind(tmp);
  size_t n = fread(out, 1, sizeof out - 1, tmp);
  out[n] = '\0';
  fclose(tmp);
  return out;
}

static void test_default_sink(void) {
  rtipc_set_log(NULL, NULL, RTIPC_LOG_ERROR); /* errors to stderr */
  const char* text = stderr_of_failure();
  CHECK(strstr(text, rtipc_last_error()) != NULL);

  rtipc_set_log(NULL, NULL, RTIPC_LOG_NONE);
  CHECK_STREQ(stderr_of_failure(), "");
  rtipc_set_log(NULL, NULL, RTIPC_LOG_ERROR);
}

/* Nothing on stderr unless asked: run before any rtipc_set_log. */
static void test_quiet_by_default(void) {
  if (getenv("RTIPC_LOG")) return; /* the caller asked for logging */
  CHECK_STREQ(stderr_of_failure(), "");
}

/* Runs this program again with --log-child. A cross build runs its tests
 * under an emulator (Meson's exe_wrapper, e.g. qemu-user), named in
 * MESON_EXE_WRAPPER: the new program must run under it too, as the host
 * kernel cannot run it alone. Its words are split at spaces (no quoting). */
static void exec_self_log_child(const char* self) {
  const char* wrapper = getenv("MESON_EXE_WRAPPER");
  if (!wrapper || !wrapper[0]) {
    execl(self, self, "--log-child", (char*)NULL);
    return;
  }
  char exe[PATH_MAX];
  const ssize_t n = readlink(self, exe, sizeof exe - 1);
  if (n <= 0) return;
  exe[n] = '\0';
  char words[1024];
  snprintf(words, sizeof words, "%s", wrapper);
  char* argv[16];
  int argc = 0;
  for (char* w = strtok(words, " "); w && argc < 13; w = strtok(NULL, " ")) argv[argc++] = w;
  argv[argc++] = exe;
  argv[argc++] = "--log-child";
  argv[argc] = NULL;
  execvp(argv[0], argv);
}

/* RTIPC_LOG turns stderr logging on without recompiling: a fresh process
 * (the variable is read when the library first logs) with RTIPC_LOG=error. */
static void test_environment_level(const char* self) {
  pid_t child = fork();
  if (child == 0) {
    setenv("RTIPC_LOG", "error", 1);
    exec_self_log_child(self);
    _exit(127);
  }
  int status = -1;
  waitpid(child, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int log_child(void) {
  const char* text = stderr_of_failure();
  return strstr(text, "rtipc error: rtipc_group_create: ") == text ? 0 : 1;
}

/* A sink may change the sink: the library does not hold a lock it would
 * take again (a hang here is caught by the alarm). */
static int reentrant_calls;
static void reentrant_sink(unsigned level, const char* text, void* user) {
  (void)level;
  (void)text;
  (void)user;
  reentrant_calls++;
  rtipc_set_log(NULL, NULL, RTIPC_LOG_NONE);
}

static void test_sink_may_set_log(void) {
  alarm(10);
  rtipc_set_log(reentrant_sink, NULL, RTIPC_LOG_ERROR);
  CHECK_EQ(fail_once(), -EINVAL);
  CHECK_EQ(fail_once(), -EINVAL); /* the sink silenced the library */
  CHECK_EQ(reentrant_calls, 1);
  alarm(0);
}

static int starts_with(const char* text, const char* prefix) {
  return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* Every failing call leaves its own message, hot path and waits included:
 * an earlier setup failure must never be what rtipc_last_error() says. */
static void test_last_error_names_the_last_failure(void) {
  rtipc_group* group = NULL;
  struct rtipc_channel_config c = CHANNEL_INIT(NULL, 0, 8, 0, 0);
  struct rtipc_group_config config = GROUP_INIT(&c, &c, NULL, 1, 1, 0, 0);
  CHECK(rtipc_client_connect("/nonexistent/rtipc.sock", &config, 100, &group) < 0);
  CHECK(starts_with(rtipc_last_error(), "rtipc_client_connect: "));

  char dir[] = "/tmp/rtipc-errors-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char path[64];
  snprintf(path, sizeof path, "%s/s.sock", dir);
  rtipc_server* server = NULL;
  CHECK_EQ(rtipc_server_create(path, NULL, &server), 0);
  pid_t child = fork();
  if (child == 0) { /* a client that takes the group and leaves at once */
    rtipc_group* mine = NULL;
    _exit(rtipc_client_connect(path, &config, 5000, &mine) == 0 ? 0 : 1);
  }
  CHECK_EQ(rtipc_server_accept(server, 5000, &group), 0);
  int status = -1;
  waitpid(child, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  rtipc_producer* p = NULL;
  rtipc_consumer* in = NULL;
  if (group) {
    rtipc_group_take_producer(group, 0, &p);
    rtipc_group_take_consumer(group, 0, &in);
    rtipc_group_destroy(group);
  }
  if (p && in) {
    CHECK_EQ(rtipc_consumer_wait(in, 0), -ENOTSUP); /* no eventfd */
    CHECK(starts_with(rtipc_last_error(), "rtipc_consumer_wait: "));
    CHECK_EQ(rtipc_produce(p, 7u), -EINVAL);
    CHECK(starts_with(rtipc_last_error(), "rtipc_produce: "));
    CHECK_EQ(rtipc_consume(in, 7u), -EINVAL);
    CHECK(starts_with(rtipc_last_error(), "rtipc_consume: "));
    CHECK_EQ(rtipc_producer_fd(p), -ENOTSUP);
    CHECK_EQ(rtipc_consumer_peer_alive(in), 0); /* the client has exited */
  }
  rtipc_producer_destroy(p);
  rtipc_consumer_destroy(in);

  /* -EPIPE from a wait on a channel with an eventfd whose peer is gone. */
  c.flags = RTIPC_CHANNEL_EVENTFD;
  child = fork();
  if (child == 0) {
    rtipc_group* mine = NULL;
    _exit(rtipc_client_connect(path, &config, 5000, &mine) == 0 ? 0 : 1);
  }
  CHECK_EQ(rtipc_server_accept(server, 5000, &group), 0);
  waitpid(child, &status, 0);
  in = NULL;
  if (group) {
    rtipc_group_take_consumer(group, 0, &in);
    rtipc_group_destroy(group);
  }
  rtipc_group* none = NULL; /* a setup failure in between, to be replaced */
  CHECK(rtipc_client_connect("/nonexistent/rtipc.sock", &config, 100, &none) < 0);
  if (in) {
    CHECK_EQ(rtipc_consumer_wait(in, 5000), -EPIPE);
    CHECK(starts_with(rtipc_last_error(), "rtipc_consumer_wait: "));
  }
  rtipc_consumer_destroy(in);
  rtipc_server_destroy(server);
  rmdir(dir);
}

/* A NULL where the header wants a pointer, in a setup call: -EINVAL and a
 * last error that names the argument (not -EIO with a C++ message). */
static void check_null(int rc, const char* name) {
  CHECK_EQ(rc, -EINVAL);
  CHECK(strstr(rtipc_last_error(), name) != NULL);
  CHECK(strstr(rtipc_last_error(), "is NULL") != NULL);
}

static void test_null_arguments(void) {
  struct rtipc_channel_config c = CHANNEL_INIT(NULL, 0, 16, 0, 0);
  struct rtipc_group_config config = GROUP_INIT(&c, NULL, NULL, 1, 0, 0, 0);
  rtipc_group* group = NULL;
  rtipc_server* server = NULL;
  check_null(rtipc_server_create(NULL, NULL, &server), "path");
  check_null(rtipc_server_create("/tmp/x.sock", NULL, NULL), "server");
  check_null(rtipc_client_connect(NULL, &config, 0, &group), "path");
  check_null(rtipc_client_connect("/tmp/x.sock", &config, 0, NULL), "group");
  check_null(rtipc_client_connect("/tmp/x.sock", NULL, 0, &group), "config");
  check_null(rtipc_group_create(NULL, &group), "config");
  check_null(rtipc_group_create(&config, NULL), "group");
  check_null(rtipc_server_accept(NULL, 0, &group), "server");
  CHECK_EQ(rtipc_group_create(&config, &group), 0);
  rtipc_producer* producer = NULL;
  check_null(rtipc_group_take_producer(NULL, 0, &producer), "group");
  check_null(rtipc_group_take_producer(group, 0, NULL), "producer");
  rtipc_group_destroy(group);
}

/* A wait (or fd) on a channel without eventfd says what to change. */
static void test_no_eventfd_says_what_to_do(void) {
  struct rtipc_channel_config c = CHANNEL_INIT(NULL, 0, 16, 0, 0);
  struct rtipc_group_config config = GROUP_INIT(NULL, &c, NULL, 0, 1, 0, 0);
  rtipc_group* group = NULL;
  rtipc_consumer* consumer = NULL;
  CHECK_EQ(rtipc_group_create(&config, &group), 0);
  CHECK_EQ(rtipc_group_take_consumer(group, 0, &consumer), 0);
  CHECK_EQ(rtipc_consumer_wait(consumer, 0), -ENOTSUP);
  CHECK(strstr(rtipc_last_error(), "channel has no eventfd; create it with eventfd enabled"));
  CHECK_EQ(rtipc_consumer_fd(consumer), -ENOTSUP);
  CHECK(strstr(rtipc_last_error(), "rtipc_consumer_fd"));
  rtipc_consumer_destroy(consumer);
  rtipc_group_destroy(group);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--log-child") == 0) return log_child();
  test_quiet_by_default();
  test_environment_level("/proc/self/exe");
  test_sink_may_set_log();
  test_last_error_names_the_last_failure();
  test_version();
  test_strerror();
  test_custom_sink();
  test_default_sink();
  test_null_arguments();
  test_no_eventfd_says_what_to_do();
  return check_report("errors_test");
}
