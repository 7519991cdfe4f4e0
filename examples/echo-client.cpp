/*
 * rtipc-echo-client-cpp: examples/echo-client.c written with rtipc.hpp, with
 * the same command line, messages, output and exit status. Offers one channel
 * each way, sends COUNT numbered messages with at most WINDOW in flight, and
 * checks that every echo comes back in order, byte for byte. Message i holds
 * the uint64 i at offset 0 and the byte (uint8_t)(i * 7 + j) at every offset
 * j >= 8; the end marker has 0xFF in its first 8 bytes and 0xEE in the rest.
 *
 * Exit status: 0 ok, 1 usage, 2 connect failed or rejected, 3 timeout (no
 * progress for TIMEOUT_S seconds, or the server exited), 4 mismatch or queue
 * error.
 */
#include <getopt.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <rtipc/rtipc.hpp>
#include <string>
#include <vector>

namespace {

enum { exit_usage = 1, exit_connect = 2, exit_timeout = 3, exit_mismatch = 4 };

bool quiet = false;

template <class... Args>
void say(const char* format, Args... args) {
  if (quiet) return;
  std::fputs("echo-client: ", stderr);
  if constexpr (sizeof...(Args) == 0)
    std::fputs(format, stderr);  // -Wformat-security: no format without arguments
  else
    std::fprintf(stderr, format, args...);
}

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

struct Options {
  const char* path = nullptr;
  long count = 1000, size = 64, add_msgs = 0, eventfd = 1, window = 1, timeout_s = 10;
  bool no_marker = false, no_marker_wait = false;
};

void fill_message(unsigned char* msg, std::size_t size, std::uint64_t i) {
  std::memcpy(msg, &i, sizeof i);
  for (std::size_t j = 8; j < size; j++) msg[j] = std::uint8_t(i * 7 + j);
}

void fill_end_marker(unsigned char* msg, std::size_t size) {
  std::memset(msg, 0xFF, 8);
  std::memset(msg + 8, 0xEE, size - 8);
}

class Session {
 public:
  Session(rtipc::Producer out, rtipc::Consumer in, std::size_t size, double timeout_s)
      : out_(std::move(out)),
        in_(std::move(in)),
        size_(size),
        timeout_s_(timeout_s),
        expected_(size),
        has_eventfd_(in_.fd().has_value()) {}

  unsigned char* outgoing() { return static_cast<unsigned char*>(out_.msg()); }
  unsigned char* expected() { return expected_.data(); }
  std::size_t size() const { return size_; }

  /* Publishes the message already written. Returns 0, -1 when the queue
   * is full (the message stays in place), or an exit status. */
  int send() {
    auto r = out_.try_produce();
    if (r && *r == rtipc::Produced::published) return 0;
    if (r && *r == rtipc::Produced::queue_full)
      return now_s() - last_progress_ > timeout_s_ ? exit_timeout : -1;
    say("produce: %s\n", r ? "discarded a message" : r.error().what());
    return exit_mismatch;
  }

  /* Waits for the next echo and checks it against expected(). */
  int receive(const char* what) {
    unsigned long idle_polls = 0;
    bool server_gone = false;
    for (;;) {
      auto r = in_.consume();
      if (r && *r == rtipc::Consumed::new_message) {
        if (std::memcmp(in_.msg(), expected_.data(), size_) != 0) {
          say("echo of %s differs from what was sent\n", what);
          return exit_mismatch;
        }
        last_progress_ = now_s();
        return 0;
      }
      if (!r || *r == rtipc::Consumed::new_after_gap) {
        say("consume: %s\n", r ? "echoes were lost" : r.error().what());
        return exit_mismatch;
      }
      if (now_s() - last_progress_ > timeout_s_) {
        say("no echo of %s within %.0f s\n", what, timeout_s_);
        return exit_timeout;
      }
      if (has_eventfd_) {
        auto w = in_.wait(100);
        if (!w && w.error().code() == EPIPE) {
          say("the server went away before the echo of %s\n", what);
          return exit_timeout;
        }
        if (!w && !w.error().interrupted()) {
          say("wait: %s\n", w.error().what());
          return exit_mismatch;
        }
      } else if (server_gone) {
        // Gone before the consume above, which found nothing:
        // nothing can come any more.
        say("the server went away before the echo of %s\n", what);
        return exit_timeout;
      } else if (++idle_polls % 4096 == 0) {
        // A polling consumer cannot sleep on the peer's exit: look
        // now and then, then consume once more before giving up.
        server_gone = in_.peer_alive().value_or(true) == false;
      }
    }
  }

  void start() { last_progress_ = now_s(); }

 private:
  rtipc::Producer out_;
  rtipc::Consumer in_;
  std::size_t size_;
  double timeout_s_;
  double last_progress_ = 0;
  std::vector<unsigned char> expected_;
  bool has_eventfd_;
};

int exchange(Session& s, const Options& o) {
  std::uint64_t sent = 0, echoed = 0;
  const auto count = std::uint64_t(o.count), window = std::uint64_t(o.window);
  while (echoed < count) {
    if (sent < count && sent - echoed < window) {
      fill_message(s.outgoing(), s.size(), sent);
      int err = s.send();
      if (err > 0) return err;
      if (err == 0) {
        sent++;
        continue;
      }
      if (sent == echoed) continue;  // full with nothing in flight: the server is behind
    }
    fill_message(s.expected(), s.size(), echoed);
    std::string what = "message " + std::to_string(echoed);
    if (int err = s.receive(what.c_str())) return err;
    echoed++;
  }
  if (o.no_marker) return 0;
  fill_end_marker(s.outgoing(), s.size());
  int err;
  while ((err = s.send()) < 0)
    ;
  if (err || o.no_marker_wait) return err;
  fill_end_marker(s.expected(), s.size());
  return s.receive("the end marker");
}

int run(const Options& o) {
  auto channel = rtipc::ChannelConfig(std::uint32_t(o.size))
                     .add_msgs(std::uint32_t(o.add_msgs))
                     .eventfd(o.eventfd != 0);
  auto config = rtipc::GroupConfig()
                    .producer(rtipc::ChannelConfig(channel).info("echo c2s"))
                    .consumer(rtipc::ChannelConfig(channel).info("echo s2c"))
                    .info("echo");
  auto group = rtipc::connect(o.path, config, int(o.timeout_s * 1000));
  if (!group) {
    say("connect to %s: %s\n", o.path, group.error().what());
    return group.error().timed_out() ? exit_timeout : exit_connect;
  }
  auto out = group->take_producer(0);
  auto in = group->take_consumer(0);
  group->reset();
  if (!out || !in) return exit_connect;
  Session s(std::move(*out), std::move(*in), std::size_t(o.size), double(o.timeout_s));

  double start = now_s();
  s.start();
  int status = exchange(s, o);
  double elapsed = now_s() - start;
  if (status == 0)
    std::printf("echo-client: OK %ld messages echoed (%.3f s, %.0f round trips/s, %.2f us each)\n",
                o.count, elapsed, double(o.count) / elapsed,
                o.count ? elapsed * 1e6 / double(o.count) : 0.0);
  return status;
}

void usage() {
  std::fprintf(stderr,
               "usage: rtipc-echo-client-cpp SOCKET [-k COUNT] [-s SIZE] [-a ADD_MSGS] "
               "[-e 0|1] [-w WINDOW] [-t TIMEOUT_S] [-q] [-x] [-M] (--help for more)\n");
}

void help() {
  std::printf(
      "usage: rtipc-echo-client-cpp SOCKET [OPTION...]\n"
      "\n"
      "rtipc-echo-client written with rtipc.hpp. Connects to the echo server listening\n"
      "on the Unix socket SOCKET, offers one channel each way, sends COUNT numbered\n"
      "messages and checks that every echo comes back in order and byte for byte,\n"
      "then prints the round trips per second.\n"
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

bool parse_long(const char* s, long min, long max, long& out) {
  char* end;
  errno = 0;
  long v = std::strtol(s, &end, 10);
  if (errno || *end || end == s || v < min || v > max) return false;
  out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  int c;
  bool ok = true;
  static const option long_options[] = {
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {nullptr, 0, nullptr, 0},
  };
  while (ok && (c = getopt_long(argc, argv, "k:s:a:e:w:t:qxMh", long_options, nullptr)) != -1) {
    switch (c) {
      case 'h':
        help();
        return 0;
      case 'V':
        std::printf("rtipc-echo-client-cpp (librtipc) %s\n", rtipc::version());
        return 0;
      case 'k':
        ok = parse_long(optarg, 0, INT64_MAX / 2, o.count);
        break;
      case 's':
        ok = parse_long(optarg, 8, 64L << 20, o.size);
        break;
      case 'a':
        ok = parse_long(optarg, 0, 1 << 20, o.add_msgs);
        break;
      case 'e':
        ok = parse_long(optarg, 0, 1, o.eventfd);
        break;
      case 'w':
        ok = parse_long(optarg, 1, 1L << 30, o.window);
        break;
      case 't':
        ok = parse_long(optarg, 1, 1L << 20, o.timeout_s);
        break;
      case 'q':
        quiet = true;
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
  if (!ok || optind != argc - 1) return usage(), exit_usage;
  o.path = argv[optind];
  if (quiet) rtipc::set_log(RTIPC_LOG_NONE);
  return run(o);
}
