// Streaming throughput: librtipc in force and try modes over message sizes
// and queue depths, beside a minimal SPSC ring (the physical limit for
// 16-byte messages) and the rtipc reference workload.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "common.hpp"
#include "sets.hpp"
#include "stream.hpp"

namespace bench {
namespace {

struct Config {
  std::string name;
  bool ring;  // the minimal SPSC ring instead of librtipc
  StreamConfig stream;
};

uint64_t count_for(uint32_t size, uint64_t cap) {
  return std::clamp<uint64_t>((256ull << 20) / size, 4000, cap);
}

std::vector<Config> configs() {
  std::vector<Config> out;
  const uint64_t base = iters(1'000'000, 2000);
  out.push_back({"ring 16B n=103", true, {false, 16, 100, base, Touch::kAll}});
  out.push_back(
      {"reference: force 16B +100", false, {true, 16, 100, iters(10'000'000, 2000), Touch::kAll}});
  out.push_back({"try 16B +100", false, {false, 16, 100, base, Touch::kAll}});
  for (uint32_t add : {0u, 10u, 1000u})
    for (bool force : {true, false})
      out.push_back({std::string(force ? "force" : "try") + " 16B +" + std::to_string(add),
                     false,
                     {force, 16, add, base, Touch::kAll}});
  for (uint32_t size : {8u, 64u, 512u, 4096u, 65536u})
    for (bool force : {true, false})
      out.push_back({std::string(force ? "force " : "try ") + std::to_string(size) + "B +100",
                     false,
                     {force, size, 100, iters(count_for(size, 1'000'000), 2000), Touch::kAll}});
  return out;
}

}  // namespace

void run_throughput(Json& out, Figures& fig) {
  const auto cfgs = configs();
  const int reps = std::min(g_options.reps, 3);
  std::vector<std::vector<StreamResult>> results(cfgs.size());
  for (int rep = 0; rep < reps; ++rep)
    for (size_t i = 0; i < cfgs.size(); ++i)
      results[i].push_back(cfgs[i].ring ? ring_stream(103, cfgs[i].stream.count)
                                        : rtipc_stream(cfgs[i].stream));

  std::printf(
      "\n== throughput: one-way stream, producer on CPU %d, consumer on CPU %d; "
      "%d reps interleaved, medians ==\n",
      g_options.cpu_b, g_options.cpu_a, reps);
  std::printf(
      "(producer writes every byte, consumer reads every byte; 'sent' = messages "
      "pushed per second, 'got' = messages received per second)\n");
  std::printf(
      "(ns/got win: ns per received message in the median window of %llu receptions, "
      "robust to preemption)\n",
      (unsigned long long)kWindow);
  std::printf("%-27s %9s %10s %10s %10s %9s %11s %9s %9s\n", "config", "count", "sent M/s",
              "got M/s", "got MB/s", "ns/sent", "ns/got win", "discard", "full/msg");
  std::string size_dat = "# size force_ns_per_received try_ns_per_received (median windows)\n";
  Json& cj = out["configs"];
  for (size_t i = 0; i < cfgs.size(); ++i) {
    const auto& c = cfgs[i];
    std::vector<double> sent, got, discard, full, gaps, win;
    for (const auto& r : results[i]) {
      sent.push_back(double(c.stream.count) / r.seconds);
      got.push_back(double(r.received) / r.seconds);
      discard.push_back(1.0 - double(r.received) / double(c.stream.count));
      full.push_back(double(r.full) / double(c.stream.count));
      gaps.push_back(double(r.gaps));
      win.push_back(r.window_ns);
    }
    const double s = median(sent), g = median(got), d = median(discard), f = median(full);
    const double w = median(win);
    std::printf("%-27s %9llu %10.2f %10.2f %10.1f %9.1f %11.1f %8.1f%% %9.2f\n", c.name.c_str(),
                (unsigned long long)c.stream.count, s / 1e6, g / 1e6, g * c.stream.size / 1e6,
                1e9 / s, w, d * 100, f);
    Json j = Json::object();
    j.set("name", c.name);
    j.set("mechanism", c.ring ? "minimal SPSC ring" : "librtipc");
    j.set("mode", c.ring ? "never overwrites" : (c.stream.force ? "force" : "try"));
    j.set("msg_size", c.stream.size);
    j.set("add_msgs", c.stream.add_msgs);
    j.set("count", c.stream.count);
    j.set("sent_per_s", s);
    j.set("received_per_s", g);
    j.set("received_bytes_per_s", g * c.stream.size);
    j.set("received_window_ns_per_msg", w);
    j.set("discard_ratio", d);
    j.set("full_retries_per_msg", f);
    Json reps_j = Json::array();
    for (size_t k = 0; k < sent.size(); ++k) {
      Json r = Json::object();
      r.set("sent_per_s", sent[k]);
      r.set("received_per_s", got[k]);
      r.set("discard_ratio", discard[k]);
      r.set("gap_reports", gaps[k]);
      r.set("received_window_ns_per_msg", win[k]);
      reps_j.push(r);
    }
    j.set("reps", reps_j);
    cj.push(j);
    if (c.ring) fig["throughput.ring16.window_ns"] = w;
    if (c.name == "try 16B +100") fig["throughput.try16.window_ns"] = w;
    if (c.name.rfind("reference", 0) == 0) fig["throughput.reference.per_s"] = s;
  }
  // Cost against size, for the plot.
  for (uint32_t size : {8u, 64u, 512u, 4096u, 65536u}) {
    double fns = 0, tns = 0;
    for (size_t i = 0; i < cfgs.size(); ++i) {
      if (cfgs[i].ring || cfgs[i].stream.size != size || cfgs[i].stream.add_msgs != 100) continue;
      std::vector<double> win;
      for (const auto& r : results[i]) win.push_back(r.window_ns);
      (cfgs[i].stream.force ? fns : tns) = median(win);
    }
    size_dat += std::to_string(size) + " " + std::to_string(fns) + " " + std::to_string(tns) + "\n";
  }
  write_data("throughput_size.dat", size_dat);
  out.set("reps", reps);
}

}  // namespace bench
