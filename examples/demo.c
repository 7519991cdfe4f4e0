/* rtipc-demo: two processes, a stream of sequence-numbered messages in both
 * produce modes side by side, then a ping-pong for latency.
 *
 * The parent listens on a socket in a fresh temporary directory and forks the
 * server, which accepts one client. The parent then connects as the client:
 * it creates a channel group with a stream channel (16-byte messages,
 * add_msgs 100) and a ping channel that it produces, and a report channel and
 * a pong channel that it consumes, and hands it over in the handshake
 * (docs/protocol.md). The server reads the stream, checks every sequence
 * number and sends its counts back on the report channel; then it answers
 * every ping with a pong.
 *
 * Force mode never waits: a full queue drops its oldest waiting message
 * (overwrite-oldest). A consumer slower than the producer then sees only some
 * messages, and how many depends on scheduling, so it changes from run to
 * run. Every message is still accounted for: received + skipped = sent, and
 * skipped = the discards the producer was told about. Try mode never
 * discards and runs at the consumer's pace. The demo exits with 1 if any
 * count does not add up.
 *
 * The API calls are in the small helpers at the top (setup) and in the
 * produce/consume loops; the rest is bookkeeping and printing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <rtipc/rtipc.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct message { /* 16 bytes */
  uint64_t seq;
  uint32_t run;
  uint32_t check; /* derived from seq and run: a torn message would show */
};

struct report {
  uint64_t received;
  uint64_t skipped;      /* messages missing between those received */
  uint64_t gap_results;  /* RTIPC_NEW_AFTER_GAP results */
  uint64_t silent_gaps;  /* skips reported as RTIPC_NEW: must be 0 */
  uint64_t false_gaps;   /* RTIPC_NEW_AFTER_GAP without a skip: must be 0 */
  uint64_t bad_messages; /* wrong run or check value: must be 0 */
  int64_t elapsed_ns;    /* first to last message received */
};

enum { RUN_FORCE = 0, RUN_TRY = 1, RUNS = 2 };
enum { SPINS_BEFORE_YIELD = 1024 };
enum { EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* The group's channels, as the client sees them. */
enum { OUT_STREAM = 0, OUT_PING = 1, IN_REPORT = 0, IN_PONG = 1 };

struct channels {
  rtipc_producer* stream; /* client: produces; server: NULL */
  rtipc_producer* out;    /* client: ping; server: report */
  rtipc_producer* pong;   /* server only */
  rtipc_consumer* in;     /* client: report; server: stream */
  rtipc_consumer* reply;  /* client: pong; server: ping */
};

struct options {
  uint64_t messages;
  uint64_t pings;
};

static uint32_t check_of(uint64_t seq, uint32_t run) {
  return (uint32_t)(seq * 2654435761u) ^ run;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Busy-polling is what a real-time consumer does; yielding now and then keeps
 * the demo usable when both processes share one core. */
static void backoff(unsigned* spins) {
  if (++*spins % SPINS_BEFORE_YIELD == 0) sched_yield();
}

/* ---- Setup: every call that depends on the shape of the API ------------- */

static int listen_on(const char* path, rtipc_server** listener) {
  struct rtipc_server_config config = RTIPC_SERVER_CONFIG_INIT;
  config.backlog = 1;
  config.socket_mode = 0600;
  return rtipc_server_create(path, &config, listener);
}

static int accept_group(rtipc_server* listener, rtipc_group** group) {
  return rtipc_server_accept(listener, 10000, group);
}

static struct rtipc_channel_config channel(const char* name, uint32_t msg_size, uint32_t add_msgs,
                                           uint32_t flags) {
  struct rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
  c.info = name;
  c.info_size = (uint32_t)strlen(name);
  c.msg_size = msg_size;
  c.add_msgs = add_msgs;
  c.flags = flags;
  return c;
}

static int connect_group(const char* path, rtipc_group** group) {
  struct rtipc_channel_config produced[] = {
      channel("stream", sizeof(struct message), 100, 0),
      channel("ping", sizeof(struct message), 0, 0),
  };
  struct rtipc_channel_config consumed[] = {
      channel("report", sizeof(struct report), 0, RTIPC_CHANNEL_EVENTFD),
      channel("pong", sizeof(struct message), 0, 0),
  };
  struct rtipc_group_config config = RTIPC_GROUP_CONFIG_INIT;
  config.producers = produced;
  config.producer_count = 2;
  config.consumers = consumed;
  config.consumer_count = 2;
  return rtipc_client_connect(path, &config, 10000, group);
}

/* Takes the channels out of the group and destroys it. */
static int take_channels(rtipc_group* group, int is_client, struct channels* c) {
  int rc = 0;
  if (is_client) {
    if ((rc = rtipc_group_take_producer(group, OUT_STREAM, &c->stream)) < 0 ||
        (rc = rtipc_group_take_producer(group, OUT_PING, &c->out)) < 0 ||
        (rc = rtipc_group_take_consumer(group, IN_REPORT, &c->in)) < 0 ||
        (rc = rtipc_group_take_consumer(group, IN_PONG, &c->reply)) < 0)
      goto out;
  } else {
    /* The server's producers are the client's consumers, in the same order. */
    if ((rc = rtipc_group_take_consumer(group, OUT_STREAM, &c->in)) < 0 ||
        (rc = rtipc_group_take_consumer(group, OUT_PING, &c->reply)) < 0 ||
        (rc = rtipc_group_take_producer(group, IN_REPORT, &c->out)) < 0 ||
        (rc = rtipc_group_take_producer(group, IN_PONG, &c->pong)) < 0)
      goto out;
  }
out:
  rtipc_group_destroy(group);
  return rc;
}

static void destroy_channels(struct channels* c) {
  rtipc_producer_destroy(c->stream);
  rtipc_producer_destroy(c->out);
  rtipc_producer_destroy(c->pong);
  rtipc_consumer_destroy(c->in);
  rtipc_consumer_destroy(c->reply);
}

static unsigned produce_mode(uint32_t run) {
  return run == RUN_FORCE ? RTIPC_PRODUCE_FORCE : RTIPC_PRODUCE_TRY;
}

/* ---- The server: reads the stream, reports, answers pings --------------- */

static struct report consume_run(rtipc_consumer* stream, uint32_t run, uint64_t messages) {
  struct report r = {0};
  uint64_t expected = 0; /* the next sequence number */
  int64_t first = 0;
  unsigned spins = 0;
  bool producer_gone = false;
  for (;;) {
    int result = rtipc_consume(stream, RTIPC_CONSUME_NEXT);
    if (result < 0) {
      fprintf(stderr, "consumer: %s\n", rtipc_strerror(result));
      exit(EXIT_FAILED);
    }
    if (result < RTIPC_NEW) {
      if (producer_gone) {
        /* It left before the consume above, which found nothing. */
        fprintf(stderr, "consumer: the producer went away\n");
        exit(EXIT_FAILED);
      }
      /* Polling cannot sleep on the peer's exit: look now and then. */
      if (++spins % (64 * SPINS_BEFORE_YIELD) == 0)
        producer_gone = rtipc_consumer_peer_alive(stream) == 0;
      backoff(&spins);
      continue;
    }
    struct message m;
    memcpy(&m, rtipc_consumer_msg(stream), sizeof m);
    if (r.received++ == 0) first = now_ns();
    if (m.run != run || m.check != check_of(m.seq, m.run) || m.seq < expected) {
      r.bad_messages++;
      continue;
    }
    uint64_t skipped = m.seq - expected;
    r.skipped += skipped;
    r.gap_results += result == RTIPC_NEW_AFTER_GAP;
    r.silent_gaps += skipped > 0 && result == RTIPC_NEW;
    r.false_gaps += skipped == 0 && result == RTIPC_NEW_AFTER_GAP;
    expected = m.seq + 1;
    if (m.seq == messages - 1) break; /* the newest message is never discarded */
  }
  r.elapsed_ns = now_ns() - first;
  return r;
}

/* Echoes every ping until the last one; the client waits for each pong, so
 * one slot each way is enough. */
static void answer_pings(rtipc_consumer* ping, rtipc_producer* pong, uint64_t pings) {
  unsigned spins = 0;
  for (uint64_t answered = 0; answered < pings;) {
    int result = rtipc_consume(ping, RTIPC_CONSUME_NEXT);
    if (result < 0) exit(EXIT_FAILED);
    if (result < RTIPC_NEW) {
      backoff(&spins);
      continue;
    }
    memcpy(rtipc_producer_msg(pong), rtipc_consumer_msg(ping), sizeof(struct message));
    if (rtipc_produce(pong, RTIPC_PRODUCE_FORCE) < 0) exit(EXIT_FAILED);
    answered++;
  }
}

static int server(rtipc_server* listener, const struct options* o) {
  rtipc_group* group = NULL;
  int rc = accept_group(listener, &group);
  rtipc_server_destroy(listener);
  if (rc < 0) {
    fprintf(stderr, "server: %s (%s)\n", rtipc_strerror(rc), rtipc_last_error());
    return EXIT_FAILED;
  }
  struct channels c = {0};
  if (take_channels(group, 0, &c) < 0) return EXIT_FAILED;
  for (uint32_t run = 0; run < RUNS; ++run) {
    struct report r = consume_run(c.in, run, o->messages);
    memcpy(rtipc_producer_msg(c.out), &r, sizeof r);
    rtipc_produce(c.out, RTIPC_PRODUCE_FORCE);
  }
  answer_pings(c.reply, c.pong, o->pings);
  destroy_channels(&c);
  return 0;
}

/* ---- The client: produces the stream, pings, prints --------------------- */

struct produced {
  uint64_t discarded; /* RTIPC_PUBLISHED_DISCARDED results */
  uint64_t full;      /* RTIPC_QUEUE_FULL results (try mode) */
  int64_t elapsed_ns;
};

static struct produced produce_run(rtipc_producer* stream, uint32_t run, uint64_t messages) {
  struct produced p = {0};
  unsigned mode = produce_mode(run);
  unsigned spins = 0;
  int64_t start = now_ns();
  for (uint64_t seq = 0; seq < messages; ++seq) {
    struct message m = {seq, run, check_of(seq, run)};
    memcpy(rtipc_producer_msg(stream), &m, sizeof m);
    int result;
    /* A full queue in try mode leaves the message in place: produce again. */
    while ((result = rtipc_produce(stream, mode)) == RTIPC_QUEUE_FULL) {
      p.full++;
      backoff(&spins);
    }
    if (result < 0) {
      fprintf(stderr, "producer: %s\n", rtipc_strerror(result));
      exit(EXIT_FAILED);
    }
    p.discarded += result == RTIPC_PUBLISHED_DISCARDED;
  }
  p.elapsed_ns = now_ns() - start;
  return p;
}

/* Waits for the child's report; fails if the child is gone. */
static int wait_report(rtipc_consumer* reports, pid_t child, struct report* r) {
  for (;;) {
    int rc = rtipc_consumer_wait(reports, 1000);
    if (rc < 0) return rc;
    if (rc == 1 && rtipc_consume(reports, RTIPC_CONSUME_NEXT) >= RTIPC_NEW) {
      memcpy(r, rtipc_consumer_msg(reports), sizeof *r);
      return 0;
    }
    if (waitpid(child, NULL, WNOHANG) == child) return -ECHILD;
  }
}

static int compare_i64(const void* a, const void* b) {
  int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return (x > y) - (x < y);
}

/* Round trips in ns, sorted; NULL if the server stopped answering. */
static int64_t* ping_pong(rtipc_producer* ping, rtipc_consumer* pong, pid_t child, uint64_t pings) {
  int64_t* rtt = malloc(pings * sizeof *rtt);
  if (!rtt) return NULL;
  for (uint64_t seq = 0; seq < pings; ++seq) {
    struct message m = {seq, RUNS, check_of(seq, RUNS)};
    int64_t start = now_ns();
    memcpy(rtipc_producer_msg(ping), &m, sizeof m);
    if (rtipc_produce(ping, RTIPC_PRODUCE_FORCE) < 0) goto fail;
    unsigned spins = 0;
    for (;;) {
      int result = rtipc_consume(pong, RTIPC_CONSUME_NEXT);
      if (result < 0) goto fail;
      if (result >= RTIPC_NEW && ((const struct message*)rtipc_consumer_msg(pong))->seq == seq)
        break;
      backoff(&spins);
      if (spins % (1u << 20) == 0 && waitpid(child, NULL, WNOHANG) == child) goto fail;
    }
    rtt[seq] = now_ns() - start;
  }
  qsort(rtt, pings, sizeof *rtt, compare_i64);
  return rtt;
fail:
  free(rtt);
  return NULL;
}

static double percentile_us(const int64_t* sorted, uint64_t n, double p) {
  uint64_t i = (uint64_t)(p / 100.0 * (double)(n - 1) + 0.5);
  return (double)sorted[i] / 1e3;
}

static double rate_m(uint64_t count, int64_t ns) {
  return ns > 0 ? (double)count / ((double)ns / 1e9) / 1e6 : 0.0;
}

static int run_ok(const struct report* r, const struct produced* p, uint32_t run, uint64_t sent) {
  return r->received + r->skipped == sent && r->skipped == p->discarded && r->silent_gaps == 0 &&
         r->false_gaps == 0 && r->bad_messages == 0 && (run == RUN_FORCE || r->skipped == 0);
}

static void row(const char* label, uint64_t force, uint64_t try_) {
  printf("  %-32s %14llu %14llu\n", label, (unsigned long long)force, (unsigned long long)try_);
}

static void print_table(const struct produced p[RUNS], const struct report r[RUNS], uint64_t sent) {
  printf("\n%-34s %14s %14s\n", "", "force mode", "try mode");
  row("sent", sent, sent);
  row("received by the consumer", r[0].received, r[1].received);
  row("discarded (producer was told)", p[0].discarded, p[1].discarded);
  row("skipped (consumer saw gaps)", r[0].skipped, r[1].skipped);
  row("  in this many gaps", r[0].gap_results, r[1].gap_results);
  row("queue full, produced again", p[0].full, p[1].full);
  printf("  %-32s %12.2f M %12.2f M\n", "producer rate (msg/s)", rate_m(sent, p[0].elapsed_ns),
         rate_m(sent, p[1].elapsed_ns));
  printf("  %-32s %12.2f M %12.2f M\n", "consumer rate (msg/s)",
         rate_m(r[0].received, r[0].elapsed_ns), rate_m(r[1].received, r[1].elapsed_ns));
  printf("  %-32s %14s %14s\n", "every message accounted for",
         run_ok(&r[0], &p[0], RUN_FORCE, sent) ? "yes" : "NO",
         run_ok(&r[1], &p[1], RUN_TRY, sent) ? "yes" : "NO");
}

static void explain(void) {
  printf(
      "\nForce mode never waits: when the queue is full, publishing drops the oldest\n"
      "waiting message (overwrite-oldest), so a consumer slower than the producer gets\n"
      "only part of the stream, always the newest. How much depends on how the two\n"
      "processes are scheduled, and it changes from run to run: that is the mode\n"
      "working, not failing. Nothing is lost silently: received + skipped = sent, and\n"
      "the consumer skipped exactly what the producer was told it discarded.\n"
      "Try mode never drops a message: the producer retries while the queue is full,\n"
      "so it runs at the consumer's pace. Use force for state (latest value wins),\n"
      "try for events that must all arrive.\n");
}

static int client(const char* path, pid_t child, const struct options* o) {
  rtipc_group* group = NULL;
  int64_t start = now_ns();
  int rc = connect_group(path, &group);
  int64_t handshake_ns = now_ns() - start;
  if (rc < 0) {
    fprintf(stderr, "client: %s (%s)\n", rtipc_strerror(rc), rtipc_last_error());
    return EXIT_FAILED;
  }
  struct channels c = {0};
  if (take_channels(group, 1, &c) < 0) return EXIT_FAILED;

  printf("rtipc-demo %s: connected to %s in %.0f us\n", rtipc_version(), path,
         (double)handshake_ns / 1e3);
  printf("stream: %llu messages of %zu bytes per mode, %u slots (add_msgs 100)\n",
         (unsigned long long)o->messages, rtipc_producer_msg_size(c.stream),
         rtipc_producer_slots(c.stream));
  fflush(stdout);
  struct produced p[RUNS];
  struct report r[RUNS];
  int ok = 1;
  for (uint32_t run = 0; run < RUNS && ok; ++run) {
    p[run] = produce_run(c.stream, run, o->messages);
    if ((rc = wait_report(c.in, child, &r[run])) < 0) {
      fprintf(stderr, "no report from the consumer: %s\n", rtipc_strerror(rc));
      ok = 0;
      break;
    }
    ok &= run_ok(&r[run], &p[run], run, o->messages);
  }
  if (rc >= 0) {
    print_table(p, r, o->messages);
    explain();
  }

  int64_t* rtt = ok && o->pings ? ping_pong(c.out, c.reply, child, o->pings) : NULL;
  if (rtt) {
    printf(
        "\nping-pong: %llu round trips of %zu bytes, busy polling (no eventfd):\n"
        "  round trip p50 %.2f us, p99 %.2f us, p99.9 %.2f us, max %.2f us\n",
        (unsigned long long)o->pings, sizeof(struct message), percentile_us(rtt, o->pings, 50),
        percentile_us(rtt, o->pings, 99), percentile_us(rtt, o->pings, 99.9),
        (double)rtt[o->pings - 1] / 1e3);
    free(rtt);
  } else if (ok && o->pings) {
    fprintf(stderr, "ping-pong failed: the server stopped answering\n");
    ok = 0;
  }
  destroy_channels(&c);
  return ok ? 0 : EXIT_FAILED;
}

/* ---- Options ------------------------------------------------------------ */

static void usage(void) {
  fprintf(stderr, "usage: rtipc-demo [-n MESSAGES] [-p PINGS] [MESSAGES] (--help for more)\n");
}

static void help(void) {
  printf(
      "usage: rtipc-demo [OPTION...] [MESSAGES]\n"
      "\n"
      "Runs a server and a client in two processes on one machine. The client streams\n"
      "MESSAGES sequence-numbered messages to the server, once in force mode (never\n"
      "waits, drops the oldest waiting message when the queue is full) and once in\n"
      "try mode (never drops, retries while full), and prints both side by side;\n"
      "then it measures round trips in a ping-pong. Exits 1 if a count is wrong.\n"
      "\n"
      "  -n, --messages N  messages per mode (default 10000000)\n"
      "  -p, --pings N     ping-pong round trips (default 100000; 0: none)\n"
      "  -h, --help        print this help and exit\n"
      "      --version     print the library version and exit\n"
      "\n"
      "Environment: RTIPC_LOG=debug|info|warning|error makes the library log to stderr.\n");
}

static int parse_count(const char* s, uint64_t min, uint64_t* out) {
  char* end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || end == s || s[0] == '-' || v < min) return 0;
  *out = v;
  return 1;
}

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char** argv, struct options* o) {
  static const struct option long_options[] = {
      {"messages", required_argument, NULL, 'n'},
      {"pings", required_argument, NULL, 'p'},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {0},
  };
  int c;
  while ((c = getopt_long(argc, argv, "n:p:h", long_options, NULL)) != -1) {
    switch (c) {
      case 'n':
        if (!parse_count(optarg, 1, &o->messages)) return usage(), EXIT_USAGE;
        break;
      case 'p':
        if (!parse_count(optarg, 0, &o->pings)) return usage(), EXIT_USAGE;
        break;
      case 'h':
        return help(), 0;
      case 'V':
        return printf("rtipc-demo (librtipc) %s\n", rtipc_version()), 0;
      default:
        return usage(), EXIT_USAGE;
    }
  }
  if (optind < argc && !parse_count(argv[optind++], 1, &o->messages)) return usage(), EXIT_USAGE;
  if (optind != argc) return usage(), EXIT_USAGE;
  return -1;
}

int main(int argc, char** argv) {
  struct options o = {10000000, 100000};
  int status = parse_options(argc, argv, &o);
  if (status >= 0) return status;

  char dir[] = "/tmp/rtipc-demo-XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return EXIT_FAILED;
  }
  char path[sizeof dir + 16];
  snprintf(path, sizeof path, "%s/demo.sock", dir);
  rtipc_server* listener;
  int rc = listen_on(path, &listener);
  if (rc < 0) {
    fprintf(stderr, "listen on %s: %s\n", path, rtipc_strerror(rc));
    rmdir(dir);
    return EXIT_FAILED;
  }
  fflush(NULL);
  pid_t child = fork();
  if (child < 0) {
    perror("fork");
    return EXIT_FAILED;
  }
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never spin on after the client is gone */
    _exit(server(listener, &o));
  }
  rc = client(path, child, &o);
  rtipc_server_destroy(listener); /* removes the socket file: we created it */
  if (rc != 0) kill(child, SIGTERM);
  int child_status = 0;
  waitpid(child, &child_status, 0);
  if (rc == 0 && !(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0)) rc = EXIT_FAILED;
  rmdir(dir);
  return rc;
}
