// Zero copy: the cost of passing a message whose payload nobody touches
// should not depend on its size. Measured in one process (produce + consume
// on one CPU, both ends of one channel) and as a two-process stream.
#include <cstdio>
#include <string>
#include <vector>

#include "channels.hpp"
#include "common.hpp"
#include "sets.hpp"
#include "stream.hpp"

namespace bench {
namespace {

const std::vector<uint32_t> kSizes = {8, 64, 512, 4096, 16384, 65536};

// ns per produce + consume pair, payload untouched.
double local_pair_ns(uint32_t size, uint64_t n) {
  GroupPtr client = create_group(GroupSpec{{ChannelSpec{size, 100, false}}, {}, 0});
  GroupPtr server = adopt_locally(client.get());
  auto p = take_producer(client.get(), 0);
  auto c = take_consumer(server.get(), 0);
  for (uint64_t i = 0; i < 1000; ++i) {  // warm up, and leave the consumer holding a slot
    rtipc_produce(p.get(), RTIPC_PRODUCE_FORCE);
    rtipc_consume(c.get(), RTIPC_CONSUME_NEXT);
  }
  const uint64_t t0 = Clock::now();
  int bad = 0;
  for (uint64_t i = 0; i < n; ++i) {
    bad |= rtipc_produce(p.get(), RTIPC_PRODUCE_FORCE) != RTIPC_PUBLISHED;
    bad |= rtipc_consume(c.get(), RTIPC_CONSUME_NEXT) != RTIPC_NEW;
  }
  const uint64_t t1 = Clock::now();
  if (bad) die("zero-copy pair: unexpected result");
  return Clock::to_ns(double(t1 - t0)) / double(n);
}

}  // namespace

void run_zerocopy(Json& out, Figures& fig) {
  const uint64_t n_local = iters(2'000'000, 2000);
  const uint64_t n_stream = iters(1'000'000, 2000);
  std::vector<std::vector<double>> local(kSizes.size()), stream(kSizes.size());
  for (int rep = 0; rep < g_options.reps; ++rep) {
    for (size_t i = 0; i < kSizes.size(); ++i) {
      local[i].push_back(local_pair_ns(kSizes[i], n_local));
      StreamConfig sc{false, kSizes[i], 100, n_stream, false};
      const StreamResult r = rtipc_stream(sc);
      stream[i].push_back(r.seconds * 1e9 / double(n_stream));
    }
  }
  std::printf("\n== zero copy: payload untouched, ns per message; %d reps interleaved, medians ==\n",
              g_options.reps);
  std::printf("%9s %22s %8s %24s %8s\n", "size", "produce+consume (1 CPU)", "vs 8B",
              "2-process stream (try)", "vs 8B");
  std::string dat = "# size local_pair_ns stream_ns\n";
  Json& rows = out["sizes"];
  const double l8 = median(local[0]), s8 = median(stream[0]);
  for (size_t i = 0; i < kSizes.size(); ++i) {
    const double l = median(local[i]), s = median(stream[i]);
    std::printf("%9u %22.2f %8.2f %24.2f %8.2f\n", kSizes[i], l, l / l8, s, s / s8);
    Json j = Json::object();
    j.set("msg_size", kSizes[i]);
    j.set("local_pair_ns", l);
    j.set("stream_ns_per_msg", s);
    Json lr = Json::array(), sr = Json::array();
    for (double v : local[i]) lr.push(v);
    for (double v : stream[i]) sr.push(v);
    j.set("local_pair_ns_reps", lr);
    j.set("stream_ns_reps", sr);
    rows.push(j);
    dat += std::to_string(kSizes[i]) + " " + std::to_string(l) + " " + std::to_string(s) + "\n";
  }
  write_data("zerocopy_size.dat", dat);
  fig["zerocopy.local.8"] = l8;
  fig["zerocopy.local.65536"] = median(local.back());
  fig["zerocopy.stream.8"] = s8;
  fig["zerocopy.stream.65536"] = median(stream.back());
  out.set("pairs_per_rep", n_local);
  out.set("stream_msgs_per_rep", n_stream);
}

}  // namespace bench
