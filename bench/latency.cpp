// Ping-pong latency between two pinned processes: the cache-line limit, the
// kernel's IPC primitives and librtipc, interleaved in one run. Every round
// trip is time-stamped; one-way = RTT / 2.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "channels.hpp"
#include "common.hpp"
#include "sets.hpp"

namespace bench {
namespace {

struct Rounds {
  uint64_t warm;
  uint64_t timed;
  uint64_t total() const { return warm + timed; }
};

// Runs round_trip(i) for every i, time-stamping the timed ones; returns the
// one-way times in ns.
std::vector<double> time_rounds(const Rounds& r, const std::function<void(uint64_t)>& round_trip) {
  for (uint64_t i = 0; i < r.warm; ++i) round_trip(i);
  std::vector<uint64_t> ticks(r.timed);
  uint64_t t = Clock::now();
  for (uint64_t i = 0; i < r.timed; ++i) {
    round_trip(r.warm + i);
    const uint64_t t2 = Clock::now();
    ticks[i] = t2 - t;
    t = t2;
  }
  std::vector<double> ns(r.timed);
  for (uint64_t i = 0; i < r.timed; ++i) ns[i] = Clock::to_ns(double(ticks[i])) / 2;
  return ns;
}

struct alignas(64) Line {
  std::atomic<uint64_t> v{0};
};

// Two cache lines, one written by each side: the floor for any shared-memory
// ping-pong that uses one flag per direction (as two channels do).
std::vector<double> cacheline_two(const Rounds& r) {
  SharedMem mem(2 * sizeof(Line));
  Line* lines = mem.as<Line>();  // zero-filled, which is what Line starts as
  Peer peer([&] {
    for (uint64_t i = 1; i <= r.total(); ++i) {
      while (lines[0].v.load(std::memory_order_acquire) != i) relax();
      lines[1].v.store(i, std::memory_order_release);
    }
    return 0;
  });
  auto ns = time_rounds(r, [&](uint64_t i) {
    lines[0].v.store(i + 1, std::memory_order_release);
    while (lines[1].v.load(std::memory_order_acquire) != i + 1) relax();
  });
  peer.join();
  return ns;
}

// One cache line that both sides write: the line moves twice per round trip.
std::vector<double> cacheline_one(const Rounds& r) {
  SharedMem mem(sizeof(Line));
  Line* line = mem.as<Line>();
  Peer peer([&] {
    for (uint64_t i = 0; i < r.total(); ++i) {
      while (line->v.load(std::memory_order_acquire) != 2 * i + 1) relax();
      line->v.store(2 * i + 2, std::memory_order_release);
    }
    return 0;
  });
  auto ns = time_rounds(r, [&](uint64_t i) {
    line->v.store(2 * i + 1, std::memory_order_release);
    while (line->v.load(std::memory_order_acquire) != 2 * i + 2) relax();
  });
  peer.join();
  return ns;
}

// Blocking ping-pong over a pair of descriptors per direction (ab: parent to
// peer, ba: back), 8 bytes each way.
std::vector<double> fd_pingpong(const Rounds& r, int ab_w, int ab_r, int ba_w, int ba_r,
                                bool eventfd_values) {
  Peer peer([&] {
    for (uint64_t i = 0; i < r.total(); ++i) {
      uint64_t v;
      if (read(ab_r, &v, sizeof v) != sizeof v) return 1;
      if (eventfd_values) v = 1;
      if (write(ba_w, &v, sizeof v) != sizeof v) return 1;
    }
    return 0;
  });
  auto ns = time_rounds(r, [&](uint64_t i) {
    uint64_t v = eventfd_values ? 1 : i;
    check(write(ab_w, &v, sizeof v) == sizeof v, "write");
    check(read(ba_r, &v, sizeof v) == sizeof v, "read");
  });
  peer.join();
  return ns;
}

std::vector<double> seqpacket(const Rounds& r) {
  SocketPair sp;
  return fd_pingpong(r, sp.parent, sp.child, sp.child, sp.parent, false);
}

std::vector<double> pipes(const Rounds& r) {
  int ab[2], ba[2];
  check(pipe2(ab, O_CLOEXEC) == 0 && pipe2(ba, O_CLOEXEC) == 0, "pipe2");
  auto ns = fd_pingpong(r, ab[1], ab[0], ba[1], ba[0], false);
  for (int fd : {ab[0], ab[1], ba[0], ba[1]}) close(fd);
  return ns;
}

std::vector<double> eventfds(const Rounds& r) {
  const int ab = eventfd(0, EFD_CLOEXEC);
  const int ba = eventfd(0, EFD_CLOEXEC);
  check(ab >= 0 && ba >= 0, "eventfd");
  auto ns = fd_pingpong(r, ab, ab, ba, ba, true);
  close(ab);
  close(ba);
  return ns;
}

// Waits for the next message: busy-polls, or sleeps in rtipc_consumer_wait.
void await(rtipc_consumer* c, bool blocking) {
  for (;;) {
    const int rc = check_rc(rtipc_consume(c, RTIPC_CONSUME_NEXT), "rtipc_consume");
    if (rc == RTIPC_NEW) return;
    if (rc == RTIPC_NEW_AFTER_GAP) die("ping-pong lost a message");
    if (blocking)
      check_rc(rtipc_consumer_wait(c, -1), "rtipc_consumer_wait");
    else
      relax();
  }
}

void put(rtipc_producer* p, uint64_t v) {
  std::memcpy(rtipc_producer_msg(p), &v, sizeof v);
  if (check_rc(rtipc_produce(p, RTIPC_PRODUCE_FORCE), "rtipc_produce") != RTIPC_PUBLISHED)
    die("ping-pong discarded a message");
}

uint64_t get(const rtipc_consumer* c) {
  uint64_t v;
  std::memcpy(&v, rtipc_consumer_msg(c), sizeof v);
  return v;
}

// librtipc: one channel each way, 16-byte messages, 3 slots.
std::vector<double> rtipc_pingpong(const Rounds& r, bool blocking) {
  const ChannelSpec ch{16, 0, blocking};
  SocketPair sp;
  Peer peer([&] {
    sp.close_parent();
    GroupPtr g = receive_group(sp.child);
    auto p = take_producer(g.get(), 0);
    auto c = take_consumer(g.get(), 0);
    g.reset();
    send_token(sp.child);
    for (uint64_t i = 0; i < r.total(); ++i) {
      await(c.get(), blocking);
      if (get(c.get()) != i) die("ping-pong out of order");
      put(p.get(), i);
    }
    return 0;
  });
  sp.close_child();
  GroupPtr g = create_group(GroupSpec{{ch}, {ch}, 0});
  send_group(sp.parent, g.get());
  auto p = take_producer(g.get(), 0);
  auto c = take_consumer(g.get(), 0);
  g.reset();
  receive_token(sp.parent);
  auto ns = time_rounds(r, [&](uint64_t i) {
    put(p.get(), i);
    await(c.get(), blocking);
    if (get(c.get()) != i) die("ping-pong out of order");
  });
  peer.join();
  return ns;
}

struct Variant {
  const char* name;
  const char* what;
  bool blocking;
  std::function<std::vector<double>(const Rounds&)> run;
};

}  // namespace

void run_latency(Json& out, Figures& fig) {
  const std::vector<Variant> variants = {
      {"cacheline-2", "two cache lines, one per direction (limit)", false, cacheline_two},
      {"cacheline-1", "one cache line written by both (limit)", false, cacheline_one},
      {"rtipc-poll", "librtipc, busy-polling rtipc_consume", false,
       [](const Rounds& r) { return rtipc_pingpong(r, false); }},
      {"rtipc-wait", "librtipc, rtipc_consumer_wait (eventfd)", true,
       [](const Rounds& r) { return rtipc_pingpong(r, true); }},
      {"eventfd", "eventfd pair, blocking read", true, eventfds},
      {"pipe", "pipe pair, blocking read", true, pipes},
      {"seqpacket", "Unix SOCK_SEQPACKET socketpair, blocking read", true, seqpacket},
  };
  const Rounds busy{iters(20'000, 50), iters(200'000, 200)};
  const Rounds blocking{iters(2'000, 20), iters(30'000, 100)};

  std::vector<std::vector<double>> all(variants.size());
  std::vector<std::vector<double>> rep_p50(variants.size());
  for (int rep = 0; rep < g_options.reps; ++rep) {
    for (size_t v = 0; v < variants.size(); ++v) {
      auto ns = variants[v].run(variants[v].blocking ? blocking : busy);
      std::vector<double> copy = ns;
      rep_p50[v].push_back(summarize(copy).p50);
      all[v].insert(all[v].end(), ns.begin(), ns.end());
    }
  }

  std::printf("\n== latency: ping-pong one-way time (RTT/2), ns; %d reps interleaved ==\n",
              g_options.reps);
  std::printf("%-12s %9s %9s %9s %9s %10s %10s  %s\n", "variant", "p50", "p90", "p99", "p99.9",
              "max", "p50/limit", "per-rep p50 (min..max)");
  Json& variants_json = out["variants"];
  double limit = 0;
  for (size_t v = 0; v < variants.size(); ++v) {
    Summary s = summarize(all[v]);
    if (v == 0) limit = s.p50;
    const auto [lo, hi] = std::minmax_element(rep_p50[v].begin(), rep_p50[v].end());
    std::printf("%-12s %9.1f %9.1f %9.1f %9.1f %10.1f %10.2f  %.1f..%.1f\n", variants[v].name,
                s.p50, s.p90, s.p99, s.p999, s.max, s.p50 / limit, *lo, *hi);
    Json j = Json::object();
    j.set("name", variants[v].name);
    j.set("what", variants[v].what);
    j.set("one_way_ns", to_json(s));
    Json reps = Json::array();
    for (double p : rep_p50[v]) reps.push(p);
    j.set("rep_p50_ns", reps);
    variants_json.push(j);
    write_cdf(std::string("cdf_") + variants[v].name + ".dat", all[v]);
    fig[std::string("latency.") + variants[v].name + ".p50"] = s.p50;
    fig[std::string("latency.") + variants[v].name + ".p99.9"] = s.p999;
  }
  out.set("rounds_per_rep_busy", busy.timed);
  out.set("rounds_per_rep_blocking", blocking.timed);
}

}  // namespace bench
