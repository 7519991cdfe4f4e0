// Handshake: connect + accept over a Unix socket path, per second and per
// connection. The socket-path API may be missing from the library this
// program runs against; its symbols are weak here, so the set reports
// "unavailable" instead of failing to link.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "channels.hpp"
#include "common.hpp"
#include "sets.hpp"

#pragma weak rtipc_server_create
#pragma weak rtipc_server_accept
#pragma weak rtipc_server_destroy
#pragma weak rtipc_client_connect

namespace bench {
namespace {

bool available() {
  return rtipc_server_create != nullptr && rtipc_server_accept != nullptr &&
         rtipc_server_destroy != nullptr && rtipc_client_connect != nullptr;
}

// Connection latencies (ns) of n handshakes against a forked server.
std::vector<double> handshakes(const std::string& path, uint64_t n, double* seconds) {
  SocketPair sp;
  Peer peer([&] {
    sp.close_parent();
    rtipc_server* server = nullptr;
    check_rc(rtipc_server_create(path.c_str(), nullptr, &server), "rtipc_server_create");
    send_token(sp.child);
    int rc = 0;
    for (uint64_t i = 0; i < n && rc == 0; ++i) {
      rtipc_group* g = nullptr;
      rc = rtipc_server_accept(server, 5000, &g);
      rtipc_group_destroy(g);
    }
    rtipc_server_destroy(server);
    check_rc(rc, "rtipc_server_accept");
    return 0;
  });
  sp.close_child();
  receive_token(sp.parent);
  rtipc_channel_config ch = RTIPC_CHANNEL_CONFIG_INIT;
  ch.msg_size = 16;
  ch.flags = RTIPC_CHANNEL_EVENTFD;
  rtipc_group_config cfg = RTIPC_GROUP_CONFIG_INIT;
  cfg.producers = &ch;
  cfg.consumers = &ch;
  cfg.producer_count = 1;
  cfg.consumer_count = 1;
  std::vector<double> ns(n);
  const uint64_t start = mono_ns();
  for (uint64_t i = 0; i < n; ++i) {
    rtipc_group* g = nullptr;
    const uint64_t t0 = Clock::now();
    check_rc(rtipc_client_connect(path.c_str(), &cfg, 5000, &g), "rtipc_client_connect");
    ns[i] = Clock::to_ns(double(Clock::now() - t0));
    rtipc_group_destroy(g);
  }
  *seconds = double(mono_ns() - start) / 1e9;
  peer.join();
  return ns;
}

}  // namespace

void run_handshake(Json& out, Figures& fig) {
  std::printf("\n== handshake: rtipc_client_connect + rtipc_server_accept over a socket path ==\n");
  if (!available()) {
    std::printf("unavailable: this librtipc has no socket-path handshake yet\n");
    out.set("available", false);
    return;
  }
  const std::string path = "/tmp/rtipc-bench-" + std::to_string(getpid()) + ".sock";
  const uint64_t n = iters(5000, 50);
  std::vector<double> all, rates;
  for (int rep = 0; rep < g_options.reps; ++rep) {
    double seconds = 0;
    auto ns = handshakes(path, n, &seconds);
    all.insert(all.end(), ns.begin(), ns.end());
    rates.push_back(double(n) / seconds);
  }
  Summary s = summarize(all);
  const double rate = median(rates);
  std::printf(
      "group: 1 channel each way, 16 B, 3 slots, eventfds; client on CPU %d, server on "
      "CPU %d; %d reps\n",
      g_options.cpu_a, g_options.cpu_b, g_options.reps);
  std::printf(
      "%.0f handshakes/s (median of reps); client-side latency, us: p50 %.1f  p90 %.1f  "
      "p99 %.1f  p99.9 %.1f  max %.1f\n",
      rate, s.p50 / 1e3, s.p90 / 1e3, s.p99 / 1e3, s.p999 / 1e3, s.max / 1e3);
  out.set("available", true);
  out.set("handshakes_per_rep", n);
  out.set("per_s", rate);
  out.set("latency_ns", to_json(s));
  fig["handshake.per_s"] = rate;
}

}  // namespace bench
