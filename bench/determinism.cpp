// Determinism: the distribution of one rtipc_consume call's cost on the
// consumer while the producer (another process, another CPU) is idle, and
// while it force-pushes flat out into the same channel.
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "channels.hpp"
#include "common.hpp"
#include "sets.hpp"

namespace bench {
namespace {

struct Control {
  alignas(64) std::atomic<uint32_t> stop;
};

struct Run {
  std::vector<double> ns;  // per call, time stamps included
  uint64_t news = 0;       // calls that returned a message
};

Run consume_costs(bool flat_out, uint64_t n) {
  SharedMem mem(sizeof(Control));
  Control* ctl = mem.as<Control>();
  SocketPair sp;
  Peer peer([&] {
    sp.close_parent();
    auto p = receive_stream_producer(sp.child);
    check_rc(rtipc_produce(p.get(), RTIPC_PRODUCE_FORCE), "rtipc_produce");
    send_token(sp.child);
    uint64_t seq = 1;
    while (!ctl->stop.load(std::memory_order_relaxed)) {
      if (flat_out) {
        std::memcpy(rtipc_producer_msg(p.get()), &seq, sizeof seq);
        check_rc(rtipc_produce(p.get(), RTIPC_PRODUCE_FORCE), "rtipc_produce");
        ++seq;
      } else {
        relax();
      }
    }
    return 0;
  });
  sp.close_child();
  auto c = send_stream_group(sp.parent, ChannelSpec{16, 100, false});
  receive_token(sp.parent);
  while (check_rc(rtipc_consume(c.get(), RTIPC_CONSUME_NEXT), "rtipc_consume") < RTIPC_NEW) {
  }
  Run run;
  std::vector<uint64_t> ticks(n);
  int bad = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t t0 = Clock::now();
    const int rc = rtipc_consume(c.get(), RTIPC_CONSUME_NEXT);
    const uint64_t t1 = Clock::now();
    ticks[i] = t1 - t0;
    bad |= rc < 0;
    run.news += rc >= RTIPC_NEW;
  }
  ctl->stop.store(1);
  peer.join();
  if (bad) die("rtipc_consume failed");
  run.ns.resize(n);
  for (uint64_t i = 0; i < n; ++i) run.ns[i] = Clock::to_ns(double(ticks[i]));
  return run;
}

// What two back-to-back time stamps cost (included in every sample above).
double stamp_overhead_ns() {
  std::vector<double> v(10000);
  for (double& x : v) {
    const uint64_t t0 = Clock::now();
    const uint64_t t1 = Clock::now();
    x = Clock::to_ns(double(t1 - t0));
  }
  return summarize(v).p50;
}

}  // namespace

void run_determinism(Json& out, Figures& fig) {
  const uint64_t n = iters(500'000, 2000);
  std::vector<double> idle, busy;
  uint64_t idle_news = 0, busy_news = 0;
  for (int rep = 0; rep < g_options.reps; ++rep) {
    for (bool flat : {false, true}) {
      Run r = consume_costs(flat, n);
      auto& dst = flat ? busy : idle;
      dst.insert(dst.end(), r.ns.begin(), r.ns.end());
      (flat ? busy_news : idle_news) += r.news;
    }
  }
  const double stamp = stamp_overhead_ns();
  Summary si = summarize(idle), sb = summarize(busy);
  std::printf(
      "\n== determinism: cost of one rtipc_consume on CPU %d, ns (time stamps included: "
      "%.1f ns); %d reps interleaved ==\n",
      g_options.cpu_a, stamp, g_options.reps);
  std::printf("%-28s %8s %8s %8s %8s %10s %10s\n", "producer", "p50", "p90", "p99", "p99.9", "max",
              "msgs/call");
  auto row = [&](const char* name, const Summary& s, uint64_t news) {
    std::printf("%-28s %8.1f %8.1f %8.1f %8.1f %10.1f %10.3f\n", name, s.p50, s.p90, s.p99, s.p999,
                s.max, double(news) / double(s.count));
  };
  row("idle", si, idle_news);
  row("force-pushing flat out", sb, busy_news);
  out.set("calls_per_rep", n);
  out.set("timestamp_overhead_ns", stamp);
  out.set("idle_ns", to_json(si));
  out.set("flat_out_ns", to_json(sb));
  out.set("idle_messages_per_call", double(idle_news) / double(si.count));
  out.set("flat_out_messages_per_call", double(busy_news) / double(sb.count));
  write_cdf("cdf_consume_idle.dat", idle);
  write_cdf("cdf_consume_flat_out.dat", busy);
  fig["determinism.idle.p99"] = si.p99;
  fig["determinism.busy.p99"] = sb.p99;
}

}  // namespace bench
