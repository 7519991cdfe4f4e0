// Worst case (issue 19): long ping-pong runs of equal duration per variant,
// idle and under stress-ng, reporting the tail (p99.99, p99.999, max) and the
// outliers per second above 10 us, 100 us and 1 ms, each variant beside its
// floor from the same run: the raw cache line for busy-polling, a raw
// eventfd ping-pong and cyclictest for blocking wake-ups. Both processes run
// SCHED_FIFO with mlockall when permitted. Where librtipc misses its goal
// (1.5x the line, 1.2x the eventfd), the table says what the excess coincides
// with: involuntary context switches of either process (preemption, RT
// throttling), hypervisor steal, and the system calls per round trip.
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "channels.hpp"
#include "common.hpp"
#include "sets.hpp"

namespace bench {
namespace {

constexpr std::array<double, 3> kThresholdsNs = {10e3, 100e3, 1e6};
constexpr const char* kThresholdNames[] = {">10us/s", ">100us/s", ">1ms/s"};
constexpr uint64_t kStop = ~uint64_t(0);  // the last ping: the peer exits after it

// Log-linear histogram of nanoseconds: exact below 32 ns, then 32 buckets
// per power of two (about 3 % wide). Percentiles read a bucket's upper edge.
class Hist {
 public:
  static constexpr int kSub = 32;
  void add(uint64_t ns, uint64_t n = 1) {
    counts_[index(ns)] += n;
    total_ += n;
  }
  void merge(const Hist& o) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
  }
  uint64_t total() const { return total_; }
  double quantile(double q) const {
    if (total_ == 0) return 0;
    const uint64_t rank = uint64_t(std::ceil(q * double(total_)));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return double(upper(i));
    }
    return double(upper(counts_.size() - 1));
  }
  // "lower_edge_ns count" lines, 4 buckets per power of two (for the plot).
  std::string coarse(double per) const {
    std::string text;
    char buf[64];
    for (size_t i = 0; i < counts_.size();) {
      size_t j = i + 1;
      if (i >= kSub)
        while (j < counts_.size() && (j - kSub) % (kSub / 4) != 0) ++j;
      uint64_t n = 0;
      for (size_t k = i; k < j; ++k) n += counts_[k];
      if (n) {
        std::snprintf(buf, sizeof buf, "%llu %.6g\n", (unsigned long long)lower(i),
                      double(n) / per);
        text += buf;
      }
      i = j;
    }
    return text;
  }

 private:
  static size_t index(uint64_t v) {
    if (v < kSub) return size_t(v);
    const int e = 63 - __builtin_clzll(v);  // >= 5
    const uint64_t m = (v >> (e - 5)) & (kSub - 1);
    return std::min<size_t>(size_t(e - 4) * kSub + m, kBuckets - 1);
  }
  static uint64_t lower(size_t i) {
    if (i < kSub) return i;
    const int e = int(i / kSub) + 4;
    return (uint64_t(kSub) + i % kSub) << (e - 5);
  }
  static uint64_t upper(size_t i) { return i < kSub ? i : lower(i + 1) - 1; }
  static constexpr size_t kBuckets = 60 * kSub;
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
};

struct Result {
  Hist hist;
  double seconds = 0;
  double max_ns = 0;
  std::array<uint64_t, 3> over{};      // outliers above each threshold
  std::array<uint64_t, 3> over_csw{};  // ... from 100 us: coinciding with an involuntary switch
  uint64_t nivcsw = 0;                 // involuntary switches of both processes
  double steal_ms = 0;                 // hypervisor steal on the two CPUs
  double runq_ms = 0;                  // both processes runnable but not running
  double syscalls = -1;                // per round trip, both processes (-1: unknown)
  bool external = false;               // cyclictest: no ping-pong, no switch accounting

  void merge(const Result& o) {
    hist.merge(o.hist);
    seconds += o.seconds;
    max_ns = std::max(max_ns, o.max_ns);
    for (size_t k = 0; k < over.size(); ++k) {
      over[k] += o.over[k];
      over_csw[k] += o.over_csw[k];
    }
    nivcsw += o.nivcsw;
    steal_ms += o.steal_ms;
    runq_ms += o.runq_ms;
    if (o.syscalls >= 0) syscalls = o.syscalls;
  }
  double rate(size_t k) const { return seconds > 0 ? double(over[k]) / seconds : 0; }
};

// ---- real-time setup ------------------------------------------------------

struct RtState {
  bool fifo = false;
  bool locked = false;
  std::string why_not;  // what was refused, for the report
};
RtState g_rt;
int g_prio = 80;

// Puts the calling process under SCHED_FIFO and locks its memory, as far as
// permitted. The peer calls it too: fork does not inherit mlockall.
void go_realtime(bool report) {
  if (!g_options.worst_rt) return;
  sched_param sp{};
  sp.sched_priority = g_prio;
  const bool fifo = sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
  const int fifo_err = errno;
  const bool locked = mlockall(MCL_CURRENT | MCL_FUTURE) == 0;
  const int lock_err = errno;
  if (!report) return;
  g_rt.fifo = fifo;
  g_rt.locked = locked;
  if (!fifo) g_rt.why_not += std::string("SCHED_FIFO refused (") + std::strerror(fifo_err) + ") ";
  if (!locked) g_rt.why_not += std::string("mlockall refused (") + std::strerror(lock_err) + ")";
}

void leave_realtime() {
  sched_param sp{};
  sched_setscheduler(0, SCHED_OTHER, &sp);
  munlockall();
}

// ---- what the run coincided with --------------------------------------------

uint64_t own_nivcsw() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return uint64_t(ru.ru_nivcsw);
}

// The peer's involuntary switches, from /proc/PID/status (read on outliers
// only: a few microseconds that are not part of any sample).
class PeerSwitches {
 public:
  explicit PeerSwitches(pid_t pid) {
    fd_ = open(("/proc/" + std::to_string(pid) + "/status").c_str(), O_RDONLY | O_CLOEXEC);
  }
  ~PeerSwitches() {
    if (fd_ >= 0) close(fd_);
  }
  PeerSwitches(const PeerSwitches&) = delete;
  PeerSwitches& operator=(const PeerSwitches&) = delete;
  uint64_t read() const {
    if (fd_ < 0) return 0;
    char buf[4096];
    const ssize_t n = pread(fd_, buf, sizeof buf - 1, 0);
    if (n <= 0) return last_;
    buf[n] = 0;
    const char* p = std::strstr(buf, "nonvoluntary_ctxt_switches:");
    if (p) last_ = std::strtoull(p + 27, nullptr, 10);
    return last_;
  }

 private:
  int fd_ = -1;
  mutable uint64_t last_ = 0;
};

// Nanoseconds a process has waited runnable for a CPU (/proc/PID/schedstat,
// second field): a woken process that the running task does not yield to.
double run_delay_ns(pid_t pid) {
  std::ifstream in(pid ? "/proc/" + std::to_string(pid) + "/schedstat" : "/proc/self/schedstat");
  double run = 0, delay = 0;
  in >> run >> delay;
  return delay;
}

// Steal time of the two CPUs in ms (/proc/stat, USER_HZ ticks).
double steal_ms() {
  std::ifstream in("/proc/stat");
  std::string line;
  double ticks = 0;
  const std::string a = "cpu" + std::to_string(g_options.cpu_a) + " ";
  const std::string b = "cpu" + std::to_string(g_options.cpu_b) + " ";
  while (std::getline(in, line)) {
    if (line.rfind(a, 0) != 0 && line.rfind(b, 0) != 0) continue;
    std::istringstream f(line.substr(line.find(' ')));
    double v[8] = {};
    for (double& x : v) f >> x;
    ticks += v[7];
  }
  return ticks * 1000.0 / double(sysconf(_SC_CLK_TCK));
}

// Counts system calls of this process and its children (perf tracepoint
// raw_syscalls:sys_enter; needs tracefs mounted and perf permission).
class SyscallCounter {
 public:
  SyscallCounter() {
    std::ifstream id_file("/sys/kernel/tracing/events/raw_syscalls/sys_enter/id");
    uint64_t id = 0;
    if (!(id_file >> id)) return;
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_TRACEPOINT;
    attr.config = id;
    attr.inherit = 1;
    attr.disabled = 1;
    attr.exclude_kernel = 0;
    fd_ = int(syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
  }
  ~SyscallCounter() {
    if (fd_ >= 0) close(fd_);
  }
  SyscallCounter(const SyscallCounter&) = delete;
  SyscallCounter& operator=(const SyscallCounter&) = delete;
  bool ok() const { return fd_ >= 0; }
  void start() {
    if (fd_ >= 0) ioctl(fd_, PERF_EVENT_IOC_ENABLE, 0);
  }
  // After the children were reaped: their counts are folded in then.
  double stop() {
    if (fd_ < 0) return -1;
    ioctl(fd_, PERF_EVENT_IOC_DISABLE, 0);
    uint64_t v = 0;
    return ::read(fd_, &v, sizeof v) == sizeof v ? double(v) : -1;
  }

 private:
  int fd_ = -1;
};

// ---- the timed loop ---------------------------------------------------------

bool g_watch_switches = true;  // off while system calls are counted

// Runs round_trip() until `seconds` have passed; one sample = RTT / 2. On
// an outlier, looks whether either process was switched out involuntarily
// since the previous look (the look itself is outside every sample).
Result timed(double seconds, pid_t peer, const std::function<void()>& round_trip) {
  Result r;
  PeerSwitches peer_sw(peer);
  const uint64_t self0 = own_nivcsw(), peer0 = peer_sw.read();
  uint64_t self_last = self0, peer_last = peer0;
  const double steal0 = steal_ms();
  const double runq0 = run_delay_ns(0) + run_delay_ns(peer);
  const double tick_ns = 1.0 / Clock::ticks_per_ns();
  const uint64_t span = uint64_t(seconds * 1e9 * Clock::ticks_per_ns());
  const uint64_t start = Clock::now();
  uint64_t t = start;
  while (t - start < span) {
    round_trip();
    const uint64_t t2 = Clock::now();
    const double ns = double(t2 - t) * tick_ns / 2;
    t = t2;
    r.hist.add(uint64_t(ns));
    if (ns > r.max_ns) r.max_ns = ns;
    if (ns > kThresholdsNs[0]) {
      // Blocking wake-ups here take ~10 us at the median: looking at the
      // switches on each would change the rhythm, so only from 100 us on.
      bool switched = false;
      if (ns > kThresholdsNs[1] && g_watch_switches) {
        const uint64_t s = own_nivcsw(), p = peer_sw.read();
        switched = s != self_last || p != peer_last;
        self_last = s;
        peer_last = p;
      }
      for (size_t k = 0; k < kThresholdsNs.size(); ++k) {
        if (ns <= kThresholdsNs[k]) break;
        ++r.over[k];
        if (switched) ++r.over_csw[k];
      }
      t = Clock::now();
    }
  }
  r.seconds = double(t - start) * tick_ns / 1e9;
  r.nivcsw = (own_nivcsw() - self0) + (peer_sw.read() - peer0);
  r.steal_ms = steal_ms() - steal0;
  r.runq_ms = (run_delay_ns(0) + run_delay_ns(peer) - runq0) / 1e6;
  return r;
}

// ---- the variants -----------------------------------------------------------

struct alignas(64) Line {
  std::atomic<uint64_t> v{0};
};

// Raw cache-line ping-pong, one line per direction: the busy-poll floor.
Result line_pingpong(double seconds) {
  SharedMem mem(2 * sizeof(Line));
  Line* lines = mem.as<Line>();
  Peer peer([&] {
    go_realtime(false);
    for (uint64_t i = 1;; ++i) {
      uint64_t v;
      while ((v = lines[0].v.load(std::memory_order_acquire)) != i && v != kStop) relax();
      lines[1].v.store(i, std::memory_order_release);
      if (v == kStop) return 0;
    }
  });
  uint64_t i = 0;
  Result r = timed(seconds, peer.pid(), [&] {
    ++i;
    lines[0].v.store(i, std::memory_order_release);
    while (lines[1].v.load(std::memory_order_acquire) != i) relax();
  });
  lines[0].v.store(kStop, std::memory_order_release);
  peer.join();
  return r;
}

// Raw eventfd ping-pong with blocking reads: the kernel's wake-up floor.
Result eventfd_pingpong(double seconds) {
  const int ab = eventfd(0, EFD_CLOEXEC), ba = eventfd(0, EFD_CLOEXEC);
  check(ab >= 0 && ba >= 0, "eventfd");
  SharedMem mem(sizeof(Line));
  Line* stop = mem.as<Line>();
  Peer peer([&] {
    go_realtime(false);
    for (;;) {
      uint64_t v;
      if (read(ab, &v, 8) != 8 || write(ba, &v, 8) != 8) return 1;
      if (stop->v.load(std::memory_order_acquire)) return 0;
    }
  });
  Result r = timed(seconds, peer.pid(), [&] {
    uint64_t v = 1;
    check(write(ab, &v, 8) == 8 && read(ba, &v, 8) == 8, "eventfd ping-pong");
  });
  stop->v.store(1, std::memory_order_release);
  uint64_t v = 1;
  check(write(ab, &v, 8) == 8, "eventfd stop");
  peer.join();
  close(ab);
  close(ba);
  return r;
}

enum class Wait { kPoll, kConsumerWait, kEpoll, kIoUring };

// Waits for the next message on c as `how` says.
class Waiter {
 public:
  Waiter(rtipc_consumer* c, Wait how) : c_(c), how_(how) {
    if (how == Wait::kEpoll || how == Wait::kIoUring) {
      rtipc_waitset_config cfg = RTIPC_WAITSET_CONFIG_INIT;
      cfg.backend = how == Wait::kEpoll ? RTIPC_WAITSET_EPOLL : RTIPC_WAITSET_IO_URING;
      check_rc(rtipc_waitset_create(&cfg, &ws_), "rtipc_waitset_create");
      check_rc(rtipc_waitset_add_consumer(ws_, c, 0), "rtipc_waitset_add_consumer");
    }
  }
  ~Waiter() {
    if (ws_) {
      rtipc_waitset_remove_consumer(ws_, c_);
      rtipc_waitset_destroy(ws_);
    }
  }
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;
  uint64_t next() {
    for (;;) {
      const int rc = check_rc(rtipc_consume(c_, RTIPC_CONSUME_NEXT), "rtipc_consume");
      if (rc == RTIPC_NEW) return *static_cast<const uint64_t*>(rtipc_consumer_msg(c_));
      if (rc == RTIPC_NEW_AFTER_GAP) die("ping-pong lost a message");
      switch (how_) {
        case Wait::kPoll:
          relax();
          break;
        case Wait::kConsumerWait:
          check_rc(rtipc_consumer_wait(c_, -1), "rtipc_consumer_wait");
          break;
        default: {
          rtipc_waitset_event ev[4];
          check_rc(rtipc_waitset_wait(ws_, ev, 4, -1), "rtipc_waitset_wait");
        }
      }
    }
  }

 private:
  rtipc_consumer* c_;
  Wait how_;
  rtipc_waitset* ws_ = nullptr;
};

void put(rtipc_producer* p, uint64_t v) {
  std::memcpy(rtipc_producer_msg(p), &v, sizeof v);
  if (check_rc(rtipc_produce(p, RTIPC_PRODUCE_FORCE), "rtipc_produce") != RTIPC_PUBLISHED)
    die("ping-pong discarded a message");
}

// librtipc ping-pong: one channel each way, 16-byte messages, both sides
// waiting as `how` says; the region mlocked (as a real-time user would).
Result rtipc_pingpong(double seconds, Wait how) {
  const bool blocking = how != Wait::kPoll;
  const ChannelSpec ch{16, 0, blocking};
  const uint32_t flags = g_options.worst_rt ? RTIPC_GROUP_MLOCK : 0u;
  SocketPair sp;
  Peer peer([&] {
    go_realtime(false);
    sp.close_parent();
    GroupPtr g = receive_group(sp.child, flags);
    auto p = take_producer(g.get(), 0);
    auto c = take_consumer(g.get(), 0);
    g.reset();
    Waiter w(c.get(), how);
    send_token(sp.child);
    for (;;) {
      const uint64_t v = w.next();
      put(p.get(), v);
      if (v == kStop) return 0;
    }
  });
  sp.close_child();
  GroupPtr g = create_group(GroupSpec{{ch}, {ch}, flags});
  send_group(sp.parent, g.get());
  auto p = take_producer(g.get(), 0);
  auto c = take_consumer(g.get(), 0);
  g.reset();
  Waiter w(c.get(), how);
  receive_token(sp.parent);
  uint64_t i = 0;
  Result r = timed(seconds, peer.pid(), [&] {
    put(p.get(), ++i);
    if (w.next() != i) die("ping-pong out of order");
  });
  put(p.get(), kStop);
  w.next();
  peer.join();
  return r;
}

// cyclictest on the peer's CPU for `seconds` (whole seconds, at least 1):
// the scheduler's timer wake-up latency, a floor for any blocking wake-up.
Result cyclictest(double seconds) {
  Result r;
  r.external = true;
  const int secs = std::max(1, int(std::lround(seconds)));
  const std::string cmd =
      "cyclictest -q -t 1 -i 200 -h 20000 -a " + std::to_string(g_options.cpu_b) +
      (g_rt.fifo ? " -p " + std::to_string(g_prio) : std::string(" -p 0")) +
      (g_rt.locked ? " -m" : "") + " -D " + std::to_string(secs) + " 2>/dev/null";
  std::fflush(nullptr);
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return r;
  char line[256];
  uint64_t overflows = 0;
  while (std::fgets(line, sizeof line, f)) {
    unsigned long long us = 0, n = 0;
    if (line[0] != '#' && std::sscanf(line, "%llu %llu", &us, &n) == 2) {
      if (n == 0) continue;
      r.hist.add(us * 1000 + 500, n);
      for (size_t k = 0; k < kThresholdsNs.size(); ++k)
        if (double(us) * 1000 > kThresholdsNs[k]) r.over[k] += n;
    } else if (std::sscanf(line, "# Max Latencies: %llu", &us) == 1) {
      r.max_ns = double(us) * 1000;
    } else if (std::sscanf(line, "# Histogram Overflows: %llu", &n) == 1) {
      overflows = n;
    }
  }
  const int status = pclose(f);
  forget_child_exit();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || r.hist.total() == 0) {
    r.seconds = 0;
    return r;
  }
  // Beyond the histogram (20 ms): counted at the maximum.
  r.hist.add(uint64_t(r.max_ns), overflows);
  for (size_t k = 0; k < kThresholdsNs.size(); ++k) r.over[k] += overflows;
  r.seconds = secs;
  return r;
}

struct Variant {
  const char* name;
  const char* what;
  const char* floor;  // the variant it is compared with (nullptr: a floor)
  double goal;        // the allowed ratio to the floor
  std::function<Result(double)> run;
  bool busy = false;  // spins on both CPUs
};

// Sleeps one RT period (sched_rt_period_us), for the RT budget to refill.
void rest_rt_period() {
  std::ifstream in("/proc/sys/kernel/sched_rt_period_us");
  long us = 1000000;
  in >> us;
  usleep(useconds_t(std::clamp(us, 1000L, 2000000L)));
}

const Variant kVariants[] = {
    {"line", "raw cache-line ping-pong, one line each way (busy-poll floor)", nullptr, 0,
     line_pingpong, true},
    {"rtipc-poll", "librtipc, busy-polling rtipc_consume", "line", 1.5,
     [](double s) { return rtipc_pingpong(s, Wait::kPoll); }, true},
    {"eventfd", "raw eventfd ping-pong, blocking read (blocking floor)", nullptr, 0,
     eventfd_pingpong},
    {"rtipc-wait", "librtipc, rtipc_consumer_wait", "eventfd", 1.2,
     [](double s) { return rtipc_pingpong(s, Wait::kConsumerWait); }},
    {"ws-epoll", "librtipc, waitset (epoll), 1 channel", "eventfd", 1.2,
     [](double s) { return rtipc_pingpong(s, Wait::kEpoll); }},
    {"ws-io_uring", "librtipc, waitset (io_uring), 1 channel", "eventfd", 1.2,
     [](double s) { return rtipc_pingpong(s, Wait::kIoUring); }},
    {"cyclictest", "cyclictest timer wake-up on the peer CPU (rt-tests)", nullptr, 0, cyclictest},
};
constexpr size_t kCount = sizeof kVariants / sizeof kVariants[0];

// System calls per round trip of each ping-pong variant (a short extra run,
// so that the counter's own cost stays out of the timed figures).
std::vector<double> syscalls_per_round() {
  std::vector<double> out(kCount, -1);
  for (size_t v = 0; v < kCount; ++v) {
    if (std::strcmp(kVariants[v].name, "cyclictest") == 0) continue;
    SyscallCounter counter;
    if (!counter.ok()) return out;
    uint64_t rounds = 0;
    g_watch_switches = false;
    counter.start();
    const Result r = kVariants[v].run(g_options.smoke ? 0.02 : 0.2);
    const double n = counter.stop();
    g_watch_switches = true;
    rounds = r.hist.total();
    if (n >= 0 && rounds > 0) out[v] = n / double(rounds);
  }
  return out;
}

// ---- the load ---------------------------------------------------------------

class Stress {
 public:
  explicit Stress(const std::string& args) {
    std::fflush(nullptr);
    pid_ = fork();
    if (pid_ < 0) die("fork (stress-ng)");
    if (pid_ == 0) {
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      signal(SIGCHLD, SIG_DFL);
      sched_param sp{};
      sched_setscheduler(0, SCHED_OTHER, &sp);
      const int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      execl("/bin/sh", "sh", "-c", ("exec stress-ng " + args).c_str(), (char*)nullptr);
      _exit(127);
    }
    setpgid(pid_, pid_);
    // Let the stressors start: their spawn is not the load to measure.
    const uint64_t t0 = mono_ns();
    while (mono_ns() - t0 < (g_options.smoke ? 200'000'000u : 1'000'000'000u)) usleep(10'000);
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      failed_ = true;
    }
  }
  ~Stress() {
    if (pid_ <= 0) return;
    // SIGTERM first: stress-ng then stops and reaps its own workers.
    kill(pid_, SIGTERM);
    const uint64_t t0 = mono_ns();
    while (waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (mono_ns() - t0 > 5'000'000'000u) {
        kill(-pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        break;
      }
      usleep(10'000);
    }
    forget_child_exit();
  }
  Stress(const Stress&) = delete;
  Stress& operator=(const Stress&) = delete;
  bool failed() const { return failed_; }

 private:
  pid_t pid_ = -1;
  bool failed_ = false;
};

// The 1-minute load average: how busy the rest of the machine was.
std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one.empty() ? "?" : one;
}

bool have(const char* program) {
  const std::string cmd = std::string("command -v ") + program + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// ---- the report --------------------------------------------------------------

size_t index_of(const char* name) {
  for (size_t v = 0; v < kCount; ++v)
    if (std::strcmp(kVariants[v].name, name) == 0) return v;
  return 0;
}

double ratio(double a, double b) {
  return b > 0 ? a / b : (a > 0 ? INFINITY : 1.0);
}

// One goal line per compared variant; the cause where it is missed.
void goals(const std::vector<Result>& res, const std::vector<double>& sc, Json& out) {
  for (size_t v = 0; v < kCount; ++v) {
    const Variant& var = kVariants[v];
    if (!var.floor) continue;
    const size_t f = index_of(var.floor);
    const Result &a = res[v], &b = res[f];
    if (a.seconds <= 0 || b.seconds <= 0) continue;
    // One event of slack: over equal durations, 0 against 1 is no ratio.
    const double slack = 1.0 / b.seconds;
    bool met = true;
    std::string line;
    char buf[160];
    Json g = Json::object();
    for (size_t k = 0; k < kThresholdsNs.size(); ++k) {
      const double ra = a.rate(k), rb = b.rate(k);
      const bool ok = ra <= var.goal * std::max(rb, slack);
      met = met && ok;
      std::snprintf(buf, sizeof buf, " %s %.2f vs %.2f%s;", kThresholdNames[k], ra, rb,
                    ok ? "" : " (over)");
      line += buf;
      g.set(std::string("outliers_") + kThresholdNames[k] + "_ratio", ratio(ra, rb));
    }
    const bool max_ok = a.max_ns <= var.goal * b.max_ns;
    met = met && max_ok;
    std::snprintf(buf, sizeof buf, " max %.1f vs %.1f us (%.2fx)%s", a.max_ns / 1e3, b.max_ns / 1e3,
                  ratio(a.max_ns, b.max_ns), max_ok ? "" : " (over)");
    line += buf;
    std::printf("goal %-11s <= %.1fx %-7s %s:%s\n", var.name, var.goal, var.floor,
                met ? "met" : "MISSED", line.c_str());
    g.set("floor", var.floor);
    g.set("goal_ratio", var.goal);
    g.set("max_ratio", ratio(a.max_ns, b.max_ns));
    g.set("met", met);
    if (!met) {
      std::string cause;
      std::snprintf(buf, sizeof buf,
                    "  cause: outliers >100us coinciding with an involuntary context switch: "
                    "%llu of %llu (%s: %llu of %llu)",
                    (unsigned long long)a.over_csw[1], (unsigned long long)a.over[1], var.floor,
                    (unsigned long long)b.over_csw[1], (unsigned long long)b.over[1]);
      cause += buf;
      std::snprintf(buf, sizeof buf, "; involuntary switches/s %.1f vs %.1f", a.nivcsw / a.seconds,
                    b.nivcsw / b.seconds);
      cause += buf;
      std::snprintf(buf, sizeof buf, "; steal %.1f vs %.1f ms/s", a.steal_ms / a.seconds,
                    b.steal_ms / b.seconds);
      cause += buf;
      std::snprintf(buf, sizeof buf, "; runnable-not-running %.2f vs %.2f ms/s",
                    a.runq_ms / a.seconds, b.runq_ms / b.seconds);
      cause += buf;
      const Result& ct = res[index_of("cyclictest")];
      if (!var.busy && ct.seconds > 0) {
        std::snprintf(buf, sizeof buf,
                      "; cyclictest (kernel timer wake-up) max %.1f us, >1ms/s %.2f",
                      ct.max_ns / 1e3, ct.rate(2));
        cause += buf;
      }
      if (sc[v] >= 0 && sc[f] >= 0) {
        std::snprintf(buf, sizeof buf, "; syscalls per round trip %.2f vs %.2f", sc[v], sc[f]);
        cause += buf;
      }
      std::printf("%s\n", cause.c_str());
      g.set("cause", cause.substr(9));
    }
    out.set(var.name, g);
  }
}

Json result_json(const Result& r, double syscalls) {
  Json j = Json::object();
  j.set("seconds", r.seconds);
  j.set("samples", r.hist.total());
  j.set("p50", r.hist.quantile(0.5));
  j.set("p99", r.hist.quantile(0.99));
  j.set("p99.9", r.hist.quantile(0.999));
  j.set("p99.99", r.hist.quantile(0.9999));
  j.set("p99.999", r.hist.quantile(0.99999));
  j.set("max", r.max_ns);
  for (size_t k = 0; k < kThresholdsNs.size(); ++k) {
    j.set(std::string("outliers") + kThresholdNames[k], r.rate(k));
    if (!r.external && k > 0)
      j.set(std::string("outliers") + kThresholdNames[k] + "_with_switch",
            r.seconds > 0 ? double(r.over_csw[k]) / r.seconds : 0);
  }
  if (!r.external) {
    j.set("involuntary_switches_per_s", r.seconds > 0 ? double(r.nivcsw) / r.seconds : 0);
    j.set("steal_ms_per_s", r.seconds > 0 ? r.steal_ms / r.seconds : 0);
    j.set("runnable_not_running_ms_per_s", r.seconds > 0 ? r.runq_ms / r.seconds : 0);
  }
  if (syscalls >= 0) j.set("syscalls_per_round_trip", syscalls);
  return j;
}

void run_condition(const char* cond, double seconds, Json& out) {
  std::vector<Result> res(kCount);
  // Interleaved slices: a burst of foreign load falls on every variant
  // alike. Under SCHED_FIFO a busy-poll slice stays under half a second and
  // is followed by a rest of one RT period, so that no variant spends the RT
  // budget (sched_rt_runtime_us) that the next one would be throttled for.
  const int reps = std::max({1, g_options.reps, g_rt.fifo ? int(std::ceil(seconds / 0.5)) : 1});
  for (int rep = 0; rep < reps; ++rep)
    for (size_t v = 0; v < kCount; ++v) {
      if (std::strcmp(kVariants[v].name, "cyclictest") == 0) continue;
      try {
        res[v].merge(kVariants[v].run(seconds / reps));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "rtipc-bench: worstcase %s: %s\n", kVariants[v].name, e.what());
        forget_child_exit();
      }
      if (g_rt.fifo && kVariants[v].busy && !g_options.smoke) rest_rt_period();
    }
  const size_t ct = index_of("cyclictest");
  if (have("cyclictest")) res[ct] = cyclictest(seconds);
  const std::vector<double> sc = syscalls_per_round();

  std::printf("\n-- %s: one-way ns (RTT/2), %.1f s per variant in %d slices --\n", cond, seconds,
              reps);
  std::printf("%-11s %10s %7s %7s %7s %8s %8s %10s %8s %8s %8s %6s %7s\n", "variant", "samples",
              "p50", "p99", "p99.9", "p99.99", "p99.999", "max", kThresholdNames[0],
              kThresholdNames[1], kThresholdNames[2], "csw/s", "sys/rt");
  Json& rows = out["variants"];
  for (size_t v = 0; v < kCount; ++v) {
    const Result& r = res[v];
    if (r.seconds <= 0) {
      std::printf("%-11s (not run: %s)\n", kVariants[v].name,
                  v == ct ? "cyclictest missing or failed (apt-get install rt-tests)" : "failed");
      continue;
    }
    char csw[16] = "-", sys[16] = "-";
    if (!r.external) std::snprintf(csw, sizeof csw, "%.1f", double(r.nivcsw) / r.seconds);
    if (sc[v] >= 0) std::snprintf(sys, sizeof sys, "%.2f", sc[v]);
    std::printf("%-11s %10llu %7.0f %7.0f %7.0f %8.0f %8.0f %10.0f %8.2f %8.2f %8.2f %6s %7s\n",
                kVariants[v].name, (unsigned long long)r.hist.total(), r.hist.quantile(0.5),
                r.hist.quantile(0.99), r.hist.quantile(0.999), r.hist.quantile(0.9999),
                r.hist.quantile(0.99999), r.max_ns, r.rate(0), r.rate(1), r.rate(2), csw, sys);
    Json j = result_json(r, sc[v]);
    j.set("what", kVariants[v].what);
    rows.set(kVariants[v].name, j);
    write_data(std::string("worstcase_") + cond + "_" + kVariants[v].name + ".dat",
               r.hist.coarse(r.seconds));
  }
  goals(res, sc, out["goals"]);
}

}  // namespace

void run_worstcase(Json& out, Figures&) {
  const double seconds = g_options.duration_s > 0 ? g_options.duration_s
                         : g_options.smoke        ? 0.3
                         : g_options.quick        ? 4
                                                  : 10;
  // Real-time spinners that hang would starve the machine: a watchdog.
  // Twice the expected time: 2 conditions of 7 variants, a rest of about a
  // second after each busy-poll slice, stress-ng's start.
  if (!g_options.smoke)
    alarm(
        unsigned(2 * (2 * (8 * seconds + 2 * std::max(5.0, std::ceil(seconds / 0.5)) + 30)) + 60));
  go_realtime(true);
  std::string rt = g_options.worst_rt ? "" : "SCHED_OTHER, no mlockall (--no-rt)";
  if (g_options.worst_rt) {
    if (g_rt.fifo) rt += "SCHED_FIFO priority " + std::to_string(g_prio);
    if (g_rt.locked) rt += std::string(rt.empty() ? "" : " + ") + "mlockall";
    if (!g_rt.why_not.empty()) rt += std::string(rt.empty() ? "" : "; ") + g_rt.why_not;
  }
  std::printf(
      "\n== worstcase: tails over equal durations (%.1f s per variant and condition); CPUs "
      "%d,%d; %s ==\n",
      seconds, g_options.cpu_a, g_options.cpu_b, rt.c_str());
  std::ifstream rt_runtime("/proc/sys/kernel/sched_rt_runtime_us");
  long runtime = 0;
  if (rt_runtime >> runtime)
    std::printf(
        "sched_rt_runtime_us %ld (RT tasks yield %s per second to the rest)\n", runtime,
        runtime < 0 ? "nothing" : (std::to_string((1000000 - runtime) / 1000) + " ms").c_str());
  const std::string load_before = loadavg();
  std::printf("load average (1 min) before the run: %s\n", load_before.c_str());
  out.set("loadavg_before", load_before);
  out.set("seconds_per_variant", seconds);
  out.set("sched_fifo", g_rt.fifo);
  out.set("mlockall", g_rt.locked);
  out.set("rt_refused", g_rt.why_not);
  out.set("sched_rt_runtime_us", runtime);
  out.set("stress_args", g_options.stress_args);

  run_condition("idle", seconds, out["idle"]);
  if (!have("stress-ng")) {
    std::printf("\n-- stress: not run, stress-ng missing (apt-get install stress-ng) --\n");
  } else {
    std::printf("\nload: stress-ng %s\n", g_options.stress_args.c_str());
    Stress load(g_options.stress_args);
    if (load.failed())
      std::printf("-- stress: not run, stress-ng exited at once --\n");
    else
      run_condition("stress", seconds, out["stress"]);
  }
  leave_realtime();
  if (!g_options.smoke) alarm(0);
  const std::string load_after = loadavg();
  std::printf("\nload average (1 min) after the run: %s\n", load_after.c_str());
  out.set("loadavg_after", load_after);
}

}  // namespace bench
