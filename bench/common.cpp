#include "common.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "rtipc/rtipc.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define BENCH_HAVE_TSC 1
#else
#define BENCH_HAVE_TSC 0
#endif

namespace bench {

Options g_options;
bool g_shared_cpu = false;

namespace {

bool g_use_tsc = false;
double g_ticks_per_ns = 1.0;

std::string read_cpuinfo_field(const std::string& field) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        auto v = line.substr(colon + 1);
        v.erase(0, v.find_first_not_of(" \t"));
        return v;
      }
    }
  }
  return "";
}

bool cpu_has_flag(const std::string& flag) {
  // Appending instead of `" " + str` keeps GCC 12's -Wrestrict false
  // positive (an inlined insert at offset 0) out of release builds.
  std::string flags(1, ' ');
  flags.append(read_cpuinfo_field("flags")).push_back(' ');
  std::string word(1, ' ');
  word.append(flag).push_back(' ');
  return flags.find(word) != std::string::npos;
}

}  // namespace

void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    std::fprintf(stderr, "rtipc-bench: cannot pin to CPU %d (%s); running unpinned\n", cpu,
                 std::strerror(errno));
    g_shared_cpu = true;
  }
}

namespace {

volatile sig_atomic_t g_peer_failed = 0;

void on_sigchld(int, siginfo_t* info, void*) {
  if (info->si_code != CLD_EXITED || info->si_status != 0) g_peer_failed = 1;
}

}  // namespace

void watch_peers() {
  struct sigaction sa {};
  sa.sa_sigaction = on_sigchld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCHLD, &sa, nullptr);
}

void forget_child_exit() {
  g_peer_failed = 0;
}

void relax() {
  if (g_peer_failed) die("the peer process failed");
  if (g_shared_cpu) {
    sched_yield();
  } else {
#if BENCH_HAVE_TSC
    _mm_pause();
#endif
  }
}

uint64_t iters(uint64_t n, uint64_t smoke_n) {
  if (g_options.smoke) return smoke_n;
  if (g_options.quick) return std::max<uint64_t>(n / 4, smoke_n);
  return n;
}

void Clock::calibrate() {
#if BENCH_HAVE_TSC
  g_use_tsc = cpu_has_flag("constant_tsc") && cpu_has_flag("nonstop_tsc");
#endif
  if (!g_use_tsc) return;
  const uint64_t span_ns = g_options.smoke ? 5'000'000 : 50'000'000;
  const uint64_t t0 = mono_ns();
  const uint64_t c0 = now();
  while (mono_ns() - t0 < span_ns) {
  }
  const uint64_t t1 = mono_ns();
  const uint64_t c1 = now();
  g_ticks_per_ns = static_cast<double>(c1 - c0) / static_cast<double>(t1 - t0);
}

uint64_t Clock::now() {
#if BENCH_HAVE_TSC
  if (g_use_tsc) {
    _mm_lfence();  // keep the read after the work it closes
    return __rdtsc();
  }
#endif
  return mono_ns();
}

double Clock::to_ns(double ticks) {
  return g_use_tsc ? ticks / g_ticks_per_ns : ticks;
}
bool Clock::uses_tsc() {
  return g_use_tsc;
}
double Clock::ticks_per_ns() {
  return g_use_tsc ? g_ticks_per_ns : 1.0;
}

uint64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

Peer::Peer(std::function<int()> fn) {
  std::fflush(nullptr);
  pid_ = fork();
  if (pid_ < 0) die("fork failed");
  if (pid_ == 0) {
    signal(SIGCHLD, SIG_DFL);
    // A spinning peer must not outlive a parent that was killed.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int status = 1;
    try {
      pin_to(g_options.cpu_b);
      status = fn();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rtipc-bench (peer): %s\n", e.what());
    }
    std::fflush(nullptr);
    _exit(status);
  }
  // Moves the child off our CPU at once: under SCHED_FIFO it could not run
  // there to move itself while we spin.
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(g_options.cpu_b, &set);
  sched_setaffinity(pid_, sizeof set, &set);
}

Peer::~Peer() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void Peer::join() {
  int status = 0;
  const pid_t pid = pid_;
  pid_ = -1;
  if (waitpid(pid, &status, 0) != pid) die("waitpid failed");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("the peer process failed");
  g_peer_failed = 0;
}

SharedMem::SharedMem(size_t size) : size_(size) {
  base_ = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (base_ == MAP_FAILED) die("mmap failed");
}

SharedMem::~SharedMem() {
  munmap(base_, size_);
}

Summary summarize(std::vector<double>& samples) {
  Summary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    const size_t i = static_cast<size_t>(std::ceil(q * double(samples.size()))) - 1;
    return samples[std::min(i, samples.size() - 1)];
  };
  double sum = 0;
  for (double v : samples) sum += v;
  s.count = samples.size();
  s.min = samples.front();
  s.mean = sum / double(samples.size());
  s.p50 = at(0.50);
  s.p90 = at(0.90);
  s.p99 = at(0.99);
  s.p999 = at(0.999);
  s.max = samples.back();
  return s;
}

Json to_json(const Summary& s) {
  Json j = Json::object();
  j.set("count", s.count);
  j.set("min", s.min);
  j.set("mean", s.mean);
  j.set("p50", s.p50);
  j.set("p90", s.p90);
  j.set("p99", s.p99);
  j.set("p99.9", s.p999);
  j.set("max", s.max);
  return j;
}

void write_data(const std::string& name, const std::string& text) {
  if (g_options.out_dir.empty()) return;
  std::ofstream out(g_options.out_dir + "/" + name);
  out << text;
  if (!out) die("cannot write " + g_options.out_dir + "/" + name);
}

void write_cdf(const std::string& name, const std::vector<double>& sorted) {
  if (g_options.out_dir.empty() || sorted.empty()) return;
  std::string text;
  const size_t n = sorted.size();
  const size_t step = std::max<size_t>(1, n / 2000);
  char buf[64];
  for (size_t i = 0; i < n; i += step) {
    std::snprintf(buf, sizeof buf, "%.2f %.6f\n", sorted[i], double(i + 1) / double(n));
    text += buf;
  }
  std::snprintf(buf, sizeof buf, "%.2f 1\n", sorted.back());
  text += buf;
  write_data(name, text);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

void die(const std::string& what) {
  throw std::runtime_error(what);
}

void check(bool ok, const std::string& what) {
  if (!ok) die(what + (errno ? std::string(": ") + std::strerror(errno) : std::string()));
}

int check_rc(int rc, const char* what) {
  if (rc < 0) die(std::string(what) + ": " + rtipc_strerror(rc));
  return rc;
}

std::string cpu_model() {
  std::string m = read_cpuinfo_field("model name");
  return m.empty() ? "unknown" : m;
}

Json machine_info() {
  Json j = Json::object();
  j.set("cpu_model", cpu_model());
  j.set("online_cpus", sysconf(_SC_NPROCESSORS_ONLN));
  j.set("cpu_mhz", read_cpuinfo_field("cpu MHz"));
  utsname u{};
  if (uname(&u) == 0) {
    j.set("kernel", std::string(u.sysname) + " " + u.release);
    j.set("arch", u.machine);
  }
  j.set("hypervisor", cpu_has_flag("hypervisor"));
  j.set("cpus_used", Json::array());
  j["cpus_used"].push(g_options.cpu_a);
  j["cpus_used"].push(g_options.cpu_b);
  j.set("clock", Clock::uses_tsc() ? "tsc" : "clock_gettime(CLOCK_MONOTONIC)");
  j.set("tsc_ticks_per_ns", Clock::ticks_per_ns());
  j.set("librtipc_version", rtipc_version());
  return j;
}

}  // namespace bench
