// Memory: the shared region's size against docs/protocol.md §6.2, and the heap
// memory each side keeps privately per channel (the producer's chain copy,
// n * 4 bytes, plus fixed overhead), counted by replacing operator new.
#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include "channels.hpp"
#include "common.hpp"
#include "heap_count.hpp"
#include "sets.hpp"

#ifndef RTIPC_BENCH_CACHELINE
#define RTIPC_BENCH_CACHELINE 64
#endif

namespace bench {
namespace {

constexpr uint64_t kCL = RTIPC_BENCH_CACHELINE;

uint64_t align(uint64_t x) {
  return (x + kCL - 1) / kCL * kCL;
}

uint64_t channel_bytes(const ChannelSpec& c) {
  const uint64_t n = 3 + uint64_t{c.add_msgs};
  return align((2 + n) * 4) + n * align(c.msg_size);
}

uint64_t heap_in_use() {
  return uint64_t(heap_live_bytes());
}

struct Case {
  const char* name;
  GroupSpec spec;
};

}  // namespace

void run_memory(Json& out, Figures&) {
  const std::vector<Case> cases = {
      {"ping-pong: 1+1 x 16B +0", {{{16, 0, false}}, {{16, 0, false}}, 0}},
      {"reference: 1 x 16B +100", {{{16, 100, false}}, {}, 0}},
      {"1 x 8B +1000", {{{8, 1000, false}}, {}, 0}},
      {"1 x 64KiB +10", {{{65536, 10, false}}, {}, 0}},
      {"16+16 x 64B +100, eventfds",
       {std::vector<ChannelSpec>(16, {64, 100, true}),
        std::vector<ChannelSpec>(16, {64, 100, true}), 0}},
  };
  std::printf(
      "\n== memory: shared region (fstat of the memfd) and private heap (operator new), "
      "CL = %llu ==\n",
      (unsigned long long)kCL);
  std::printf("%-28s %11s %11s %6s %13s %13s %13s\n", "group", "region", "formula", "equal",
              "client heap", "server heap", "chain copies");
  Json& rows = out["cases"];
  for (const auto& c : cases) {
    uint64_t formula = 0, chains = 0, channels = 0;
    for (const auto& ch : c.spec.producers) {
      formula += channel_bytes(ch);
      chains += (3 + uint64_t{ch.add_msgs}) * 4;  // the client produces these
      ++channels;
    }
    for (const auto& ch : c.spec.consumers) {
      formula += channel_bytes(ch);
      ++channels;
    }
    uint64_t server_chains = 0;
    for (const auto& ch : c.spec.consumers) server_chains += (3 + uint64_t{ch.add_msgs}) * 4;

    // The client: group, then every channel taken out, group destroyed (what
    // an application keeps).
    const uint64_t h0 = heap_in_use();
    GroupPtr client = create_group(c.spec);
    std::vector<int> fds(size_t(check_rc(rtipc_group_fds(client.get(), nullptr, 0), "fds")));
    check_rc(rtipc_group_fds(client.get(), fds.data(), fds.size()), "rtipc_group_fds");
    struct stat st {};
    check(fstat(fds[0], &st) == 0, "fstat");
    GroupPtr server = adopt_locally(client.get());  // before taking, for the request
    std::vector<ProducerPtr> cp, sp;
    std::vector<ConsumerPtr> cc, sc;
    const uint64_t h1 = heap_in_use();
    for (uint32_t i = 0; i < c.spec.producers.size(); ++i) {
      cp.push_back(take_producer(client.get(), i));
      sc.push_back(take_consumer(server.get(), i));
    }
    for (uint32_t i = 0; i < c.spec.consumers.size(); ++i) {
      cc.push_back(take_consumer(client.get(), i));
      sp.push_back(take_producer(server.get(), i));
    }
    client.reset();
    server.reset();
    const uint64_t h2 = heap_in_use();
    // Both sides live in this process: split what is left by tearing down one
    // side and measuring what it gave back.
    cp.clear();
    cc.clear();
    const uint64_t h3 = heap_in_use();
    const uint64_t client_heap = h2 - h3;
    const uint64_t server_heap = h3 - h0;
    sp.clear();
    sc.clear();
    (void)h1;
    const bool equal = uint64_t(st.st_size) == formula;
    std::printf("%-28s %11llu %11llu %6s %13llu %13llu %6llu+%-6llu\n", c.name,
                (unsigned long long)st.st_size, (unsigned long long)formula, equal ? "yes" : "NO",
                (unsigned long long)client_heap, (unsigned long long)server_heap,
                (unsigned long long)chains, (unsigned long long)server_chains);
    Json j = Json::object();
    j.set("name", c.name);
    j.set("channels", channels);
    j.set("region_bytes", uint64_t(st.st_size));
    j.set("formula_bytes", formula);
    j.set("client_heap_bytes", client_heap);
    j.set("server_heap_bytes", server_heap);
    j.set("client_chain_copy_bytes", chains);
    j.set("server_chain_copy_bytes", server_chains);
    rows.push(j);
  }
  std::printf(
      "(heap: what each side keeps once its channels are taken and the group handle is "
      "destroyed; chain copies: n*4 per produced channel, client+server)\n");
}

}  // namespace bench
