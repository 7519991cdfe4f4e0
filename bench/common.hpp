// What every benchmark set shares: options, CPU pinning, the clock, forked
// peers, shared scratch memory and statistics.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "json.hpp"

namespace bench {

struct Options {
  int cpu_a = 0;        // the parent process (ping side, consumer of streams)
  int cpu_b = 1;        // the forked peer
  bool smoke = false;   // seconds-long run that only checks the code paths
  bool quick = false;   // fewer repetitions, shorter runs
  int reps = 5;         // repetitions; variants are interleaved inside each
  std::string out_dir;  // where data files for plots go ("" = none)
  // The worstcase set: seconds per variant and condition (0: its default),
  // SCHED_FIFO + mlockall when permitted, and the stress-ng load.
  double duration_s = 0;
  bool worst_rt = true;
  std::string stress_args = "--cpu 0 --vm 1 --vm-bytes 64M --pipe 1 -q";
};

extern Options g_options;

// True when both processes end up on one CPU (a 1-CPU machine or pinning
// failed): spin loops then yield, so that the peer can run at all.
extern bool g_shared_cpu;

// Pins the calling process to cpu; on failure warns and sets g_shared_cpu.
void pin_to(int cpu);

// The pause a spin loop takes between two polls. Throws once a peer has
// died, so that a spin loop waiting for it ends.
void relax();
// Installs the SIGCHLD handler relax() relies on; call once at start.
void watch_peers();
// Forgets the exit of a child that was not a peer (a load generator, a tool).
void forget_child_exit();

// Scales an iteration count: full runs use n, --quick n/4, --smoke a few.
uint64_t iters(uint64_t n, uint64_t smoke_n = 200);

// Time stamps: the TSC when it is invariant, else CLOCK_MONOTONIC.
class Clock {
 public:
  static void calibrate();
  static uint64_t now();  // ticks
  static double to_ns(double ticks);
  static bool uses_tsc();
  static double ticks_per_ns();
};

// CLOCK_MONOTONIC in ns (vDSO).
uint64_t mono_ns();

// A child process running fn pinned to cpu_b; fn's return value is its exit
// status. The destructor kills and reaps a child that was not joined. A
// parent that talks to the child over a socket closes the child's end after
// constructing the Peer, so that a dead child reads as end of file.
class Peer {
 public:
  explicit Peer(std::function<int()> fn);
  ~Peer();
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;
  // Waits for the child; throws when it failed.
  void join();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// Anonymous MAP_SHARED memory, inherited by forked peers.
class SharedMem {
 public:
  explicit SharedMem(size_t size);
  ~SharedMem();
  SharedMem(const SharedMem&) = delete;
  SharedMem& operator=(const SharedMem&) = delete;
  template <typename T>
  T* as() const {
    return static_cast<T*>(base_);
  }

 private:
  void* base_;
  size_t size_;
};

struct Summary {
  uint64_t count = 0;
  double min = 0, mean = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};

// Sorts samples in place.
Summary summarize(std::vector<double>& samples);
Json to_json(const Summary& s);

// Writes "value fraction" lines of the empirical CDF (at most ~2000 points)
// of sorted samples to out_dir/name, when an out_dir was given.
void write_cdf(const std::string& name, const std::vector<double>& sorted);
// Writes text to out_dir/name, when an out_dir was given.
void write_data(const std::string& name, const std::string& text);

// Times `batches` runs of body(batch) (which makes `batch` calls) and
// returns ns per call of each run. Short runs make the median robust
// against preemption on a shared machine.
template <typename Body>
std::vector<double> per_call_ns(uint64_t batches, uint64_t batch, Body&& body);

// The median of a few values (per-repetition figures).
double median(std::vector<double> v);

[[noreturn]] void die(const std::string& what);
void check(bool ok, const std::string& what);
// check() for a librtipc return code.
int check_rc(int rc, const char* what);

// Machine facts for the report.
Json machine_info();
std::string cpu_model();

template <typename Body>
std::vector<double> per_call_ns(uint64_t batches, uint64_t batch, Body&& body) {
  std::vector<double> out(batches);
  for (uint64_t b = 0; b < batches; ++b) {
    const uint64_t t0 = Clock::now();
    body(batch);
    const uint64_t t1 = Clock::now();
    out[b] = Clock::to_ns(double(t1 - t0)) / double(batch);
  }
  return out;
}

}  // namespace bench
