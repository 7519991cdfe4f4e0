// Wake-up: a sleeping consumer woken by a push in another process, as a
// ping-pong where both sides sleep. The peer waits on a waitset of 1, 8 or
// 64 channels (one of which, in turn, gets the ping) and answers on a return
// channel that we wait for the same way; one way = round trip / 2. Beside
// it, the kernel's floor in the same run: a raw eventfd ping-pong with
// blocking reads.
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "channels.hpp"
#include "common.hpp"
#include "sets.hpp"

namespace bench {
namespace {

struct Variant {
  const char* name;
  unsigned backend;  // RTIPC_WAITSET_*, or ~0u for the raw eventfd
  uint32_t channels;
  bool notifier;  // producers queue their signal to an io_uring poller
};

const Variant kVariants[] = {
    {"raw eventfd, blocking read (floor)", ~0u, 1, false},
    {"waitset epoll, 1 channel", RTIPC_WAITSET_EPOLL, 1, false},
    {"waitset epoll, 8 channels", RTIPC_WAITSET_EPOLL, 8, false},
    {"waitset epoll, 64 channels", RTIPC_WAITSET_EPOLL, 64, false},
    {"waitset io_uring, 1 channel", RTIPC_WAITSET_IO_URING, 1, false},
    {"waitset io_uring, 8 channels", RTIPC_WAITSET_IO_URING, 8, false},
    {"waitset io_uring, 64 channels", RTIPC_WAITSET_IO_URING, 64, false},
    {"waitset epoll + SQPOLL notifier, 1", RTIPC_WAITSET_EPOLL, 1, true},
};

std::vector<double> raw_eventfd(uint64_t rounds) {
  const int ab = eventfd(0, EFD_CLOEXEC), ba = eventfd(0, EFD_CLOEXEC);
  check(ab >= 0 && ba >= 0, "eventfd");
  Peer peer([&] {
    uint64_t v;
    for (uint64_t i = 0; i < rounds; ++i)
      if (read(ab, &v, 8) != 8 || write(ba, &v, 8) != 8) return 1;
    return 0;
  });
  std::vector<double> ns(rounds);
  for (uint64_t i = 0; i < rounds; ++i) {
    uint64_t v = 1;
    const uint64_t t0 = Clock::now();
    check(write(ab, &v, 8) == 8 && read(ba, &v, 8) == 8, "eventfd ping-pong");
    ns[i] = Clock::to_ns(double(Clock::now() - t0)) / 2;
  }
  peer.join();
  close(ab);
  close(ba);
  return ns;
}

rtipc_waitset* waitset(unsigned backend) {
  rtipc_waitset_config c = RTIPC_WAITSET_CONFIG_INIT;
  c.backend = backend;
  rtipc_waitset* ws = nullptr;
  check_rc(rtipc_waitset_create(&c, &ws), "rtipc_waitset_create");
  return ws;
}

rtipc_notifier* notifier_for(rtipc_producer* p) {
  rtipc_notifier_config c = RTIPC_NOTIFIER_CONFIG_INIT;
  rtipc_notifier* n = nullptr;
  check_rc(rtipc_notifier_create(&c, &n), "rtipc_notifier_create");
  check_rc(rtipc_producer_set_notifier(p, n), "rtipc_producer_set_notifier");
  return n;
}

void take_one(rtipc_waitset* ws, rtipc_consumer* c, uint64_t want) {
  rtipc_waitset_event ev[64];
  for (;;) {
    const int r = rtipc_waitset_wait(ws, ev, 64, 10000);
    check(r > 0, "waitset wait");
    if (rtipc_consume(c, RTIPC_CONSUME_NEXT) >= RTIPC_NEW) break;
  }
  check(*static_cast<const uint64_t*>(rtipc_consumer_msg(c)) == want, "echo out of order");
}

std::vector<double> through_waitset(const Variant& v, uint64_t rounds) {
  // Ours: v.channels producers to the peer, and, in a second group (a
  // server takes at most 64 channels per group by default), one back.
  std::vector<ChannelSpec> out(v.channels, ChannelSpec{16, 0, true});
  GroupPtr group = create_group(GroupSpec{out, {}, 0});
  GroupPtr back_group = create_group(GroupSpec{{}, {ChannelSpec{16, 0, true}}, 0});
  SocketPair sp;
  Peer peer([&] {
    sp.close_parent();
    GroupPtr g = receive_group(sp.child);
    GroupPtr gb = receive_group(sp.child);
    std::vector<ConsumerPtr> in;
    rtipc_waitset* ws = waitset(v.backend);
    for (uint32_t i = 0; i < v.channels; ++i) {
      in.push_back(take_consumer(g.get(), i));
      check_rc(rtipc_waitset_add_consumer(ws, in.back().get(), i), "add_consumer");
    }
    ProducerPtr back = take_producer(gb.get(), 0);
    rtipc_notifier* n = v.notifier ? notifier_for(back.get()) : nullptr;
    send_token(sp.child);
    rtipc_waitset_event ev[64];
    for (uint64_t i = 0; i < rounds;) {
      const int r = rtipc_waitset_wait(ws, ev, 64, 10000);
      if (r <= 0) return 2;
      for (int k = 0; k < r; ++k) {
        rtipc_consumer* c = in[ev[k].key].get();
        while (rtipc_consume(c, RTIPC_CONSUME_NEXT) >= RTIPC_NEW) {
          auto* m = static_cast<uint64_t*>(rtipc_producer_msg(back.get()));
          m[0] = *static_cast<const uint64_t*>(rtipc_consumer_msg(c));
          rtipc_produce(back.get(), RTIPC_PRODUCE_FORCE);
          ++i;
        }
      }
    }
    back.reset();
    rtipc_notifier_destroy(n);
    for (auto& c : in) rtipc_waitset_remove_consumer(ws, c.get());
    rtipc_waitset_destroy(ws);
    return 0;
  });
  sp.close_child();
  send_group(sp.parent, group.get());
  send_group(sp.parent, back_group.get());
  receive_token(sp.parent);
  std::vector<ProducerPtr> pings;
  for (uint32_t i = 0; i < v.channels; ++i) pings.push_back(take_producer(group.get(), i));
  ConsumerPtr echo = take_consumer(back_group.get(), 0);
  rtipc_notifier* n = nullptr;
  if (v.notifier) n = notifier_for(pings[0].get());
  rtipc_waitset* ws = waitset(v.backend);
  check_rc(rtipc_waitset_add_consumer(ws, echo.get(), 0), "add_consumer");
  std::vector<double> ns(rounds);
  for (uint64_t i = 0; i < rounds; ++i) {
    rtipc_producer* p = pings[i % v.channels].get();
    *static_cast<uint64_t*>(rtipc_producer_msg(p)) = i;
    const uint64_t t0 = Clock::now();
    rtipc_produce(p, RTIPC_PRODUCE_FORCE);
    take_one(ws, echo.get(), i);
    ns[i] = Clock::to_ns(double(Clock::now() - t0)) / 2;
  }
  peer.join();
  rtipc_waitset_remove_consumer(ws, echo.get());
  rtipc_waitset_destroy(ws);
  pings.clear();
  rtipc_notifier_destroy(n);
  return ns;
}

}  // namespace

void run_wakeup(Json& out, Figures& fig) {
  const uint64_t rounds = iters(20'000, 100);
  constexpr size_t kCount = sizeof kVariants / sizeof kVariants[0];
  std::vector<std::vector<double>> all(kCount), p50(kCount);
  for (int rep = 0; rep < g_options.reps; ++rep) {
    for (size_t v = 0; v < kCount; ++v) {
      auto ns =
          kVariants[v].backend == ~0u ? raw_eventfd(rounds) : through_waitset(kVariants[v], rounds);
      p50[v].push_back(median(ns));
      all[v].insert(all[v].end(), ns.begin(), ns.end());
    }
  }
  std::printf(
      "\n== wake-up: one-way ns, push to a sleeping consumer in another process "
      "(ping-pong, both sides sleep; CPUs %d,%d), %llu rounds x %d reps ==\n",
      g_options.cpu_a, g_options.cpu_b, (unsigned long long)rounds, g_options.reps);
  std::printf("%-38s %9s %9s %9s %8s\n", "variant", "p50", "p99", "p99.9", "p50/raw");
  const double floor = median(p50[0]);
  Json rows = Json::object();
  for (size_t v = 0; v < kCount; ++v) {
    const Summary s = summarize(all[v]);
    const double m = median(p50[v]);
    std::printf("%-38s %9.0f %9.0f %9.0f %8.2f\n", kVariants[v].name, m, s.p99, s.p999, m / floor);
    Json row = to_json(s);
    row.set("p50_of_reps", m);
    row.set("ratio_to_raw_eventfd", m / floor);
    rows.set(kVariants[v].name, row);
  }
  out.set("rounds", rounds);
  out.set("variants", rows);
  fig["wakeup.raw_eventfd_ns"] = floor;
  fig["wakeup.epoll1_over_raw"] = median(p50[1]) / floor;
  fig["wakeup.io_uring1_over_raw"] = median(p50[4]) / floor;
}

}  // namespace bench
