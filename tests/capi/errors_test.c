/* Version, error names, the last-error message and the log sink. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <rtipc/rtipc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static void test_version(void) {
  CHECK_STREQ(rtipc_version(), RTIPC_VERSION);
  char parts[64];
  snprintf(parts, sizeof parts, "%d.%d.%d", RTIPC_VERSION_MAJOR, RTIPC_VERSION_MINOR,
           RTIPC_VERSION_MICRO);
  CHECK_STREQ(rtipc_version(), parts);
  CHECK_EQ(RTIPC_PROTOCOL_VERSION, 2);
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
  rtipc_set_log(NULL, NULL, RTIPC_LOG_ERROR); /* the default: errors to stderr */
  const char* text = stderr_of_failure();
  CHECK(strstr(text, rtipc_last_error()) != NULL);

  rtipc_set_log(NULL, NULL, RTIPC_LOG_NONE);
  CHECK_STREQ(stderr_of_failure(), "");
  rtipc_set_log(NULL, NULL, RTIPC_LOG_ERROR);
}

int main(void) {
  test_version();
  test_strerror();
  test_custom_sink();
  test_default_sink();
  return check_report("errors_test");
}
