// The speed claims librtipc is held to, checked against what this run
// measured. Never asserted in tests: a shared VM can miss them for reasons
// that are not the library's.
#include <cstdio>
#include <string>

#include "sets.hpp"

namespace bench {
namespace {

struct Target {
  const char* name;
  const char* numerator;
  const char* denominator;  // nullptr: compare the numerator itself
  double limit;
  const char* unit;
};

const Target kTargets[] = {
    {"one-way p50 <= 2x the cache-line one-way limit", "latency.rtipc-poll.p50",
     "latency.cacheline-2.p50", 2.0, "x"},
    {"one-way p99.9 <= 10x p50", "latency.rtipc-poll.p99.9", "latency.rtipc-poll.p50", 10.0, "x"},
    {"zero copy: 64 KiB within 1.25x of 8 B (1 CPU)", "zerocopy.local.65536", "zerocopy.local.8",
     1.25, "x"},
    {"zero copy: 64 KiB within 1.25x of 8 B (2 processes)", "zerocopy.stream.65536",
     "zerocopy.stream.8", 1.25, "x"},
    {"zero copy: 64 KiB within 1.25x of 8 B (2 proc., 1st word)", "zerocopy.first_word.65536",
     "zerocopy.first_word.8", 1.25, "x"},
    {"empty poll < 5 ns", "emptypoll.ns", nullptr, 5.0, "ns"},
    {"blocking wait round trip within 1.2x of raw eventfd", "latency.rtipc-wait.p50",
     "latency.eventfd.p50", 1.2, "x"},
    {"consume p99 with producer flat out within 2x of idle", "determinism.busy.p99",
     "determinism.idle.p99", 2.0, "x"},
};

}  // namespace

void evaluate_targets(const Figures& fig, Json& out) {
  bool header = false;
  for (const auto& t : kTargets) {
    auto num = fig.find(t.numerator);
    auto den = t.denominator ? fig.find(t.denominator) : fig.end();
    if (num == fig.end() || (t.denominator && den == fig.end())) continue;
    if (!header) {
      std::printf("\n== targets ==\n");
      header = true;
    }
    const double value = t.denominator ? num->second / den->second : num->second;
    const bool met = value <= t.limit;
    std::printf("%-58s %8.2f %-2s (limit %.2f)  %s\n", t.name, value, t.unit, t.limit,
                met ? "met" : "MISSED");
    Json j = Json::object();
    j.set("target", t.name);
    j.set("value", value);
    j.set("unit", t.unit);
    j.set("limit", t.limit);
    j.set("met", met);
    out.push(j);
  }
}

}  // namespace bench
