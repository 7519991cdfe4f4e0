/* rtipc-demo: two processes, one stream of sequence-numbered messages.
 *
 * The parent listens on a socket in a fresh temporary directory and forks the
 * server, which accepts one client. The parent then connects as the client:
 * it creates a channel group with a stream channel (16-byte messages,
 * add_msgs 100) that it produces and a report channel that it consumes, and
 * hands it over in the handshake (PROTOCOL.md sections 2-5). The server reads
 * the stream, checks every sequence number, and sends its counts back on the
 * report channel. Two runs: force mode (the producer never waits and may
 * discard the oldest waiting message) and try mode (it never discards and
 * retries while the queue is full).
 *
 * In force mode every message is accounted for: the consumer receives some
 * and sees the others as gaps in the sequence numbers, and the number it
 * skipped equals the number of discards the producer was told about. In try
 * mode it receives every message. The demo exits with 1 if either fails.
 *
 * usage: rtipc-demo [MESSAGES]   (default 10000000)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <rtipc/rtipc.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* ---- The server: reads the stream, reports on the report channel -------- */

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
      exit(1);
    }
    if (result < RTIPC_NEW) {
      if (producer_gone) {
        /* It left before the consume above, which found nothing. */
        fprintf(stderr, "consumer: the producer went away\n");
        exit(1);
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

static int server(rtipc_server* listener, uint64_t messages) {
  rtipc_group* group = NULL;
  int rc = rtipc_server_accept(listener, 10000, &group);
  rtipc_server_destroy(listener);
  if (rc < 0) {
    fprintf(stderr, "server: %s (%s)\n", rtipc_strerror(rc), rtipc_last_error());
    return 1;
  }
  rtipc_consumer* stream = NULL;
  rtipc_producer* reports = NULL;
  if (rtipc_group_take_consumer(group, 0, &stream) < 0 ||
      rtipc_group_take_producer(group, 0, &reports) < 0)
    return 1;
  rtipc_group_destroy(group);

  for (uint32_t run = 0; run < RUNS; ++run) {
    struct report r = consume_run(stream, run, messages);
    memcpy(rtipc_producer_msg(reports), &r, sizeof r);
    rtipc_produce(reports, RTIPC_PRODUCE_FORCE);
  }
  rtipc_consumer_destroy(stream);
  rtipc_producer_destroy(reports);
  return 0;
}

/* ---- The client: produces the stream, prints both sides ----------------- */

struct produced {
  uint64_t discarded; /* RTIPC_PUBLISHED_DISCARDED results */
  uint64_t full;      /* RTIPC_QUEUE_FULL results (try mode) */
  int64_t elapsed_ns;
};

static struct produced produce_run(rtipc_producer* stream, uint32_t run, uint64_t messages) {
  struct produced p = {0};
  unsigned mode = run == RUN_FORCE ? RTIPC_PRODUCE_FORCE : RTIPC_PRODUCE_TRY;
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
      exit(1);
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

static void print_rate(const char* who, uint64_t count, int64_t ns) {
  double s = ns > 0 ? (double)ns / 1e9 : 1e-9;
  printf("  %-9s %.3f s, %.2f M msg/s, %.1f MB/s\n", who, s, (double)count / s / 1e6,
         (double)count * sizeof(struct message) / s / 1e6);
}

static int client(const char* path, pid_t child, uint64_t messages) {
  struct rtipc_channel_config stream_config = {.size = sizeof stream_config,
                                               .info = "stream",
                                               .info_size = 6,
                                               .msg_size = sizeof(struct message),
                                               .add_msgs = 100};
  struct rtipc_channel_config report_config = {.size = sizeof report_config,
                                               .info = "report",
                                               .info_size = 6,
                                               .msg_size = sizeof(struct report),
                                               .flags = RTIPC_CHANNEL_EVENTFD};
  struct rtipc_group_config config = {.size = sizeof config,
                                      .producers = &stream_config,
                                      .producer_count = 1,
                                      .consumers = &report_config,
                                      .consumer_count = 1};
  rtipc_group* group = NULL;
  int64_t start = now_ns();
  int rc = rtipc_client_connect(path, &config, 10000, &group);
  int64_t handshake_ns = now_ns() - start;
  if (rc < 0) {
    fprintf(stderr, "client: %s (%s)\n", rtipc_strerror(rc), rtipc_last_error());
    return 1;
  }
  rtipc_producer* stream = NULL;
  rtipc_consumer* reports = NULL;
  if (rtipc_group_take_producer(group, 0, &stream) < 0 ||
      rtipc_group_take_consumer(group, 0, &reports) < 0)
    return 1;
  rtipc_group_destroy(group);

  printf("rtipc-demo %s: connected to %s in %.0f us\n", rtipc_version(), path,
         (double)handshake_ns / 1e3);
  printf("%llu messages of %zu bytes per run, %u slots (add_msgs 100)\n",
         (unsigned long long)messages, rtipc_producer_msg_size(stream),
         rtipc_producer_slots(stream));
  int ok = 1;
  for (uint32_t run = 0; run < RUNS; ++run) {
    struct produced p = produce_run(stream, run, messages);
    struct report r;
    if ((rc = wait_report(reports, child, &r)) < 0) {
      fprintf(stderr, "no report from the consumer: %s\n", rtipc_strerror(rc));
      return 1;
    }
    if (run == RUN_FORCE)
      printf(
          "force mode (never waits, may discard the oldest waiting message):\n"
          "  producer: sent %llu, %llu discards reported\n",
          (unsigned long long)messages, (unsigned long long)p.discarded);
    else
      printf(
          "try mode (never discards, retries while the queue is full):\n"
          "  producer: sent %llu, queue full %llu times\n",
          (unsigned long long)messages, (unsigned long long)p.full);
    printf("  consumer: received %llu, skipped %llu in %llu gaps\n", (unsigned long long)r.received,
           (unsigned long long)r.skipped, (unsigned long long)r.gap_results);
    print_rate("producer:", messages, p.elapsed_ns);
    print_rate("consumer:", r.received, r.elapsed_ns);

    int run_ok = r.received + r.skipped == messages && r.skipped == p.discarded &&
                 r.silent_gaps == 0 && r.false_gaps == 0 && r.bad_messages == 0 &&
                 (run == RUN_FORCE || r.skipped == 0);
    if (run_ok)
      printf("  check: every message accounted for\n");
    else
      printf(
          "  check FAILED: received + skipped = %llu of %llu, %llu discards, %llu silent "
          "gaps, %llu false gaps, %llu bad messages\n",
          (unsigned long long)(r.received + r.skipped), (unsigned long long)messages,
          (unsigned long long)p.discarded, (unsigned long long)r.silent_gaps,
          (unsigned long long)r.false_gaps, (unsigned long long)r.bad_messages);
    ok &= run_ok;
  }
  rtipc_producer_destroy(stream);
  rtipc_consumer_destroy(reports);
  return ok ? 0 : 1;
}

int main(int argc, char** argv) {
  uint64_t messages = 10000000;
  if (argc > 2 || (argc == 2 && (messages = strtoull(argv[1], NULL, 10)) == 0)) {
    fprintf(stderr, "usage: %s [MESSAGES]   (default 10000000, at least 1)\n", argv[0]);
    return 2;
  }
  char dir[] = "/tmp/rtipc-demo-XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  char path[sizeof dir + 16];
  snprintf(path, sizeof path, "%s/demo.sock", dir);
  rtipc_server* listener;
  struct rtipc_server_config server_config = RTIPC_SERVER_CONFIG_INIT;
  server_config.backlog = 1;
  server_config.socket_mode = 0600;
  int rc = rtipc_server_create(path, &server_config, &listener);
  if (rc < 0) {
    fprintf(stderr, "listen on %s: %s\n", path, rtipc_strerror(rc));
    rmdir(dir);
    return 1;
  }
  fflush(NULL);
  pid_t child = fork();
  if (child < 0) {
    perror("fork");
    return 1;
  }
  if (child == 0) _exit(server(listener, messages));
  rc = client(path, child, messages);
  rtipc_server_destroy(listener); /* removes the socket file: we created it */
  if (rc != 0) kill(child, SIGTERM);
  int status = 0;
  waitpid(child, &status, 0);
  if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) rc = 1;
  rmdir(dir);
  return rc;
}
