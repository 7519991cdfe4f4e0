/*
 * bridge-peer: an rtipc application for the bridge tests. It connects to an
 * rtipc-bridge in server mode with N channels each way, whose info bytes
 * name their topics, and then:
 *
 *   send         produces COUNT messages on each of its out channels
 *   recv         consumes until COUNT messages came on each in channel (or
 *                IDLE_S passed without any), checking each one
 *   echo         echoes in channel i to out channel i until the bridge goes
 *   echo-client  sends COUNT messages on out channel 0 one at a time and
 *                checks each echo on in channel 0; with -r it reconnects
 *                when the bridge goes and goes on
 *
 * Message number i of a channel: the uint64 i at offset 0, then the byte
 * (uint8_t)(i * 13 + j) at every offset j >= 8. A message that is not of
 * this form counts as bad.
 *
 * -W GO_FILE: after connecting, wait until GO_FILE exists before starting.
 *
 * Prints one "peer: key=value ..." result line on stdout. Exit status: 0 ok,
 * 1 usage, 2 connect failed, 3 timeout, 4 bad message or queue error,
 * 5 descriptor leak.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sched.h>
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

enum { EXIT_USAGE = 1, EXIT_CONNECT = 2, EXIT_TIMEOUT = 3, EXIT_BAD = 4, EXIT_LEAK = 5 };
#define MAX_CHANNELS 512

struct options {
  const char *path, *mode, *out_topic, *in_topic, *push, *go_file;
  long count, size, channels, slots, idle_s, connect_s;
  bool reconnect;
};

struct session {
  rtipc_group* group;
  rtipc_producer* out[MAX_CHANNELS];
  rtipc_consumer* in[MAX_CHANNELS];
  long n_out, n_in;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_fds(void) {
  DIR* d = opendir("/proc/self/fd");
  int n = 0;
  if (!d) return -1;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

static void fill(unsigned char* msg, size_t size, uint64_t i) {
  memcpy(msg, &i, sizeof i);
  for (size_t j = 8; j < size; j++) msg[j] = (uint8_t)(i * 13 + j);
}

/* The message's number, or -1 when it is not a well-formed message. */
static int64_t check(const unsigned char* msg, size_t size) {
  uint64_t i;
  memcpy(&i, msg, sizeof i);
  for (size_t j = 8; j < size; j++)
    if (msg[j] != (uint8_t)(i * 13 + j)) return -1;
  return (int64_t)i;
}

static void close_session(struct session* s) {
  for (long i = 0; i < s->n_out; i++) rtipc_producer_destroy(s->out[i]);
  for (long i = 0; i < s->n_in; i++) rtipc_consumer_destroy(s->in[i]);
  rtipc_group_destroy(s->group);
  memset(s, 0, sizeof *s);
}

static char* topic_of(const char* base, long i, long n, const char* push) {
  char* info;
  if (n == 1) return asprintf(&info, "topic=%s push=%s", base, push) < 0 ? NULL : info;
  return asprintf(&info, "topic=%s/%ld push=%s", base, i, push) < 0 ? NULL : info;
}

static int open_session(const struct options* o, struct session* s, int timeout_ms) {
  static struct rtipc_channel_config out[MAX_CHANNELS], in[MAX_CHANNELS];
  long n_out = o->out_topic ? o->channels : 0, n_in = o->in_topic ? o->channels : 0;
  for (long i = 0; i < n_out + n_in; i++) {
    bool is_out = i < n_out;
    long k = is_out ? i : i - n_out;
    struct rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
    c.flags = RTIPC_CHANNEL_EVENTFD;
    c.msg_size = (uint32_t)o->size;
    c.add_msgs = (uint32_t)(o->slots - 3);
    char* info = topic_of(is_out ? o->out_topic : o->in_topic, k, o->channels, o->push);
    c.info = info;
    c.info_size = info ? (uint32_t)strlen(info) : 0;
    (is_out ? out : in)[k] = c;
  }
  struct rtipc_group_config g = RTIPC_GROUP_CONFIG_INIT;
  g.producers = n_out ? out : NULL;
  g.producer_count = (uint32_t)n_out;
  g.consumers = n_in ? in : NULL;
  g.consumer_count = (uint32_t)n_in;
  double deadline = now_s() + timeout_ms / 1000.0;
  int err;
  do {
    err = rtipc_client_connect(o->path, &g, 2000, &s->group);
    if (err == -ENOENT || err == -ECONNREFUSED) usleep(50000);
  } while ((err == -ENOENT || err == -ECONNREFUSED) && now_s() < deadline);
  for (long i = 0; i < n_out; i++) free((void*)out[i].info);
  for (long i = 0; i < n_in; i++) free((void*)in[i].info);
  if (err < 0) {
    fprintf(stderr, "peer: connect to %s: %s\n", o->path, rtipc_strerror(err));
    return EXIT_CONNECT;
  }
  s->n_out = n_out;
  s->n_in = n_in;
  for (long i = 0; i < n_out; i++) rtipc_group_take_producer(s->group, (uint32_t)i, &s->out[i]);
  for (long i = 0; i < n_in; i++) rtipc_group_take_consumer(s->group, (uint32_t)i, &s->in[i]);
  return 0;
}

static int do_send(const struct options* o, struct session* s) {
  unsigned mode = strcmp(o->push, "try") == 0 ? RTIPC_PRODUCE_TRY : RTIPC_PRODUCE_FORCE;
  unsigned long long sent = 0, discarded = 0;
  for (long i = 0; i < o->count; i++) {
    for (long c = 0; c < s->n_out; c++) {
      fill(rtipc_producer_msg(s->out[c]), (size_t)o->size, (uint64_t)i);
      int r;
      double since = now_s();
      while ((r = rtipc_produce(s->out[c], mode)) == RTIPC_QUEUE_FULL) {
        if (now_s() - since > o->idle_s) {
          fprintf(stderr, "peer: the bridge took nothing for %ld s\n", o->idle_s);
          return EXIT_TIMEOUT;
        }
        sched_yield();
      }
      if (r < 0) return EXIT_BAD;
      sent++;
      discarded += r == RTIPC_PUBLISHED_DISCARDED;
    }
  }
  /* The bridge drains what is left when we go: wait until it took
   * everything, so that counts are final when we report them. */
  for (long c = 0; c < s->n_out; c++)
    while (rtipc_producer_pending(s->out[c]) > 0 && rtipc_producer_peer_alive(s->out[c]) != 0)
      usleep(1000);
  printf("peer: sent=%llu discarded=%llu\n", sent, discarded);
  return 0;
}

static int do_recv(const struct options* o, struct session* s) {
  unsigned long long received = 0, bad = 0, gaps = 0,
                     target = (unsigned long long)o->count * (unsigned long long)s->n_in;
  double last = now_s();
  bool any = false;
  while (received < target) {
    bool got = false;
    for (long c = 0; c < s->n_in; c++) {
      int r;
      while ((r = rtipc_consume(s->in[c], RTIPC_CONSUME_NEXT)) >= RTIPC_NEW) {
        got = true;
        received++;
        gaps += r == RTIPC_NEW_AFTER_GAP;
        if (check(rtipc_consumer_msg(s->in[c]), (size_t)o->size) < 0) bad++;
      }
      if (r < 0) return EXIT_BAD;
    }
    if (got) {
      last = now_s();
      any = true;
      continue;
    }
    /* Before the first message the sender may not have started. */
    if (now_s() - last > (any ? o->idle_s : o->connect_s)) break;
    if (s->n_in == 1) {
      int w = rtipc_consumer_wait(s->in[0], 100);
      if (w == -EPIPE) break;
    } else {
      usleep(200);
    }
  }
  printf("peer: received=%llu bad=%llu gaps=%llu\n", received, bad, gaps);
  if (bad) return EXIT_BAD;
  return received == target || o->count == 0 ? 0 : EXIT_TIMEOUT;
}

static int do_echo(const struct options* o, struct session* s) {
  unsigned long long echoed = 0;
  (void)o;
  for (;;) {
    bool got = false;
    for (long c = 0; c < s->n_in && c < s->n_out; c++) {
      while (rtipc_consume(s->in[c], RTIPC_CONSUME_NEXT) >= RTIPC_NEW) {
        memcpy(rtipc_producer_msg(s->out[c]), rtipc_consumer_msg(s->in[c]), (size_t)o->size);
        rtipc_produce(s->out[c], RTIPC_PRODUCE_FORCE);
        echoed++;
        got = true;
      }
    }
    if (got) continue;
    int w = s->n_in == 1 ? rtipc_consumer_wait(s->in[0], 1000) : (usleep(200), 0);
    if (w == -EPIPE || rtipc_consumer_peer_alive(s->in[0]) == 0) break;
  }
  printf("peer: echoed=%llu\n", echoed);
  return 0;
}

/* One round trip per message; with -r a bridge that goes away is waited
 * for and the message sent again. */
static int do_echo_client(const struct options* o, struct session* s) {
  int fds_connected = -1; /* after the first push, see below */
  unsigned long long reconnects = 0;
  unsigned char* expected = malloc((size_t)o->size);
  for (long i = 0; i < o->count;) {
    for (long c = 0; c < s->n_out; c++) {
      fill(rtipc_producer_msg(s->out[c]), (size_t)o->size, (uint64_t)i);
      rtipc_produce(s->out[c], RTIPC_PRODUCE_FORCE);
    }
    /* The first push with an eventfd makes this thread's io_uring
     * (kept until the thread ends): count from there. */
    if (fds_connected < 0) fds_connected = count_fds();
    fill(expected, (size_t)o->size, (uint64_t)i);
    double start = now_s();
    long done = 0, resends = 0;
    bool gone = false;
    /* A resent message may be echoed twice: count each channel once. */
    static bool echoed_on[MAX_CHANNELS];
    memset(echoed_on, 0, sizeof echoed_on);
    while (done < s->n_in) {
      bool got = false;
      for (long c = 0; c < s->n_in; c++) {
        while (rtipc_consume(s->in[c], RTIPC_CONSUME_NEXT) >= RTIPC_NEW) {
          got = true;
          if (memcmp(rtipc_consumer_msg(s->in[c]), expected, (size_t)o->size) == 0) {
            done += !echoed_on[c];
            echoed_on[c] = true;
          }
          /* An older echo (resent after a reconnect) is no error. */
          else if (check(rtipc_consumer_msg(s->in[c]), (size_t)o->size) < 0) {
            printf("peer: bad echo of message %ld\n", i);
            return EXIT_BAD;
          }
        }
      }
      if (got) continue;
      /* Many channels: poll them all rather than sleep on one. */
      int w = s->n_in == 1 ? rtipc_consumer_wait(s->in[0], 200) : (usleep(50), 0);
      if (w == -EPIPE) {
        gone = true;
        break;
      }
      if (now_s() - start > o->idle_s) {
        if (!o->reconnect) break;
        gone = rtipc_consumer_peer_alive(s->in[0]) == 0;
        if (gone) break;
        /* Published before the restarted bridge matched the
         * other side, so lost: send it again, a few times. */
        if (++resends > 10) break;
        for (long c = 0; c < s->n_out; c++) {
          fill(rtipc_producer_msg(s->out[c]), (size_t)o->size, (uint64_t)i);
          rtipc_produce(s->out[c], RTIPC_PRODUCE_FORCE);
        }
        start = now_s();
      }
    }
    if (done == s->n_in) {
      i++;
      continue;
    }
    if (!gone || !o->reconnect) {
      printf("peer: no echo of message %ld within %ld s\n", i, o->idle_s);
      return EXIT_TIMEOUT;
    }
    close_session(s);
    fprintf(stderr, "peer: the bridge went away; reconnecting\n");
    int err = open_session(o, s, (int)(o->connect_s * 1000));
    if (err) return err;
    reconnects++;
    int fds = count_fds();
    if (fds != fds_connected) {
      printf("peer: %d descriptors after reconnecting, %d before\n", fds, fds_connected);
      return EXIT_LEAK;
    }
  }
  free(expected);
  printf("peer: echoed=%ld reconnects=%llu\n", o->count, reconnects);
  return 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: bridge-peer SOCKET send|recv|echo|echo-client [-o TOPIC] [-i TOPIC] "
          "[-n CHANNELS] [-s SIZE] [-a SLOTS] [-m force|try] [-k COUNT] [-t IDLE_S] "
          "[-T CONNECT_S] [-r] [-W GO_FILE]\n");
}

int main(int argc, char** argv) {
  struct options o = {.push = "force",
                      .count = 1000,
                      .size = 64,
                      .channels = 1,
                      .slots = 8,
                      .idle_s = 5,
                      .connect_s = 20};
  int c;
  while ((c = getopt(argc, argv, "o:i:n:s:a:m:k:t:T:rW:")) != -1) {
    switch (c) {
      case 'o':
        o.out_topic = optarg;
        break;
      case 'i':
        o.in_topic = optarg;
        break;
      case 'n':
        o.channels = atol(optarg);
        break;
      case 's':
        o.size = atol(optarg);
        break;
      case 'a':
        o.slots = atol(optarg);
        break;
      case 'm':
        o.push = optarg;
        break;
      case 'k':
        o.count = atol(optarg);
        break;
      case 't':
        o.idle_s = atol(optarg);
        break;
      case 'T':
        o.connect_s = atol(optarg);
        break;
      case 'r':
        o.reconnect = true;
        break;
      case 'W':
        o.go_file = optarg;
        break;
      default:
        usage();
        return EXIT_USAGE;
    }
  }
  if (optind != argc - 2 || o.size < 8 || o.channels < 1 || o.channels > MAX_CHANNELS ||
      o.slots < 3) {
    usage();
    return EXIT_USAGE;
  }
  o.path = argv[optind];
  o.mode = argv[optind + 1];
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct session s = {0};
  int err = open_session(&o, &s, (int)(o.connect_s * 1000));
  if (err) return err;
  /* The test says go once the bridges' DDS endpoints have matched:
   * what is published before that reaches nobody. */
  double deadline = now_s() + (double)o.connect_s;
  while (o.go_file && access(o.go_file, F_OK) != 0) {
    if (now_s() > deadline) {
      fprintf(stderr, "peer: %s did not appear\n", o.go_file);
      return EXIT_TIMEOUT;
    }
    usleep(10000);
  }
  int status;
  if (strcmp(o.mode, "send") == 0)
    status = do_send(&o, &s);
  else if (strcmp(o.mode, "recv") == 0)
    status = do_recv(&o, &s);
  else if (strcmp(o.mode, "echo") == 0)
    status = do_echo(&o, &s);
  else if (strcmp(o.mode, "echo-client") == 0)
    status = do_echo_client(&o, &s);
  else {
    usage();
    status = EXIT_USAGE;
  }
  close_session(&s);
  return status;
}
