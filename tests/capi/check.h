/* Minimal checks for the plain-C tests of the C API: report every failed
 * check with its location and keep going, so one run lists all failures. */
#ifndef RTIPC_TEST_CHECK_H
#define RTIPC_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      check_failures++;                                                        \
    }                                                                          \
  } while (0)

/* Integers compared as long long, both values printed on failure. */
#define CHECK_EQ(actual, expected)                                                            \
  do {                                                                                        \
    long long check_a_ = (long long)(actual), check_e_ = (long long)(expected);               \
    if (check_a_ != check_e_) {                                                               \
      fprintf(stderr, "%s:%d: %s is %lld, expected %s = %lld\n", __FILE__, __LINE__, #actual, \
              check_a_, #expected, check_e_);                                                 \
      check_failures++;                                                                       \
    }                                                                                         \
  } while (0)

#define CHECK_STREQ(actual, expected)                                                        \
  do {                                                                                       \
    const char *check_a_ = (actual), *check_e_ = (expected);                                 \
    if (!check_a_ || !check_e_ || strcmp(check_a_, check_e_) != 0) {                         \
      fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #actual, \
              check_a_ ? check_a_ : "(null)", check_e_ ? check_e_ : "(null)");               \
      check_failures++;                                                                      \
    }                                                                                        \
  } while (0)

/* Bytes equal, for info blocks: (pointer, size) against (pointer, size). */
#define CHECK_BYTES(ptr, size, want, want_size)                                                  \
  do {                                                                                           \
    size_t check_s_ = (size), check_w_ = (want_size);                                            \
    if (check_s_ != check_w_ || (check_w_ && memcmp((ptr), (want), check_w_) != 0)) {            \
      fprintf(stderr, "%s:%d: %s (%zu bytes) differs from %s (%zu bytes)\n", __FILE__, __LINE__, \
              #ptr, check_s_, #want, check_w_);                                                  \
      check_failures++;                                                                          \
    }                                                                                            \
  } while (0)

/* Sized configs from their values (the _INIT macros zero the rest). */
#define CHANNEL_INIT(info_, info_size_, msg_size_, add_msgs_, flags_)                        \
  {                                                                                          \
    .size = sizeof(struct rtipc_channel_config), .flags = (flags_), .msg_size = (msg_size_), \
    .add_msgs = (add_msgs_), .info = (info_), .info_size = (info_size_)                      \
  }
#define GROUP_INIT(producers_, consumers_, info_, producer_count_, consumer_count_, info_size_, \
                   flags_)                                                                      \
  {                                                                                             \
    .size = sizeof(struct rtipc_group_config), .flags = (flags_), .producers = (producers_),    \
    .consumers = (consumers_), .producer_count = (producer_count_),                             \
    .consumer_count = (consumer_count_), .info = (info_), .info_size = (info_size_)             \
  }

/* What main returns: prints a one-line verdict. */
static inline int check_report(const char* name) {
  if (check_failures)
    fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
  else
    printf("%s: all checks passed\n", name);
  fflush(NULL); /* a forked child leaves with _exit */
  return check_failures ? 1 : 0;
}

#endif
