// Empty poll: what a consume that finds nothing new costs, the price of
// busy-polling. Beside it, the floor: one acquire load and a compare, as
// the minimal ring's consumer polls.
#include <atomic>
#include <cstdio>
#include <vector>

#include "channels.hpp"
#include "common.hpp"
#include "sets.hpp"

namespace bench {
namespace {

double rtipc_empty_ns(rtipc_consumer* c, uint64_t n) {
  int bad = 0;
  const uint64_t t0 = Clock::now();
  for (uint64_t i = 0; i < n; ++i) bad |= rtipc_consume(c, RTIPC_CONSUME_NEXT) != RTIPC_NO_NEW;
  const uint64_t t1 = Clock::now();
  if (bad) die("empty poll found something");
  return Clock::to_ns(double(t1 - t0)) / double(n);
}

double load_compare_ns(const std::atomic<uint32_t>& head, uint64_t n) {
  uint32_t cached = head.load(std::memory_order_relaxed);
  uint64_t changed = 0;
  const uint64_t t0 = Clock::now();
  for (uint64_t i = 0; i < n; ++i) changed += head.load(std::memory_order_acquire) != cached;
  const uint64_t t1 = Clock::now();
  if (changed) die("the idle index changed");
  return Clock::to_ns(double(t1 - t0)) / double(n);
}

}  // namespace

void run_emptypoll(Json& out, Figures& fig) {
  GroupPtr client = create_group(GroupSpec{{ChannelSpec{16, 100, false}}, {}, 0});
  GroupPtr server = adopt_locally(client.get());
  auto p = take_producer(client.get(), 0);
  auto c = take_consumer(server.get(), 0);
  check_rc(rtipc_produce(p.get(), RTIPC_PRODUCE_FORCE), "rtipc_produce");
  if (rtipc_consume(c.get(), RTIPC_CONSUME_NEXT) != RTIPC_NEW) die("first consume");
  alignas(64) std::atomic<uint32_t> head{7};

  const uint64_t n = iters(20'000'000, 20'000);
  std::vector<double> rt, floor;
  for (int rep = 0; rep < g_options.reps; ++rep) {
    rt.push_back(rtipc_empty_ns(c.get(), n));
    floor.push_back(load_compare_ns(head, n));
  }
  const double r = median(rt), f = median(floor);
  std::printf("\n== empty poll: ns per call that finds nothing (1 process, CPU %d); "
              "%d reps, medians ==\n",
              g_options.cpu_a, g_options.reps);
  std::printf("%-34s %8.2f ns  (%.1f cycles at the TSC rate)\n", "rtipc_consume, nothing new", r,
              r * Clock::ticks_per_ns());
  std::printf("%-34s %8.2f ns\n", "acquire load + compare (floor)", f);
  out.set("calls_per_rep", n);
  out.set("rtipc_consume_ns", r);
  out.set("load_compare_ns", f);
  Json a = Json::array(), b = Json::array();
  for (double v : rt) a.push(v);
  for (double v : floor) b.push(v);
  out.set("rtipc_consume_ns_reps", a);
  out.set("load_compare_ns_reps", b);
  fig["emptypoll.ns"] = r;
}

}  // namespace bench
