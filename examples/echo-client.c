/*
 * rtipc-echo-client: offers one channel each way to an echo server, sends
 * COUNT numbered messages with at most WINDOW in flight, and checks that every
 * echo comes back in order and byte for byte. Message i holds the uint64 i at
 * offset 0 and the byte (uint8_t)(i * 7 + j) at every offset j >= 8. The end
 * marker has 0xFF in its first 8 bytes and 0xEE in the rest.
 *
 * Exit status: 0 ok, 1 usage, 2 connect failed or rejected, 3 timeout (no
 * progress for TIMEOUT_S seconds, or the server exited), 4 mismatch or queue
 * error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rtipc/rtipc.h>

enum { EXIT_USAGE = 1, EXIT_CONNECT = 2, EXIT_TIMEOUT = 3, EXIT_MISMATCH = 4 };

struct options {
  const char* path;
  long count, size, add_msgs, eventfd, window, timeout_s;
  bool quiet, no_marker, no_marker_wait;
};

static bool quiet;

#define say(...) (quiet ? (void)0 : (void)fprintf(stderr, "echo-client: " __VA_ARGS__))

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill_message(unsigned char* msg, size_t size, uint64_t i) {
  memcpy(msg, &i, sizeof i);
  for (size_t j = 8; j < size; j++) msg[j] = (uint8_t)(i * 7 + j);
}

static void fill_end_marker(unsigned char* msg, size_t size) {
  memset(msg, 0xFF, 8);
  memset(msg + 8, 0xEE, size - 8);
}

struct session {
  rtipc_producer* out;
  rtipc_consumer* in;
  size_t size;
  double timeout_s;
  double last_progress;
  unsigned char* expected;
};

/* Publishes the message already written at rtipc_producer_msg(). Returns 0,
 * -1 when the queue is full (the message stays in place), or an exit status. */
static int send_message(struct session* s) {
  int r = rtipc_produce(s->out, RTIPC_PRODUCE_TRY);
  if (r == RTIPC_PUBLISHED) return 0;
  if (r == RTIPC_QUEUE_FULL) return now_s() - s->last_progress > s->timeout_s ? EXIT_TIMEOUT : -1;
  say("produce: %s\n", r < 0 ? rtipc_strerror(r) : "discarded a message");
  return EXIT_MISMATCH;
}

/* Waits for the next echo and checks it against s->expected. */
static int receive_echo(struct session* s, const char* what) {
  unsigned long idle_polls = 0;
  bool server_gone = false;
  for (;;) {
    int r = rtipc_consume(s->in, RTIPC_CONSUME_NEXT);
    if (r == RTIPC_NEW) {
      if (memcmp(rtipc_consumer_msg(s->in), s->expected, s->size) != 0) {
        say("echo of %s differs from what was sent\n", what);
        return EXIT_MISMATCH;
      }
      s->last_progress = now_s();
      return 0;
    }
    if (r < 0 || r == RTIPC_NEW_AFTER_GAP) {
      say("consume: %s\n", r < 0 ? rtipc_strerror(r) : "echoes were lost");
      return EXIT_MISMATCH;
    }
    if (now_s() - s->last_progress > s->timeout_s) {
      say("no echo of %s within %.0f s\n", what, s->timeout_s);
      return EXIT_TIMEOUT;
    }
    if (rtipc_consumer_fd(s->in) >= 0) {
      int w = rtipc_consumer_wait(s->in, 100);
      if (w == -EPIPE) {
        say("the server went away before the echo of %s\n", what);
        return EXIT_TIMEOUT;
      }
      if (w < 0 && w != -EINTR) {
        say("wait: %s\n", rtipc_strerror(w));
        return EXIT_MISMATCH;
      }
    } else if (server_gone) {
      /* Gone before the consume above, which found nothing: nothing
       * can come any more. */
      say("the server went away before the echo of %s\n", what);
      return EXIT_TIMEOUT;
    } else if (++idle_polls % 4096 == 0) {
      /* A polling consumer cannot sleep on the peer's exit: look
       * now and then, then consume once more before giving up. */
      server_gone = rtipc_consumer_peer_alive(s->in) == 0;
    }
  }
}

static int exchange(struct session* s, const struct options* o) {
  uint64_t sent = 0, echoed = 0;
  while (echoed < (uint64_t)o->count) {
    if (sent < (uint64_t)o->count && sent - echoed < (uint64_t)o->window) {
      fill_message(rtipc_producer_msg(s->out), s->size, sent);
      int err = send_message(s);
      if (err > 0) return err;
      if (err == 0) {
        sent++;
        continue;
      }
      if (sent == echoed) continue; /* full with nothing in flight: the server is behind */
    }
    fill_message(s->expected, s->size, echoed);
    char what[32];
    snprintf(what, sizeof what, "message %llu", (unsigned long long)echoed);
    int err = receive_echo(s, what);
    if (err) return err;
    echoed++;
  }
  if (o->no_marker) return 0;
  fill_end_marker(rtipc_producer_msg(s->out), s->size);
  int err;
  while ((err = send_message(s)) < 0)
    ;
  if (err || o->no_marker_wait) return err;
  fill_end_marker(s->expected, s->size);
  return receive_echo(s, "the end marker");
}

static int run(const struct options* o) {
  uint32_t flags = o->eventfd ? RTIPC_CHANNEL_EVENTFD : 0;
  struct rtipc_channel_config c2s = {
      .size = sizeof c2s,
      .info = "echo c2s",
      .info_size = 8,
      .msg_size = (uint32_t)o->size,
      .add_msgs = (uint32_t)o->add_msgs,
      .flags = flags,
  };
  struct rtipc_channel_config s2c = c2s;
  s2c.info = "echo s2c";
  struct rtipc_group_config config = {
      .size = sizeof config,
      .producers = &c2s,
      .producer_count = 1,
      .consumers = &s2c,
      .consumer_count = 1,
      .info = "echo",
      .info_size = 4,
  };

  rtipc_group* group;
  int err = rtipc_client_connect(o->path, &config, (int)(o->timeout_s * 1000), &group);
  if (err < 0) {
    say("connect to %s: %s\n", o->path, rtipc_strerror(err));
    return err == -ETIMEDOUT ? EXIT_TIMEOUT : EXIT_CONNECT;
  }
  struct session s = {.size = (size_t)o->size, .timeout_s = (double)o->timeout_s};
  rtipc_group_take_producer(group, 0, &s.out);
  rtipc_group_take_consumer(group, 0, &s.in);
  rtipc_group_destroy(group);
  s.expected = malloc(s.size);
  if (!s.expected) return EXIT_MISMATCH;

  double start = now_s();
  s.last_progress = start;
  int status = exchange(&s, o);
  double elapsed = now_s() - start;
  if (status == 0)
    printf("echo-client: OK %ld messages echoed (%.3f s, %.0f round trips/s, %.2f us each)\n",
           o->count, elapsed, (double)o->count / elapsed,
           o->count ? elapsed * 1e6 / (double)o->count : 0.0);

  free(s.expected);
  rtipc_producer_destroy(s.out);
  rtipc_consumer_destroy(s.in);
  return status;
}

static void usage(void) {
  fprintf(stderr,
          "usage: rtipc-echo-client SOCKET [-k COUNT] [-s SIZE] [-a ADD_MSGS] "
          "[-e 0|1] [-w WINDOW] [-t TIMEOUT_S] [-q] [-x] [-M] (--help for more)\n");
}

static void help(void) {
  printf(
      "usage: rtipc-echo-client SOCKET [OPTION...]\n"
      "\n"
      "Connects to the echo server listening on the Unix socket SOCKET, offers one\n"
      "channel each way, sends COUNT numbered messages and checks that every echo\n"
      "comes back in order and byte for byte, then prints the round trips per second.\n"
      "\n"
      "  -k COUNT      messages to send (default 1000)\n"
      "  -s SIZE       bytes per message, 8 .. 67108864 (default 64)\n"
      "  -a ADD_MSGS   queue slots beyond the minimum of 3, per channel (default 0)\n"
      "  -e 0|1        1: the channels have an eventfd and both sides sleep while\n"
      "                idle; 0: no eventfd, both sides poll (default 1)\n"
      "  -w WINDOW     messages in flight before waiting for an echo (default 1)\n"
      "  -t TIMEOUT_S  give up after this many seconds without progress (default 10)\n"
      "  -q            print nothing but errors\n"
      "  -x            do not send the end marker (the server keeps serving)\n"
      "  -M            send the end marker but do not wait for its echo\n"
      "  -h, --help    print this help and exit\n"
      "  --version     print the library version and exit\n"
      "\n"
      "Exit status: 0 ok, 1 usage, 2 connect failed or rejected, 3 timeout (no\n"
      "progress, or the server exited), 4 mismatch or queue error.\n");
}

static bool parse_long(const char* s, long min, long max, long* out) {
  char* end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || end == s || v < min || v > max) return false;
  *out = v;
  return true;
}

int main(int argc, char** argv) {
  struct options o = {
      .count = 1000,
      .size = 64,
      .add_msgs = 0,
      .eventfd = 1,
      .window = 1,
      .timeout_s = 10,
  };
  int c;
  bool ok = true;
  static const struct option long_options[] = {
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {0},
  };
  while (ok && (c = getopt_long(argc, argv, "k:s:a:e:w:t:qxMh", long_options, NULL)) != -1) {
    switch (c) {
      case 'h':
        help();
        return 0;
      case 'V':
        printf("rtipc-echo-client (librtipc) %s\n", rtipc_version());
        return 0;
      case 'k':
        ok = parse_long(optarg, 0, INT64_MAX / 2, &o.count);
        break;
      case 's':
        ok = parse_long(optarg, 8, 64L << 20, &o.size);
        break;
      case 'a':
        ok = parse_long(optarg, 0, 1 << 20, &o.add_msgs);
        break;
      case 'e':
        ok = parse_long(optarg, 0, 1, &o.eventfd);
        break;
      case 'w':
        ok = parse_long(optarg, 1, 1L << 30, &o.window);
        break;
      case 't':
        ok = parse_long(optarg, 1, 1L << 20, &o.timeout_s);
        break;
      case 'q':
        o.quiet = true;
        break;
      case 'x':
        o.no_marker = true;
        break;
      case 'M':
        o.no_marker_wait = true;
        break;
      default:
        ok = false;
        break;
    }
  }
  if (!ok || optind != argc - 1) return usage(), EXIT_USAGE;
  o.path = argv[optind];
  quiet = o.quiet;
  if (quiet) rtipc_set_log(NULL, NULL, RTIPC_LOG_NONE);
  return run(&o);
}
