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

constexpr uint64_t kBatch = 2000;

std::vector<double> rtipc_empty_ns(rtipc_consumer* c, uint64_t batches) {
  int bad = 0;
  auto ns = per_call_ns(batches, kBatch, [&](uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) bad |= rtipc_consume(c, RTIPC_CONSUME_NEXT) != RTIPC_NO_NEW;
  });
  if (bad) die("empty poll found something");
  return ns;
}

std::vector<double> load_compare_ns(const std::atomic<uint32_t>& head, uint64_t batches) {
  const uint32_t cached = head.load(std::memory_order_relaxed);
  uint64_t changed = 0;
  auto ns = per_call_ns(batches, kBatch, [&](uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) changed += head.load(std::memory_order_acquire) != cached;
  });
  if (changed) die("the idle index changed");
  return ns;
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

  const uint64_t batches = iters(10'000, 20);
  std::vector<double> rt, floor, rt_all, floor_all;
  for (int rep = 0; rep < g_options.reps; ++rep) {
    auto a = rtipc_empty_ns(c.get(), batches);
    auto b = load_compare_ns(head, batches);
    rt.push_back(median(a));
    floor.push_back(median(b));
    rt_all.insert(rt_all.end(), a.begin(), a.end());
    floor_all.insert(floor_all.end(), b.begin(), b.end());
  }
  const double r = median(rt), f = median(floor);
  const Summary rs = summarize(rt_all);
  std::printf(
      "\n== empty poll: ns per call that finds nothing (1 process, CPU %d); "
      "batches of %llu calls, median batch, median of %d reps ==\n",
      g_options.cpu_a, (unsigned long long)kBatch, g_options.reps);
  std::printf("%-34s %8.2f ns  (%.1f TSC ticks; fastest batch %.2f ns, p99 batch %.2f ns)\n",
              "rtipc_consume, nothing new", r, r * Clock::ticks_per_ns(), rs.min, rs.p99);
  std::printf("%-34s %8.2f ns\n", "acquire load + compare (floor)", f);
  out.set("batches_per_rep", batches);
  out.set("calls_per_batch", kBatch);
  out.set("rtipc_consume_batch_ns", to_json(rs));
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
