// rtipc-bench: librtipc beside the physical limits and the kernel.
//
//   rtipc-bench [--smoke|--quick] [--cpus A,B] [--reps N] [--out DIR] [set...]
//
// Sets: latency throughput zerocopy emptypoll determinism handshake memory
// notify wakeup stats (default: these), and worstcase (only when named:
// minutes long, with stress-ng load and SCHED_FIFO). Prints tables on stdout; with --out, writes
// DIR/results.json and the data files the plots are drawn from.
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "common.hpp"
#include "rtipc/rtipc.h"
#include "sets.hpp"

namespace bench {
namespace {

struct Set {
  const char* name;
  void (*run)(Json&, Figures&);
  bool by_default = true;  // part of a run that names no set
};

const Set kSets[] = {
    {"latency", run_latency},
    {"throughput", run_throughput},
    {"zerocopy", run_zerocopy},
    {"emptypoll", run_emptypoll},
    {"determinism", run_determinism},
    {"handshake", run_handshake},
    {"memory", run_memory},
    {"notify", run_notify},
    {"wakeup", run_wakeup},
    {"stats", run_stats},
    {"worstcase", run_worstcase, false},
};

[[noreturn]] void usage(int status) {
  if (status != 0) {
    std::fprintf(stderr,
                 "usage: rtipc-bench [--smoke|--quick] [--cpus A,B] [--reps N] [--out DIR] "
                 "[SET...] (--help for more)\n");
    std::exit(status);
  }
  std::printf(
      "usage: rtipc-bench [OPTION...] [SET...]\n"
      "\n"
      "Measures librtipc beside the physical limits of the machine and the kernel's\n"
      "own IPC (pipes, Unix sockets): each set runs two processes pinned to two CPUs\n"
      "and prints a table; speeds are ratios to a baseline measured in the same run.\n"
      "\n"
      "  --smoke        a few seconds per set: checks that everything runs, the\n"
      "                 figures mean nothing\n"
      "  --quick        a shorter full pass (3 repetitions instead of 5)\n"
      "  --cpus A,B     the two CPUs to pin the processes to (default 0,1); two\n"
      "                 distinct CPUs, or the figures are not meaningful\n"
      "  --reps N       repetitions of each measurement (default 5)\n"
      "  --duration S   worstcase: seconds per variant and condition (default 10,\n"
      "                 --quick 4)\n"
      "  --no-rt        worstcase: stay SCHED_OTHER, no mlockall\n"
      "  --stress ARGS  worstcase: the stress-ng load (default \"%s\")\n"
      "  --out DIR      also write DIR/results.json and the data files of the plots\n"
      "  -h, --help     print this help and exit\n"
      "  --version      print the library version and exit\n"
      "\n"
      "Sets (default: all but worstcase):",
      g_options.stress_args.c_str());
  for (const auto& s : kSets) std::printf(" %s", s.name);
  std::printf("\n");
  std::exit(0);
}

bool cpu_allowed(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return false;
  return cpu >= 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set);
}

std::string utc_now() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

int run(int argc, char** argv) {
  std::vector<const Set*> chosen;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--smoke") {
      g_options.smoke = true;
    } else if (a == "--quick") {
      g_options.quick = true;
    } else if (a == "--cpus" && i + 1 < argc) {
      if (std::sscanf(argv[++i], "%d,%d", &g_options.cpu_a, &g_options.cpu_b) != 2) usage(2);
    } else if (a == "--reps" && i + 1 < argc) {
      g_options.reps = std::atoi(argv[++i]);
      if (g_options.reps < 1) usage(2);
    } else if (a == "--duration" && i + 1 < argc) {
      g_options.duration_s = std::atof(argv[++i]);
      if (!(g_options.duration_s > 0)) usage(2);
    } else if (a == "--no-rt") {
      g_options.worst_rt = false;
    } else if (a == "--stress" && i + 1 < argc) {
      g_options.stress_args = argv[++i];
    } else if (a == "--out" && i + 1 < argc) {
      g_options.out_dir = argv[++i];
    } else if (a == "-h" || a == "--help") {
      usage(0);
    } else if (a == "--version") {
      std::printf("rtipc-bench (librtipc) %s\n", rtipc_version());
      return 0;
    } else if (a == "all") {
      for (const auto& s : kSets)
        if (s.by_default) chosen.push_back(&s);
    } else {
      const Set* found = nullptr;
      for (const auto& s : kSets)
        if (a == s.name) found = &s;
      if (!found) usage(2);
      chosen.push_back(found);
    }
  }
  if (chosen.empty())
    for (const auto& s : kSets)
      if (s.by_default) chosen.push_back(&s);
  if (g_options.smoke) {
    g_options.reps = 2;
    alarm(60);  // a hang is a failure, not a stuck test run
  } else if (g_options.quick && g_options.reps == 5) {
    g_options.reps = 3;
  }
  if (g_options.cpu_a == g_options.cpu_b || !cpu_allowed(g_options.cpu_a) ||
      !cpu_allowed(g_options.cpu_b)) {
    std::fprintf(stderr,
                 "rtipc-bench: CPUs %d,%d are not two distinct usable CPUs; peers "
                 "share a CPU and spin loops yield (figures are not meaningful)\n",
                 g_options.cpu_a, g_options.cpu_b);
    g_shared_cpu = true;
  }
  pin_to(g_options.cpu_a);
  watch_peers();
  Clock::calibrate();

  Json root = Json::object();
  root.set("tool", "rtipc-bench");
  root.set("timestamp_utc", utc_now());
  root.set("mode", g_options.smoke ? "smoke" : g_options.quick ? "quick" : "full");
  root.set("reps", g_options.reps);
  root.set("machine", machine_info());
  root.set("cpus_shared", g_shared_cpu);

  std::printf("rtipc-bench %s, %s run, %s\n", "(librtipc)",
              g_options.smoke   ? "smoke"
              : g_options.quick ? "quick"
                                : "full",
              utc_now().c_str());
  std::printf("machine: %s, %ld online CPUs; parent on CPU %d, peer on CPU %d; clock: %s\n",
              cpu_model().c_str(), sysconf(_SC_NPROCESSORS_ONLN), g_options.cpu_a, g_options.cpu_b,
              Clock::uses_tsc() ? "TSC" : "CLOCK_MONOTONIC");
  std::fflush(stdout);

  Figures fig;
  Json& sets = root["sets"];
  for (const Set* s : chosen) {
    s->run(sets[s->name], fig);
    std::fflush(stdout);
  }
  evaluate_targets(fig, root["targets"]);

  if (!g_options.out_dir.empty()) {
    const std::string path = g_options.out_dir + "/results.json";
    std::ofstream out(path);
    out << root.dump(2) << "\n";
    if (!out) die("cannot write " + path);
    std::printf("\nresults: %s\n", path.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  try {
    return bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rtipc-bench: %s\n", e.what());
    return 1;
  }
}
