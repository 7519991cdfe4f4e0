/*
 * rtipc-epoll-hub: several channels, info strings and epoll, the way an
 * application would combine them.
 *
 * A "device" process (the client) offers three channels: it produces
 * "telemetry" (small, frequent samples) and "log" (text lines), and consumes
 * "command". The hub (the server) finds each channel by its info string,
 * sleeps in epoll_wait on the two consumers' eventfds, and answers every
 * telemetry sample whose value crosses a threshold with a command. The device
 * stops after N samples; both sides print what they saw.
 *
 * usage: rtipc-epoll-hub [SAMPLES]   (default 100000)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rtipc/rtipc.h>

struct sample {
  uint64_t seq;
  int64_t value;
};

struct command {
  uint64_t seq; /* the sample that triggered it */
  int64_t setpoint;
};

enum { LOG_LINE = 120, THRESHOLD = 900 };

static const char* const kTelemetry = "telemetry";
static const char* const kLog = "log";
static const char* const kCommand = "command";

static bool info_is(const struct rtipc_channel_config* c, const char* name) {
  return c->info_size == strlen(name) && memcmp(c->info, name, c->info_size) == 0;
}

/* Whether the proposal has a channel called name (a producer of the hub's
 * when produced is true), with this message size and, if want_eventfd, an
 * eventfd. */
static bool proposes(const rtipc_proposal* p, bool produced, const char* name, size_t msg_size,
                     bool want_eventfd) {
  uint32_t count = produced ? rtipc_proposal_producer_count(p) : rtipc_proposal_consumer_count(p);
  for (uint32_t i = 0; i < count; i++) {
    struct rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
    if (produced)
      rtipc_proposal_producer_config(p, i, &c);
    else
      rtipc_proposal_consumer_config(p, i, &c);
    if (info_is(&c, name))
      return c.msg_size == msg_size && (!want_eventfd || (c.flags & RTIPC_CHANNEL_EVENTFD));
  }
  return false;
}

/* ---- the device (client) ---- */

static int run_device(const char* path, uint64_t samples) {
  struct rtipc_channel_config produced[] = {
      {.size = sizeof produced[0],
       .info = kTelemetry,
       .info_size = 9,
       .msg_size = sizeof(struct sample),
       .add_msgs = 60,
       .flags = RTIPC_CHANNEL_EVENTFD},
      {.size = sizeof produced[0],
       .info = kLog,
       .info_size = 3,
       .msg_size = LOG_LINE,
       .add_msgs = 13,
       .flags = RTIPC_CHANNEL_EVENTFD},
  };
  struct rtipc_channel_config consumed[] = {
      {.size = sizeof consumed[0],
       .info = kCommand,
       .info_size = 7,
       .msg_size = sizeof(struct command),
       .add_msgs = 13,
       .flags = 0},
  };
  struct rtipc_group_config config = {
      .size = sizeof config,
      .producers = produced,
      .producer_count = 2,
      .consumers = consumed,
      .consumer_count = 1,
      .info = "epoll-hub demo device",
      .info_size = 21,
  };
  rtipc_group* group;
  int err;
  /* The hub may not be listening yet. */
  for (int tries = 0; (err = rtipc_client_connect(path, &config, 1000, &group)) < 0; tries++) {
    if (tries == 500 || (err != -ENOENT && err != -ECONNREFUSED)) {
      fprintf(stderr, "device: connect: %s\n", rtipc_strerror(err));
      return 1;
    }
    usleep(10000);
  }
  rtipc_producer *telemetry, *log;
  rtipc_consumer* commands;
  rtipc_group_take_producer(group, 0, &telemetry);
  rtipc_group_take_producer(group, 1, &log);
  rtipc_group_take_consumer(group, 0, &commands);
  rtipc_group_destroy(group);

  uint64_t commands_seen = 0, discarded = 0;
  int64_t setpoint = 0;
  for (uint64_t i = 0; i < samples; i++) {
    struct sample* s = rtipc_producer_msg(telemetry);
    s->seq = i;
    s->value = (int64_t)((i * 2654435761u) % 1000) + setpoint;
    discarded += rtipc_produce(telemetry, RTIPC_PRODUCE_FORCE) == RTIPC_PUBLISHED_DISCARDED;
    if (i % 10000 == 0) {
      snprintf(rtipc_producer_msg(log), LOG_LINE, "device: %llu samples sent",
               (unsigned long long)i);
      rtipc_produce(log, RTIPC_PRODUCE_FORCE);
    }
    /* Commands matter only at their latest value. */
    if (rtipc_consume(commands, RTIPC_CONSUME_LATEST) >= RTIPC_NEW) {
      const struct command* c = rtipc_consumer_msg(commands);
      setpoint = c->setpoint;
      commands_seen++;
    }
  }
  snprintf(rtipc_producer_msg(log), LOG_LINE, "bye");
  rtipc_produce(log, RTIPC_PRODUCE_FORCE);
  printf("device: %llu samples sent (%llu dropped by the full queue), %llu command updates read\n",
         (unsigned long long)samples, (unsigned long long)discarded,
         (unsigned long long)commands_seen);
  rtipc_producer_destroy(telemetry);
  rtipc_producer_destroy(log);
  rtipc_consumer_destroy(commands);
  return 0;
}

/* ---- the hub (server) ---- */

static int accept_device(const rtipc_proposal* p, void* user) {
  (void)user;
  /* In the hub's terms: it consumes telemetry and log, produces commands. */
  return proposes(p, false, kTelemetry, sizeof(struct sample), true) &&
         proposes(p, false, kLog, LOG_LINE, true) &&
         proposes(p, true, kCommand, sizeof(struct command), false);
}

struct hub {
  rtipc_consumer *telemetry, *log;
  rtipc_producer* commands;
  uint64_t samples, gaps, commands_sent, log_lines;
  bool done;
};

static void drain_telemetry(struct hub* h) {
  int r;
again:
  while ((r = rtipc_consume(h->telemetry, RTIPC_CONSUME_NEXT)) >= RTIPC_NEW) {
    const struct sample* s = rtipc_consumer_msg(h->telemetry);
    h->samples++;
    h->gaps += r == RTIPC_NEW_AFTER_GAP;
    if (s->value > THRESHOLD) {
      struct command* c = rtipc_producer_msg(h->commands);
      c->seq = s->seq;
      c->setpoint = -(s->value - THRESHOLD);
      rtipc_produce(h->commands, RTIPC_PRODUCE_FORCE);
      h->commands_sent++;
    }
  }
  /* Take stale counts, so that epoll reports no empty wake-ups; 1 means a
   * sample came meanwhile, whose count may be gone: read again. */
  if (rtipc_consumer_wait(h->telemetry, 0) == 1) goto again;
}

static void drain_log(struct hub* h) {
again:
  while (rtipc_consume(h->log, RTIPC_CONSUME_NEXT) >= RTIPC_NEW) {
    const char* line = rtipc_consumer_msg(h->log);
    h->log_lines++;
    if (strncmp(line, "bye", 3) == 0)
      h->done = true;
    else
      printf("hub: log: %.*s\n", LOG_LINE, line);
  }
  if (rtipc_consumer_wait(h->log, 0) == 1) goto again;
}

static int take_channels(rtipc_group* group, struct hub* h) {
  struct rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
  for (uint32_t i = 0; i < rtipc_group_consumer_count(group); i++) {
    rtipc_group_consumer_config(group, i, &c);
    if (info_is(&c, kTelemetry))
      rtipc_group_take_consumer(group, i, &h->telemetry);
    else if (info_is(&c, kLog))
      rtipc_group_take_consumer(group, i, &h->log);
  }
  for (uint32_t i = 0; i < rtipc_group_producer_count(group); i++) {
    rtipc_group_producer_config(group, i, &c);
    if (info_is(&c, kCommand)) rtipc_group_take_producer(group, i, &h->commands);
  }
  return h->telemetry && h->log && h->commands ? 0 : -1;
}

static int run_hub(rtipc_server* server) {
  rtipc_group* group;
  int err = rtipc_server_accept(server, 10000, &group);
  if (err < 0) {
    fprintf(stderr, "hub: accept: %s\n", rtipc_strerror(err));
    return 1;
  }
  size_t info_size;
  const char* info = rtipc_group_info(group, &info_size);
  printf("hub: accepted \"%.*s\"\n", (int)info_size, info);

  struct hub h = {0};
  if (take_channels(group, &h) < 0) return 1;
  rtipc_group_destroy(group);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = h.telemetry};
  epoll_ctl(ep, EPOLL_CTL_ADD, rtipc_consumer_fd(h.telemetry), &ev);
  ev.data.ptr = h.log;
  epoll_ctl(ep, EPOLL_CTL_ADD, rtipc_consumer_fd(h.log), &ev);

  uint64_t wakeups = 0;
  while (!h.done) {
    struct epoll_event ready[2];
    int n = epoll_wait(ep, ready, 2, 10000);
    if (n <= 0) {
      fprintf(stderr, "hub: %s\n", n == 0 ? "device went quiet" : strerror(errno));
      break;
    }
    wakeups++;
    for (int i = 0; i < n; i++) {
      if (ready[i].data.ptr == h.telemetry)
        drain_telemetry(&h);
      else
        drain_log(&h);
    }
  }
  drain_telemetry(&h);
  printf("hub: %llu samples read (%llu gaps), %llu commands sent, %llu log lines, %llu wake-ups\n",
         (unsigned long long)h.samples, (unsigned long long)h.gaps,
         (unsigned long long)h.commands_sent, (unsigned long long)h.log_lines,
         (unsigned long long)wakeups);
  close(ep);
  rtipc_consumer_destroy(h.telemetry);
  rtipc_consumer_destroy(h.log);
  rtipc_producer_destroy(h.commands);
  return h.done ? 0 : 1;
}

static void usage(void) {
  fprintf(stderr, "usage: rtipc-epoll-hub [SAMPLES] (--help for more)\n");
}

static void help(void) {
  printf(
      "usage: rtipc-epoll-hub [SAMPLES]\n"
      "\n"
      "Runs a hub and a device in two processes: the device streams SAMPLES\n"
      "telemetry samples (default 100000) and log lines to the hub, which finds\n"
      "each channel by its info string, sleeps in epoll_wait on their eventfds,\n"
      "and answers samples above a threshold with a command. Both sides print\n"
      "what they saw. Exits 0 when every sample arrived or was accounted for.\n"
      "\n"
      "  -h, --help    print this help and exit\n"
      "  --version     print the library version and exit\n");
}

/* Returns the sample count, or 0 after printing help or usage (*status). */
static uint64_t parse_args(int argc, char** argv, int* status) {
  static const struct option long_options[] = {
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {0},
  };
  int c;
  while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
    *status = 0;
    if (c == 'h') return help(), 0;
    if (c == 'V') return printf("rtipc-epoll-hub (librtipc) %s\n", rtipc_version()), 0;
    *status = 2;
    return usage(), 0;
  }
  if (optind == argc) return 100000;
  char* end;
  errno = 0;
  unsigned long long n = strtoull(argv[optind], &end, 10);
  if (optind + 1 != argc || errno || *end || n == 0 || argv[optind][0] == '-') {
    *status = 2;
    return usage(), 0;
  }
  return n;
}

int main(int argc, char** argv) {
  int parsed;
  uint64_t samples = parse_args(argc, argv, &parsed);
  if (samples == 0) return parsed;
  char dir[] = "/tmp/rtipc-hub-XXXXXX";
  if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
  char path[64];
  snprintf(path, sizeof path, "%s/hub.sock", dir);

  rtipc_server* server;
  struct rtipc_server_config server_config = RTIPC_SERVER_CONFIG_INIT;
  server_config.socket_mode = 0600;
  server_config.filter = accept_device;
  int err = rtipc_server_create(path, &server_config, &server);
  if (err < 0) {
    fprintf(stderr, "hub: listen: %s\n", rtipc_strerror(err));
    return 1;
  }
  fflush(stdout);
  pid_t device = fork();
  if (device == 0) {
    rtipc_server_destroy(server); /* our inherited copy; the file stays */
    int rc = run_device(path, samples);
    fflush(stdout);
    _exit(rc);
  }
  int status = run_hub(server);
  int device_status;
  waitpid(device, &device_status, 0);
  rtipc_server_destroy(server);
  rmdir(dir);
  if (!WIFEXITED(device_status) || WEXITSTATUS(device_status) != 0) status = 1;
  return status;
}
