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
  int bad = 0;
  auto ns = per_call_ns(n / 1000, 1000, [&](uint64_t k) {
    for (uint64_t i = 0; i < k; ++i) {
      bad |= rtipc_produce(p.get(), RTIPC_PRODUCE_FORCE) != RTIPC_PUBLISHED;
      bad |= rtipc_consume(c.get(), RTIPC_CONSUME_NEXT) != RTIPC_NEW;
    }
  });
  if (bad) die("zero-copy pair: unexpected result");
  return median(ns);  // the median batch of 1000 pairs
}

}  // namespace

void run_zerocopy(Json& out, Figures& fig) {
  const uint64_t n_local = iters(2'000'000, 2000);
  const uint64_t n_stream = iters(200'000, 2000);
  std::vector<std::vector<double>> local(kSizes.size()), stream(kSizes.size()),
      header(kSizes.size());
  for (int rep = 0; rep < g_options.reps; ++rep) {
    for (size_t i = 0; i < kSizes.size(); ++i) {
      local[i].push_back(local_pair_ns(kSizes[i], n_local));
      stream[i].push_back(rtipc_stream({false, kSizes[i], 100, n_stream, Touch::kNone}).window_ns);
      header[i].push_back(
          rtipc_stream({false, kSizes[i], 100, n_stream, Touch::kFirstWord}).window_ns);
    }
  }
  std::printf(
      "\n== zero copy: payload untouched, ns per message; %d reps interleaved, medians ==\n",
      g_options.reps);
  std::printf("%9s %22s %8s %22s %8s %22s %8s\n", "size", "produce+consume (1 CPU)", "vs 8B",
              "2-proc, untouched*", "vs 8B", "2-proc, 1st word only*", "vs 8B");
  std::printf(
      "(1 CPU: median batch of 1000 pairs; *: ns per message in the median window of "
      "%llu receptions)\n",
      (unsigned long long)kWindow);
  std::string dat = "# size local_pair_ns stream_untouched_ns stream_first_word_ns\n";
  Json& rows = out["sizes"];
  const double l8 = median(local[0]), s8 = median(stream[0]), h8 = median(header[0]);
  for (size_t i = 0; i < kSizes.size(); ++i) {
    const double l = median(local[i]), s = median(stream[i]), h = median(header[i]);
    std::printf("%9u %22.2f %8.2f %22.2f %8.2f %22.2f %8.2f\n", kSizes[i], l, l / l8, s, s / s8, h,
                h / h8);
    Json j = Json::object();
    j.set("msg_size", kSizes[i]);
    j.set("local_pair_ns", l);
    j.set("stream_untouched_ns_per_msg", s);
    j.set("stream_first_word_ns_per_msg", h);
    Json lr = Json::array(), sr = Json::array(), hr = Json::array();
    for (double v : local[i]) lr.push(v);
    for (double v : stream[i]) sr.push(v);
    for (double v : header[i]) hr.push(v);
    j.set("local_pair_ns_reps", lr);
    j.set("stream_untouched_ns_reps", sr);
    j.set("stream_first_word_ns_reps", hr);
    rows.push(j);
    dat += std::to_string(kSizes[i]) + " " + std::to_string(l) + " " + std::to_string(s) + " " +
           std::to_string(h) + "\n";
  }
  write_data("zerocopy_size.dat", dat);
  fig["zerocopy.local.8"] = l8;
  fig["zerocopy.local.65536"] = median(local.back());
  fig["zerocopy.stream.8"] = s8;
  fig["zerocopy.stream.65536"] = median(stream.back());
  fig["zerocopy.first_word.8"] = h8;
  fig["zerocopy.first_word.65536"] = median(header.back());
  out.set("pairs_per_rep", n_local);
  out.set("stream_msgs_per_rep", n_stream);
}

}  // namespace bench
