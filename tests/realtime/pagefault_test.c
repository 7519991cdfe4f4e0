/*
 * No page fault after setup (issue 19): a client and a server, two processes
 * joined by a socketpair, each lock the region (RTIPC_GROUP_MLOCK_REQUIRED),
 * take one message each way to warm the code paths, and then stream a
 * million messages both ways (flow-controlled: every one is consumed), writing and reading one word
 * in every page of every message. getrusage(RUSAGE_THREAD) counts the minor and major faults of
 * each role across the stream: both must be zero. The test's own memory cannot fault: its stack is
 * touched beforehand and the loop allocates nothing. A control run without the lock must see faults
 * (the slots' first touches), or the count proves nothing.
 *
 * Exit status: 0 pass, 1 fail, 77 skip (no mlock allowed and not root).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <rtipc/rtipc.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MSG_SIZE = 16384, ADD_MSGS = 13, PAGE = 4096, TIMEOUT_MS = 10000 };

struct faults {
  long minor, major;
  long long consumed; /* messages consumed */
};

static void die(const char* role, const char* what, int err) {
  fprintf(stderr, "pagefault_test (%s): %s: %s (%s)\n", role, what, rtipc_strerror(err),
          rtipc_last_error());
  exit(1);
}

/* Touches a stack well deeper than the loop ever goes. */
static void __attribute__((noinline)) prefault_stack(void) {
  volatile char buf[256 * 1024];
  for (size_t i = 0; i < sizeof buf; i += PAGE) buf[i] = 0;
}

static void write_msg(rtipc_producer* p, uint64_t v) {
  char* m = rtipc_producer_msg(p);
  for (size_t off = 0; off < MSG_SIZE; off += PAGE) memcpy(m + off, &v, sizeof v);
}

/* The message's value, checked in every page. */
static int read_msg(const rtipc_consumer* c, uint64_t* v) {
  const char* m = rtipc_consumer_msg(c);
  memcpy(v, m, sizeof *v);
  for (size_t off = PAGE; off < MSG_SIZE; off += PAGE) {
    uint64_t w;
    memcpy(&w, m + off, sizeof w);
    if (w != *v) return -1;
  }
  return 0;
}

/* Both roles alike: produce 1..n and consume the peer's 1..n. Returns the
 * faults counted across it. */
static struct faults stream(const char* role, rtipc_producer* p, rtipc_consumer* c, uint64_t n) {
  struct faults f = {0, 0, 0};
  uint64_t v;
  /* Warm-up: one message each way, which runs every code path once. */
  write_msg(p, 0);
  if (rtipc_produce(p, RTIPC_PRODUCE_FORCE) < 0) die(role, "produce", -EPROTO);
  for (;;) {
    int r = rtipc_consume(c, RTIPC_CONSUME_NEXT);
    if (r < 0) die(role, "consume", r);
    if (r >= RTIPC_NEW) break;
    sched_yield();
  }
  prefault_stack();

  struct rusage before, after;
  getrusage(RUSAGE_THREAD, &before);
  /* Flow-controlled (TRY): every message is produced and consumed. */
  uint64_t sent = 0, last = 0;
  while (sent < n || last < n) {
    int progress = 0;
    if (sent < n) {
      write_msg(p, sent + 1);
      int r = rtipc_produce(p, RTIPC_PRODUCE_TRY);
      if (r < 0) die(role, "produce", r);
      if (r == RTIPC_PUBLISHED) {
        sent++;
        progress = 1;
      }
    }
    int r;
    while ((r = rtipc_consume(c, RTIPC_CONSUME_NEXT)) >= RTIPC_NEW) {
      if (r != RTIPC_NEW || read_msg(c, &v) != 0 || v != last + 1) {
        fprintf(stderr, "pagefault_test (%s): message %llu lost or damaged\n", role,
                (unsigned long long)last + 1);
        exit(1);
      }
      last = v;
      f.consumed++;
      progress = 1;
    }
    if (r < 0) die(role, "consume", r);
    if (!progress) sched_yield(); /* the peer is behind: let it run if it shares our CPU */
  }
  getrusage(RUSAGE_THREAD, &after);
  f.minor = after.ru_minflt - before.ru_minflt;
  f.major = after.ru_majflt - before.ru_majflt;
  return f;
}

static struct rtipc_channel_config channel(void) {
  struct rtipc_channel_config ch = RTIPC_CHANNEL_CONFIG_INIT;
  ch.msg_size = MSG_SIZE;
  ch.add_msgs = ADD_MSGS;
  return ch;
}

/* The server role, in the child: reports its faults on `report`. */
static int server(int sock, int report, uint32_t flags, uint64_t n) {
  struct rtipc_server_config cfg = RTIPC_SERVER_CONFIG_INIT;
  cfg.group_flags = flags;
  rtipc_group* g;
  int err = rtipc_server_accept_socket(sock, &cfg, TIMEOUT_MS, &g);
  if (err < 0) die("server", "accept", err);
  rtipc_producer* p;
  rtipc_consumer* c;
  if ((err = rtipc_group_take_producer(g, 0, &p)) < 0 ||
      (err = rtipc_group_take_consumer(g, 0, &c)) < 0)
    die("server", "take", err);
  rtipc_group_destroy(g);
  struct faults f = stream("server", p, c, n);
  if (write(report, &f, sizeof f) != (ssize_t)sizeof f) return 1;
  rtipc_producer_destroy(p);
  rtipc_consumer_destroy(c);
  return 0;
}

/* One run: the client here, the server in a child. Returns 0, or 77 when
 * the lock was refused to a user who may not have it. */
static int run(uint32_t flags, uint64_t n, struct faults* client_f, struct faults* server_f) {
  int sv[2], rep[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
    perror("pagefault_test: socketpair/pipe");
    exit(1);
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    perror("pagefault_test: fork");
    exit(1);
  }
  if (pid == 0) {
    close(sv[0]);
    close(rep[0]);
    _exit(server(sv[1], rep[1], flags, n));
  }
  close(sv[1]);
  close(rep[1]);

  struct rtipc_channel_config ch = channel();
  struct rtipc_group_config cfg = RTIPC_GROUP_CONFIG_INIT;
  cfg.flags = flags;
  cfg.producers = &ch;
  cfg.consumers = &ch;
  cfg.producer_count = 1;
  cfg.consumer_count = 1;
  rtipc_group* g;
  int err = rtipc_client_connect_socket(sv[0], &cfg, TIMEOUT_MS, &g);
  if (err < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    if ((err == -ENOMEM || err == -EPERM || err == -EAGAIN) && geteuid() != 0) {
      fprintf(stderr,
              "pagefault_test: SKIP: mlock of the region refused (%s; RLIMIT_MEMLOCK "
              "too small, see ulimit -l)\n",
              rtipc_strerror(err));
      return 77;
    }
    die("client", "connect", err);
  }
  rtipc_producer* p;
  rtipc_consumer* c;
  if ((err = rtipc_group_take_producer(g, 0, &p)) < 0 ||
      (err = rtipc_group_take_consumer(g, 0, &c)) < 0)
    die("client", "take", err);
  rtipc_group_destroy(g);
  *client_f = stream("client", p, c, n);
  rtipc_producer_destroy(p);
  rtipc_consumer_destroy(c);

  int status;
  if (read(rep[0], server_f, sizeof *server_f) != (ssize_t)sizeof *server_f ||
      waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "pagefault_test: the server role failed\n");
    exit(1);
  }
  close(sv[0]);
  close(rep[0]);
  return 0;
}

static void show(const char* what, const struct faults* c, const struct faults* s) {
  printf(
      "%s: client %ld minor + %ld major faults (%lld messages consumed), "
      "server %ld minor + %ld major (%lld consumed)\n",
      what, c->minor, c->major, c->consumed, s->minor, s->major, s->consumed);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--sanitized") == 0) {
    printf("SKIP: a sanitizer build: its runtime turns mlock into a no-op\n");
    return 77;
  }
  struct faults c, s;
  /* The control: unlocked, the first touch of each slot faults. */
  int rc = run(0, 20000, &c, &s);
  if (rc) return rc;
  show("unlocked (control)", &c, &s);
  if (c.minor + c.major == 0 || s.minor + s.major == 0) {
    fprintf(stderr,
            "FAIL: the control run counted no fault in a role: the count "
            "proves nothing\n");
    return 1;
  }

  rc = run(RTIPC_GROUP_MLOCK_REQUIRED, 1000000, &c, &s);
  if (rc) return rc;
  show("RTIPC_GROUP_MLOCK_REQUIRED", &c, &s);
  if (c.minor + c.major != 0 || s.minor + s.major != 0) {
    fprintf(stderr, "FAIL: page faults after setup with the region locked\n");
    return 1;
  }
  printf("PASS: no page fault in either role across 1000000 messages each way\n");
  return 0;
}
