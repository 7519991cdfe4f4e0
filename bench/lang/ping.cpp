// rtipc-ping-cpp: bench/lang/ping.c's measurement written with rtipc.hpp, to
// show what the C++ layer costs over the C calls: the same loops, options and
// JSON line (lang "cpp"), the wake-up round trips through an rtipc::Waitset
// included; run against rtipc-pong by scripts/bench-lang.
//
// usage: rtipc-ping-cpp SOCKET [-n ROUNDTRIPS] [-s SIZE] [-c CALLS] [-w WAKEUPS]
#include <getopt.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <rtipc/rtipc.hpp>
#include <vector>

namespace {

std::int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

[[noreturn]] void die(const char* what, const rtipc::error& e) {
  std::fprintf(stderr, "rtipc-ping-cpp: %s: %s\n", what, e.what());
  std::exit(1);
}

class Ping {
 public:
  Ping(rtipc::Producer out, rtipc::Consumer in) : out_(std::move(out)), in_(std::move(in)) {}

  // One round trip; older echoes are skipped.
  void roundtrip(std::uint64_t want) {
    std::memcpy(out_.msg(), &want, sizeof want);
    if (auto p = out_.produce(); !p) die("produce", p.error());
    for (;;) {
      auto r = in_.consume();
      if (!r) die("consume", r.error());
      if (!rtipc::is_new(*r)) continue;
      std::uint64_t got;
      std::memcpy(&got, in_.msg(), sizeof got);
      if (got == want) return;
    }
  }

  // As ping.c's loop, plus the error check a C++ caller makes.
  double consume_empty_ns(long calls) {
    std::int64_t start = now_ns();
    for (long i = 0; i < calls; i++) {
      auto r = in_.consume();
      if (__builtin_expect(!r, 0)) die("consume", r.error());
    }
    return double(now_ns() - start) / double(calls);
  }

  double produce_ns(long calls) {
    const std::uint64_t seq = std::uint64_t(1) << 40;  // apart from the round trips'
    std::int64_t start = now_ns();
    for (long i = 0; i < calls; i++) {
      std::memcpy(out_.msg(), &seq, sizeof seq);
      auto p = out_.produce();
      if (__builtin_expect(!p, 0)) die("produce", p.error());
    }
    std::int64_t end = now_ns();
    drain();
    return double(end - start) / double(calls);
  }

  // Takes every echo that is there (pong may still be sending some).
  void drain() {
    for (int idle = 0; idle < 1000000; idle++) {
      auto r = in_.consume();
      if (r && rtipc::is_new(*r)) idle = 0;
    }
  }

  void end() {
    std::memset(out_.msg(), 0xFF, 8);
    (void)out_.produce();
  }

  // One round trip that sleeps in waitset (holding in_) until the echo is there.
  void wake_roundtrip(rtipc::Waitset& waitset, std::uint64_t want) {
    std::memcpy(out_.msg(), &want, sizeof want);
    if (auto p = out_.produce(); !p) die("produce", p.error());
    for (;;) {
      auto ready = waitset.wait(5000);
      if (!ready) die("wait", ready.error());
      if (ready->empty()) {
        std::fprintf(stderr, "rtipc-ping-cpp: no echo within 5 s\n");
        std::exit(1);
      }
      for (;;) {
        auto r = in_.consume();
        if (!r) die("consume", r.error());
        if (!rtipc::is_new(*r)) break;
        std::uint64_t got;
        std::memcpy(&got, in_.msg(), sizeof got);
        if (got == want) return;
      }
    }
  }

  rtipc::Consumer& in() { return in_; }

 private:
  rtipc::Producer out_;
  rtipc::Consumer in_;
};

// The index ping.c takes: n * permille / 1000.
double percentile(const std::vector<std::int64_t>& sorted, std::size_t permille) {
  return double(sorted[sorted.size() * permille / 1000]);
}

bool parse_long(const char* s, long min, long& out) {
  char* end;
  errno = 0;
  long v = std::strtol(s, &end, 10);
  if (errno || *end || end == s || v < min) return false;
  out = v;
  return true;
}

// The second session, its echo channel with an eventfd: wakeups round trips
// that sleep in a waitset, sorted.
std::vector<std::int64_t> wake_session(const char* path, std::uint32_t size, long wakeups) {
  auto group = rtipc::connect(
      path,
      rtipc::GroupConfig()
          .producer(rtipc::ChannelConfig(size))
          .consumer(rtipc::ChannelConfig(size).eventfd()),  // pong's produce signals it
      5000);
  if (!group) die("connect", group.error());
  auto out = group->take_producer(0);
  auto in = group->take_consumer(0);
  if (!out || !in) die("take", out ? in.error() : out.error());
  Ping ping(std::move(*out), std::move(*in));
  auto waitset = rtipc::Waitset::create();
  if (!waitset) die("waitset", waitset.error());
  if (auto a = waitset->add(ping.in(), 0); !a) die("waitset add", a.error());
  for (std::uint64_t i = 0; i < 100; i++)  // warm up
    ping.wake_roundtrip(*waitset, i);
  std::vector<std::int64_t> rtt(static_cast<std::size_t>(wakeups));
  for (std::size_t i = 0; i < rtt.size(); i++) {
    std::int64_t start = now_ns();
    ping.wake_roundtrip(*waitset, i + 100);
    rtt[i] = now_ns() - start;
  }
  ping.end();
  (void)waitset->remove(ping.in());
  std::sort(rtt.begin(), rtt.end());
  return rtt;
}

}  // namespace

int main(int argc, char** argv) {
  long roundtrips = 100000, size = 16, calls = 1000000, wakeups = 2000;
  int c;
  bool ok = true;
  while (ok && (c = getopt(argc, argv, "n:s:c:w:h")) != -1) {
    switch (c) {
      case 'n':
        ok = parse_long(optarg, 1, roundtrips);
        break;
      case 's':
        ok = parse_long(optarg, 8, size);
        break;
      case 'c':
        ok = parse_long(optarg, 1, calls);
        break;
      case 'w':
        ok = parse_long(optarg, 1, wakeups);
        break;
      default:
        ok = false;
        break;
    }
  }
  if (!ok || optind != argc - 1) {
    std::fprintf(
        stderr, "usage: rtipc-ping-cpp SOCKET [-n ROUNDTRIPS] [-s SIZE] [-c CALLS] [-w WAKEUPS]\n");
    return 1;
  }

  auto channel = rtipc::ChannelConfig(std::uint32_t(size));
  auto group =
      rtipc::connect(argv[optind], rtipc::GroupConfig().producer(channel).consumer(channel), 5000);
  if (!group) die("connect", group.error());
  auto out = group->take_producer(0);
  auto in = group->take_consumer(0);
  if (!out || !in) die("take", out ? in.error() : out.error());
  Ping ping(std::move(*out), std::move(*in));
  for (std::uint64_t i = 0; i < 1000; i++)  // warm up both sides
    ping.roundtrip(i);
  double consume_ns = ping.consume_empty_ns(calls);
  double produce_ns = ping.produce_ns(calls);

  std::vector<std::int64_t> rtt(static_cast<std::size_t>(roundtrips));
  for (std::size_t i = 0; i < rtt.size(); i++) {
    std::int64_t start = now_ns();
    ping.roundtrip(i + 1000);
    rtt[i] = now_ns() - start;
  }
  ping.end();
  std::sort(rtt.begin(), rtt.end());
  auto wake = wake_session(argv[optind], std::uint32_t(size), wakeups);

  std::printf(
      "{\"lang\":\"cpp\",\"size\":%ld,\"calls\":%ld,\"consume_empty_ns\":%.2f,"
      "\"produce_ns\":%.2f,\"roundtrips\":%ld,\"rtt_p50_ns\":%.0f,\"rtt_p99_ns\":%.0f,"
      "\"rtt_p999_ns\":%.0f,\"oneway_p50_ns\":%.1f,\"wakeups\":%ld,"
      "\"wakeup_rtt_p50_ns\":%.0f,\"wakeup_rtt_p99_ns\":%.0f}\n",
      size, calls, consume_ns, produce_ns, roundtrips, percentile(rtt, 500), percentile(rtt, 990),
      percentile(rtt, 999), percentile(rtt, 500) / 2, wakeups, percentile(wake, 500),
      percentile(wake, 990));
  return 0;
}
