/*
 * rtipc-echo-server: serves echo clients one after another. Each client must
 * offer exactly one channel each way with messages of at least 8 bytes; every
 * new message it sends comes back on the other channel. A message whose first
 * 8 bytes are all 0xFF is echoed too and ends the session.
 *
 * Exit status: 0 ok, 1 usage or setup, 2 accept failed or rejected, 3 idle
 * timeout (or the client exited without the end marker), 4 queue error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rtipc/rtipc.h>

enum { EXIT_USAGE = 1, EXIT_ACCEPT = 2, EXIT_IDLE = 3, EXIT_QUEUE = 4 };

struct options {
  const char* path;
  long clients;
  long idle_s;
  bool reject_all;
  bool quiet;
};

static bool quiet;

#define say(...) (quiet ? (void)0 : (void)fprintf(stderr, "echo-server: " __VA_ARGS__))

static int accept_echo_group(const rtipc_proposal* proposal, void* user) {
  bool reject_all = *(const bool*)user;
  if (reject_all) return 0;
  struct rtipc_channel_config out = RTIPC_CHANNEL_CONFIG_INIT, in = RTIPC_CHANNEL_CONFIG_INIT;
  return rtipc_proposal_producer_count(proposal) == 1 &&
         rtipc_proposal_consumer_count(proposal) == 1 &&
         rtipc_proposal_producer_config(proposal, 0, &out) == 0 &&
         rtipc_proposal_consumer_config(proposal, 0, &in) == 0 && out.msg_size >= 8 &&
         in.msg_size >= 8;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool is_end_marker(const unsigned char* msg) {
  for (int i = 0; i < 8; i++)
    if (msg[i] != 0xFF) return false;
  return true;
}

/* Echoes until the end marker. Returns 0 or an exit status. */
static int serve(rtipc_producer* out, rtipc_consumer* in, long idle_s, unsigned long* echoed) {
  size_t size = rtipc_consumer_msg_size(in);
  if (rtipc_producer_msg_size(out) < size) size = rtipc_producer_msg_size(out);
  bool has_eventfd = rtipc_consumer_fd(in) >= 0;
  double idle_since = now_s();
  unsigned long idle_polls = 0;
  bool client_gone = false;

  for (;;) {
    int r = rtipc_consume(in, RTIPC_CONSUME_NEXT);
    if (r < 0) {
      say("consume failed: %s\n", rtipc_strerror(r));
      return EXIT_QUEUE;
    }
    if (r >= RTIPC_NEW) {
      const unsigned char* msg = rtipc_consumer_msg(in);
      memcpy(rtipc_producer_msg(out), msg, size);
      int p = rtipc_produce(out, RTIPC_PRODUCE_FORCE);
      if (p < 0) {
        say("produce failed: %s\n", rtipc_strerror(p));
        return EXIT_QUEUE;
      }
      ++*echoed;
      if (is_end_marker(msg)) return 0;
      idle_since = now_s();
      continue;
    }
    if (now_s() - idle_since > (double)idle_s) {
      say("no message for %ld s\n", idle_s);
      return EXIT_IDLE;
    }
    if (has_eventfd) {
      int w = rtipc_consumer_wait(in, 100);
      if (w == -EPIPE) {
        /* No message can come any more: what the idle timeout
         * would find, only sooner. */
        say("the client went away without the end marker\n");
        return EXIT_IDLE;
      }
      if (w < 0 && w != -EINTR) {
        say("wait failed: %s\n", rtipc_strerror(w));
        return EXIT_QUEUE;
      }
    } else if (client_gone) {
      /* Gone before the consume above found nothing. */
      say("the client went away without the end marker\n");
      return EXIT_IDLE;
    } else {
      /* A polling consumer cannot sleep on the peer's exit: look
       * now and then, then consume once more before giving up. */
      if (++idle_polls % 1024 == 0) client_gone = rtipc_consumer_peer_alive(in) == 0;
      usleep(20);
    }
  }
}

static int run(const struct options* o) {
  /* Replace whatever socket file a previous server left behind. */
  struct stat st;
  if (lstat(o->path, &st) == 0 && S_ISSOCK(st.st_mode)) unlink(o->path);

  /* A test peer for other rtipc programs: take any group the protocol
   * allows, up to the library's hard limits, not the modest defaults. */
  struct rtipc_server_config config = RTIPC_SERVER_CONFIG_INIT;
  config.filter = accept_echo_group;
  config.filter_user = (void*)&o->reject_all;
  config.max_channels = 1024;
  config.max_slots = 1u << 20;
  config.max_region_size = 16ull << 30;
  config.max_private_size = UINT64_MAX;
  rtipc_server* server;
  int err = rtipc_server_create(o->path, &config, &server);
  if (err < 0) {
    say("cannot listen on %s: %s\n", o->path, rtipc_strerror(err));
    return EXIT_USAGE;
  }

  int status = 0;
  for (long i = 0; i < o->clients && status == 0; i++) {
    rtipc_group* group;
    err = rtipc_server_accept(server, (int)(o->idle_s * 1000), &group);
    if (o->reject_all) {
      if (err == -RTIPC_EREJECTED) {
        say("rejected client %ld as asked\n", i + 1);
        continue;
      }
      say("accept: %s\n", rtipc_strerror(err));
      status = EXIT_ACCEPT;
      if (err == 0) rtipc_group_destroy(group);
      break;
    }
    if (err < 0) {
      say("accept: %s\n", rtipc_strerror(err));
      status = EXIT_ACCEPT;
      break;
    }

    rtipc_producer* out;
    rtipc_consumer* in;
    rtipc_group_take_producer(group, 0, &out);
    rtipc_group_take_consumer(group, 0, &in);
    rtipc_group_destroy(group);

    unsigned long echoed = 0;
    status = serve(out, in, o->idle_s, &echoed);
    say("client %ld: %lu messages echoed\n", i + 1, echoed);
    rtipc_producer_destroy(out);
    rtipc_consumer_destroy(in);
  }
  rtipc_server_destroy(server);
  return status;
}

static void usage(void) {
  fprintf(stderr,
          "usage: rtipc-echo-server SOCKET [-n CLIENTS] [-t IDLE_S] [-r] [-q] "
          "(--help for more)\n");
}

static void help(void) {
  printf(
      "usage: rtipc-echo-server SOCKET [OPTION...]\n"
      "\n"
      "Listens on the Unix socket SOCKET and serves echo clients one after another:\n"
      "each must offer one channel each way with messages of at least 8 bytes, and\n"
      "every message it sends comes back on the other channel until its end marker.\n"
      "\n"
      "  -n CLIENTS    clients to serve before exiting (default 1)\n"
      "  -t IDLE_S     give up after this many seconds without a client or a\n"
      "                message (default 30)\n"
      "  -r            reject every client (tests a client's rejection path)\n"
      "  -q            print nothing but errors\n"
      "  -h, --help    print this help and exit\n"
      "  --version     print the library version and exit\n"
      "\n"
      "Exit status: 0 ok, 1 usage or setup, 2 accept failed or rejected, 3 idle\n"
      "timeout (or the client exited without the end marker), 4 queue error.\n");
}

static bool parse_long(const char* s, long min, long* out) {
  char* end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || end == s || v < min) return false;
  *out = v;
  return true;
}

int main(int argc, char** argv) {
  struct options o = {.clients = 1, .idle_s = 30};
  int c;
  static const struct option long_options[] = {
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {0},
  };
  while ((c = getopt_long(argc, argv, "n:t:rqh", long_options, NULL)) != -1) {
    switch (c) {
      case 'h':
        help();
        return 0;
      case 'V':
        printf("rtipc-echo-server (librtipc) %s\n", rtipc_version());
        return 0;
      case 'n':
        if (!parse_long(optarg, 1, &o.clients)) return usage(), EXIT_USAGE;
        break;
      case 't':
        if (!parse_long(optarg, 1, &o.idle_s)) return usage(), EXIT_USAGE;
        break;
      case 'r':
        o.reject_all = true;
        break;
      case 'q':
        o.quiet = true;
        break;
      default:
        return usage(), EXIT_USAGE;
    }
  }
  if (optind != argc - 1) return usage(), EXIT_USAGE;
  o.path = argv[optind];
  quiet = o.quiet;
  if (quiet) rtipc_set_log(NULL, NULL, RTIPC_LOG_NONE);
  return run(&o);
}
