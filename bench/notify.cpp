// Notify: what a push costs on a channel with an eventfd, written directly
// (poll + write system calls) or queued to an io_uring kernel poller
// (SQPOLL), beside a push without eventfd; what the first push after the
// poller fell asleep costs; and the CPU the poller thread burns, idle and
// under load (from /proc/self/task/<tid>/schedstat).
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "channels.hpp"
#include "common.hpp"
#include "sets.hpp"

namespace bench {
namespace {

constexpr uint64_t kBurst = 16;  // pushes timed together; the poller catches up in between

struct NotifierPtr {
  rtipc_notifier* n = nullptr;
  ~NotifierPtr() { rtipc_notifier_destroy(n); }
};

// A notifier with idle_ms (the poller's wait before it sleeps), pinned next
// to the peer CPU so that it does not share ours.
rtipc_notifier* make_notifier(uint32_t idle_ms) {
  rtipc_notifier_config c = RTIPC_NOTIFIER_CONFIG_INIT;
  c.idle_ms = idle_ms;
  c.flags = RTIPC_NOTIFIER_PIN_CPU;
  c.cpu = static_cast<uint32_t>(g_options.cpu_b);
  rtipc_notifier* n = nullptr;
  check_rc(rtipc_notifier_create(&c, &n), "rtipc_notifier_create");
  return n;
}

// The kernel poller of this process ("iou-sqp-<pid>"), or -1.
int poller_tid() {
  int tid = -1;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
      std::string name;
      std::getline(comm, name);
      if (name.rfind("iou-sqp", 0) == 0) tid = std::atoi(e->d_name);
    }
    closedir(d);
  }
  return tid;
}

// ns the thread has run, from schedstat (exact, unlike the tick-based stat).
uint64_t thread_cpu_ns(int tid) {
  std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/schedstat");
  uint64_t ns = 0;
  f >> ns;
  return ns;
}

void spin_for_ns(uint64_t ns) {
  const uint64_t end = mono_ns() + ns;
  while (mono_ns() < end) {
  }
}

// ns per push in bursts of kBurst with a pause between bursts that lets a
// poller drain its queue (it holds 256).
std::vector<double> burst_push_ns(rtipc_producer* p, uint64_t bursts) {
  std::vector<double> out(bursts);
  for (uint64_t b = 0; b < bursts; ++b) {
    const uint64_t t0 = Clock::now();
    for (uint64_t i = 0; i < kBurst; ++i) rtipc_produce(p, RTIPC_PRODUCE_FORCE);
    out[b] = Clock::to_ns(double(Clock::now() - t0)) / double(kBurst);
    spin_for_ns(50'000);
  }
  return out;
}

// ns per push with no pause at all: the rate each mode sustains (io_uring
// mode writes directly when the poller falls behind and its queue is full).
double tight_push_ns(rtipc_producer* p, uint64_t n) {
  const uint64_t t0 = Clock::now();
  for (uint64_t i = 0; i < n; ++i) rtipc_produce(p, RTIPC_PRODUCE_FORCE);
  return Clock::to_ns(double(Clock::now() - t0)) / double(n);
}

struct Channel {
  GroupPtr client, server;
  ProducerPtr producer;
  ConsumerPtr consumer;  // held so the channel is complete; never read
  explicit Channel(bool eventfd) {
    client = create_group(GroupSpec{{ChannelSpec{16, 100, eventfd}}, {}, 0});
    server = adopt_locally(client.get());
    producer = take_producer(client.get(), 0);
    consumer = take_consumer(server.get(), 0);
  }
};

}  // namespace

void run_notify(Json& out, Figures& fig) {
  NotifierPtr notifier{make_notifier(1000)};
  const bool uring = rtipc_notifier_mode(notifier.n) == RTIPC_NOTIFY_IO_URING;
  Channel plain(false), direct(true), queued(true);
  check_rc(rtipc_producer_set_notifier(queued.producer.get(), notifier.n), "set_notifier");
  // This notifier's poller, found before any other notifier exists.
  const int tid = uring ? poller_tid() : -1;

  const uint64_t bursts = iters(4000, 20), tight = iters(200'000, 2000);
  std::vector<double> a, b, c, ta, tb, tc, all_a, all_b, all_c;
  auto run = [&](rtipc_producer* p, std::vector<double>& med, std::vector<double>& all) {
    auto ns = burst_push_ns(p, bursts);
    med.push_back(median(ns));
    all.insert(all.end(), ns.begin(), ns.end());
  };
  for (int rep = 0; rep < g_options.reps; ++rep) {
    run(plain.producer.get(), a, all_a);
    run(direct.producer.get(), b, all_b);
    run(queued.producer.get(), c, all_c);
    ta.push_back(tight_push_ns(plain.producer.get(), tight));
    tb.push_back(tight_push_ns(direct.producer.get(), tight));
    tc.push_back(tight_push_ns(queued.producer.get(), tight));
  }
  const double none = median(a), wr = median(b), ur = median(c);
  // The fastest tenth of bursts: the cost of the path itself, where a
  // preempted poller (a shared machine) has not made the ring overflow into
  // direct writes.
  auto p10 = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 10];
  };
  const double fa = p10(all_a), fb = p10(all_b), fc = p10(all_c);
  std::printf(
      "\n== notify: ns per push (16-byte message, CPU %d, poller on CPU %d%s); "
      "bursts of %llu, median of %d reps ==\n",
      g_options.cpu_a, g_options.cpu_b, uring ? "" : ", io_uring UNAVAILABLE: direct",
      (unsigned long long)kBurst, g_options.reps);
  std::printf("%-40s %9s %9s %9s %12s\n", "variant", "burst ns", "p10 ns", "tight ns",
              "burst ratio");
  std::printf("%-40s %9.1f %9.1f %9.1f %12s\n", "no eventfd (baseline)", none, fa, median(ta),
              "1.00");
  std::printf("%-40s %9.1f %9.1f %9.1f %12.2f\n", "eventfd, direct write", wr, fb, median(tb),
              wr / none);
  std::printf("%-40s %9.1f %9.1f %9.1f %12.2f\n", "eventfd, io_uring SQPOLL notifier", ur, fc,
              median(tc), ur / none);

  // The first push after the poller slept: idle_ms 1, then 5 ms of nothing.
  std::vector<double> first;
  {
    NotifierPtr sleepy{make_notifier(1)};
    Channel ch(true);
    check_rc(rtipc_producer_set_notifier(ch.producer.get(), sleepy.n), "set_notifier");
    for (uint64_t i = 0; i < iters(200, 5); ++i) {
      usleep(5000);
      const uint64_t t0 = Clock::now();
      rtipc_produce(ch.producer.get(), RTIPC_PRODUCE_FORCE);
      first.push_back(Clock::to_ns(double(Clock::now() - t0)));
    }
  }
  const double wake = median(first);
  std::printf("%-40s %9.1f %9s %9s %12.2f\n", "io_uring, first push after poller slept", wake, "",
              "", wake / none);

  // The poller's CPU: busy-polling for idle_ms after the last push, asleep
  // after that, and under a load of one push every 10 us.
  double awake_pct = 0, asleep_pct = 0, load_pct = 0;
  if (tid > 0 && thread_cpu_ns(tid) > 0) {
    const uint64_t window = g_options.smoke ? 50'000'000 : 500'000'000;
    auto share = [&](auto&& during) {
      const uint64_t c0 = thread_cpu_ns(tid), t0 = mono_ns();
      during();
      const uint64_t c1 = thread_cpu_ns(tid);
      return c1 < c0 ? 0.0 : 100.0 * double(c1 - c0) / double(mono_ns() - t0);
    };
    rtipc_produce(queued.producer.get(), RTIPC_PRODUCE_FORCE);
    awake_pct = share([&] { spin_for_ns(window / 2); });         // within its 1000 ms idle time
    usleep(1'100'000 - static_cast<useconds_t>(window / 2000));  // past it: asleep
    asleep_pct = share([&] { usleep(static_cast<useconds_t>(window / 1000)); });
    load_pct = share([&] {
      const uint64_t end = mono_ns() + window;
      while (mono_ns() < end) {
        rtipc_produce(queued.producer.get(), RTIPC_PRODUCE_FORCE);
        spin_for_ns(10'000);
      }
    });
    std::printf(
        "poller thread (tid %d) CPU: %.1f%% awake and idle (idle_ms 1000), %.1f%% asleep, "
        "%.1f%% under 100k pushes/s\n",
        tid, awake_pct, asleep_pct, load_pct);
  } else {
    std::printf("poller thread: none (direct mode)\n");
  }

  out.set("io_uring", uring);
  out.set("burst", kBurst);
  out.set("push_no_eventfd_ns", none);
  out.set("push_direct_ns", wr);
  out.set("push_io_uring_ns", ur);
  out.set("push_p10_no_eventfd_ns", fa);
  out.set("push_p10_direct_ns", fb);
  out.set("push_p10_io_uring_ns", fc);
  out.set("push_tight_no_eventfd_ns", median(ta));
  out.set("push_tight_direct_ns", median(tb));
  out.set("push_tight_io_uring_ns", median(tc));
  out.set("first_push_after_sleep_ns", wake);
  out.set("poller_cpu_awake_pct", awake_pct);
  out.set("poller_cpu_asleep_pct", asleep_pct);
  out.set("poller_cpu_load_100k_pct", load_pct);
  fig["notify.direct_over_none"] = wr / none;
  fig["notify.io_uring_over_none"] = ur / none;
}

}  // namespace bench
