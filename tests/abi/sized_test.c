/* The sized-struct rule of rtipc.h, across library versions. Built twice:
 * against librtipc (whose structs are this header's) and against
 * librtipc-grown, the same sources built as a later release whose structs
 * have one more field. Each config this program passes ends right before
 * an inaccessible page, so a library that read (or wrote) past the size
 * the program declared would crash the test.
 *
 *   program built against 1.0, library grown: works, the new field takes
 *     its default (the case the issue asks for);
 *   program built against a later header (a longer struct), library 1.0:
 *     works when the bytes it does not know are zero, -E2BIG otherwise;
 *   sizes below the first layout or absurd: -EINVAL. */
#define _GNU_SOURCE
#include <errno.h>
#include <rtipc/rtipc.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

/* A page whose last `size` bytes are usable, followed by a PROT_NONE page. */
static void* at_page_end(size_t size) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  unsigned char* p =
      mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  mprotect(p + page, page, PROT_NONE);
  return p + page - size;
}

/* A later header's channel config: one more field, as the grown library has. */
struct channel_config_later {
  struct rtipc_channel_config v1;
  uint64_t later_field;
};

static int create_with(const struct rtipc_channel_config* channels, uint32_t count) {
  struct rtipc_group_config* config = at_page_end(sizeof *config);
  *config = (struct rtipc_group_config)RTIPC_GROUP_CONFIG_INIT;
  config->producers = channels;
  config->producer_count = count;
  rtipc_group* group = NULL;
  int rc = rtipc_group_create(config, &group);
  if (rc == 0) {
    /* Read back into a struct of the caller's size, at a page end too. */
    struct rtipc_channel_config* out = at_page_end(sizeof *out);
    *out = (struct rtipc_channel_config)RTIPC_CHANNEL_CONFIG_INIT;
    CHECK_EQ(rtipc_group_producer_config(group, 0, out), 0);
    CHECK_EQ(out->size, sizeof *out);
    CHECK_EQ(out->msg_size, channels[0].msg_size);
    rtipc_group_destroy(group);
  }
  return rc;
}

static void test_program_of_this_header(void) {
  struct rtipc_channel_config* c = at_page_end(sizeof *c);
  *c = (struct rtipc_channel_config)RTIPC_CHANNEL_CONFIG_INIT;
  c->msg_size = 24;
  CHECK_EQ(create_with(c, 1), 0);

  struct rtipc_server_config* s = at_page_end(sizeof *s);
  *s = (struct rtipc_server_config)RTIPC_SERVER_CONFIG_INIT;
  rtipc_server* server = NULL;
  CHECK_EQ(rtipc_server_create("/tmp/rtipc-sized-test.sock", s, &server), 0);
  rtipc_server_destroy(server);
}

static void test_program_of_a_later_header(void) {
  struct channel_config_later* c = at_page_end(sizeof *c);
  memset(c, 0, sizeof *c);
  c->v1.size = sizeof *c;
  c->v1.msg_size = 24;
  CHECK_EQ(create_with(&c->v1, 1), 0); /* the later field at its default */
  c->later_field = 7;
#ifdef RTIPC_GROWN_LIBRARY
  CHECK_EQ(create_with(&c->v1, 1), 0); /* the grown library knows the field */
#else
  CHECK_EQ(create_with(&c->v1, 1), -E2BIG);
  CHECK(strstr(rtipc_last_error(), "this library knows only") != NULL);
#endif
}

static void test_bad_sizes(void) {
  struct rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
  c.msg_size = 8;
  c.size = 8; /* below the first layout */
  CHECK_EQ(create_with(&c, 1), -EINVAL);
  c.size = 0; /* forgot the _INIT macro */
  CHECK_EQ(create_with(&c, 1), -EINVAL);
  c.size = 0xabababab; /* garbage */
  CHECK_EQ(create_with(&c, 1), -EINVAL);
  /* Array elements must all have the first one's size. */
  struct rtipc_channel_config pair[2] = {RTIPC_CHANNEL_CONFIG_INIT, RTIPC_CHANNEL_CONFIG_INIT};
  pair[0].msg_size = pair[1].msg_size = 8;
  pair[1].size = 40;
  CHECK_EQ(create_with(pair, 2), -EINVAL);
}

int main(void) {
  test_program_of_this_header();
  test_program_of_a_later_header();
  test_bad_sizes();
  return check_report("sized_test");
}
