/*
 * rtipc-echo-server-cpp: examples/echo-server.c written with rtipc.hpp, with
 * the same command line, behaviour and exit status. Serves echo clients one
 * after another; each must offer one channel each way with messages of at
 * least 8 bytes. Every new message comes back; one whose first 8 bytes are
 * all 0xFF is echoed too and ends the session.
 *
 * Exit status: 0 ok, 1 usage or setup, 2 accept failed or rejected, 3 idle
 * timeout (or the client exited without the end marker), 4 queue error.
 */
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <rtipc/rtipc.hpp>
#include <string>

namespace {

enum { exit_usage = 1, exit_accept = 2, exit_idle = 3, exit_queue = 4 };

bool quiet = false;

template <class... Args>
void say(const char* format, Args... args) {
  if (quiet) return;
  std::fputs("echo-server: ", stderr);
  if constexpr (sizeof...(Args) == 0)
    std::fputs(format, stderr);  // -Wformat-security: no format without arguments
  else
    std::fprintf(stderr, format, args...);
}

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

bool is_end_marker(const unsigned char* msg) {
  return std::all_of(msg, msg + 8, [](unsigned char b) { return b == 0xFF; });
}

/* Echoes until the end marker. Returns 0 or an exit status. */
int serve(rtipc::Producer& out, rtipc::Consumer& in, long idle_s, unsigned long& echoed) {
  std::size_t size = std::min(in.msg_size(), out.msg_size());
  bool has_eventfd = in.fd().has_value();
  double idle_since = now_s();
  unsigned long idle_polls = 0;
  bool client_gone = false;

  for (;;) {
    auto r = in.consume();
    if (!r) {
      say("consume failed: %s\n", r.error().what());
      return exit_queue;
    }
    if (rtipc::is_new(*r)) {
      const auto* msg = static_cast<const unsigned char*>(in.msg());
      std::memcpy(out.msg(), msg, size);
      if (auto p = out.produce(); !p) {
        say("produce failed: %s\n", p.error().what());
        return exit_queue;
      }
      ++echoed;
      if (is_end_marker(msg)) return 0;
      idle_since = now_s();
      continue;
    }
    if (now_s() - idle_since > double(idle_s)) {
      say("no message for %ld s\n", idle_s);
      return exit_idle;
    }
    if (has_eventfd) {
      auto w = in.wait(100);
      if (!w && w.error().code() == EPIPE) {
        say("the client went away without the end marker\n");
        return exit_idle;
      }
      if (!w && !w.error().interrupted()) {
        say("wait failed: %s\n", w.error().what());
        return exit_queue;
      }
    } else if (client_gone) {
      // Gone before the consume above found nothing.
      say("the client went away without the end marker\n");
      return exit_idle;
    } else {
      // A polling consumer cannot sleep on the peer's exit: look now
      // and then, then consume once more before giving up.
      if (++idle_polls % 1024 == 0) client_gone = in.peer_alive().value_or(true) == false;
      usleep(20);
    }
  }
}

bool is_echo_group(const rtipc::Proposal& p) {
  if (p.producer_count() != 1 || p.consumer_count() != 1) return false;
  auto down = p.producer(0);
  auto up = p.consumer(0);
  return down && up && down->msg_size >= 8 && up->msg_size >= 8;
}

int run(const std::string& path, long clients, long idle_s, bool reject_all) {
  // Replace whatever socket file a previous server left behind.
  struct stat st;
  if (lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) unlink(path.c_str());

  // A test peer for other rtipc programs: take any group the protocol
  // allows, up to the library's hard limits, not the modest defaults.
  rtipc::ServerConfig config;
  config.max_channels(1024)
      .max_slots(1u << 20)
      .max_region_size(16ull << 30)
      .max_private_size(UINT64_MAX);
  config.filter([reject_all](const rtipc::Proposal& p) { return !reject_all && is_echo_group(p); });
  auto server = rtipc::Server::create(path, config);
  if (!server) {
    say("cannot listen on %s: %s\n", path.c_str(), server.error().what());
    return exit_usage;
  }

  for (long i = 0; i < clients; i++) {
    auto group = server->accept(int(idle_s * 1000));
    if (reject_all) {
      if (!group && group.error().rejected()) {
        say("rejected client %ld as asked\n", i + 1);
        continue;
      }
      say("accept: %s\n", group ? "accepted" : group.error().what());
      return exit_accept;
    }
    if (!group) {
      say("accept: %s\n", group.error().what());
      return exit_accept;
    }
    auto out = group->take_producer(0);
    auto in = group->take_consumer(0);
    group->reset();
    if (!out || !in) return exit_accept;

    unsigned long echoed = 0;
    int status = serve(*out, *in, idle_s, echoed);
    say("client %ld: %lu messages echoed\n", i + 1, echoed);
    if (status != 0) return status;
  }
  return 0;
}

void usage() {
  std::fprintf(stderr,
               "usage: rtipc-echo-server-cpp SOCKET [-n CLIENTS] [-t IDLE_S] [-r] [-q] "
               "(--help for more)\n");
}

void help() {
  std::printf(
      "usage: rtipc-echo-server-cpp SOCKET [OPTION...]\n"
      "\n"
      "rtipc-echo-server written with rtipc.hpp. Listens on the Unix socket SOCKET and\n"
      "serves echo clients one after another: each must offer one channel each way\n"
      "with messages of at least 8 bytes, and every message it sends comes back on\n"
      "the other channel until its end marker.\n"
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

bool parse_long(const char* s, long min, long& out) {
  char* end;
  errno = 0;
  long v = std::strtol(s, &end, 10);
  if (errno || *end || end == s || v < min) return false;
  out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  long clients = 1, idle_s = 30;
  bool reject_all = false;
  int c;
  static const option long_options[] = {
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {nullptr, 0, nullptr, 0},
  };
  while ((c = getopt_long(argc, argv, "n:t:rqh", long_options, nullptr)) != -1) {
    switch (c) {
      case 'h':
        help();
        return 0;
      case 'V':
        std::printf("rtipc-echo-server-cpp (librtipc) %s\n", rtipc::version());
        return 0;
      case 'n':
        if (!parse_long(optarg, 1, clients)) return usage(), exit_usage;
        break;
      case 't':
        if (!parse_long(optarg, 1, idle_s)) return usage(), exit_usage;
        break;
      case 'r':
        reject_all = true;
        break;
      case 'q':
        quiet = true;
        break;
      default:
        return usage(), exit_usage;
    }
  }
  if (optind != argc - 1) return usage(), exit_usage;
  if (quiet) rtipc::set_log(RTIPC_LOG_NONE);
  return run(argv[optind], clients, idle_s, reject_all);
}
