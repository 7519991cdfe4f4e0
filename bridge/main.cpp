// rtipc-bridge: carries rtipc channels between hosts over Cyclone DDS.
// See rtipc-bridge(1).
#include <dds/version.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>

#include "bridge.hpp"
#include "dds_side.hpp"
#include "log.hpp"
#include "options.hpp"

namespace {

enum { kExitOk = 0, kExitFailed = 1, kExitUsage = 2 };

void print_check(const bridge::Invocation& inv) {
  const bridge::Options& o = inv.options;
  std::printf("mode %s, socket %s\n",
              o.mode == bridge::Options::Mode::kServer ? "server" : "client", o.socket.c_str());
  std::printf("domain %u, partition '%s', interface '%s'\n", o.domain, o.partition.c_str(),
              o.interface.c_str());
  for (const auto& c : o.channels)
    std::printf("channel %s: %s, %u bytes, %u slots, push=%s -> DDS topic %s\n", c.topic.c_str(),
                c.direction == bridge::Direction::kToApp ? "to-app" : "from-app", c.size, c.slots,
                c.push == bridge::Push::kTry ? "try" : "force",
                bridge::dds_topic_name(c.topic, c.size).c_str());
  std::printf("security %s\n", o.security.enabled() ? "on" : "off");
  std::printf("cyclone dds %s\n", DDS_VERSION);
  std::printf("cyclone config %s\n", bridge::dds_domain_config(o).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  bridge::Invocation inv;
  std::string error;
  if (!bridge::parse_invocation(argc, argv, &inv, &error)) {
    std::fprintf(stderr, "rtipc-bridge: %s\n", error.c_str());
    std::fprintf(stderr,
                 "usage: rtipc-bridge [-c FILE] (--listen SOCKET | --connect SOCKET) "
                 "[OPTION...] (--help for more)\n");
    return kExitUsage;
  }
  if (inv.help) {
    bridge::print_help();
    return kExitOk;
  }
  if (inv.version) {
    // The line every rtipc program prints; Cyclone's version is in --check.
    std::printf("rtipc-bridge (librtipc) %s\n", rtipc_version());
    return kExitOk;
  }
  if (inv.check) {
    print_check(inv);
    return kExitOk;
  }

  // Signals arrive through a signalfd in the loop. Blocked before DDS
  // starts its threads, which inherit the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    bridge::log("signalfd: %s", std::strerror(errno));
    return kExitFailed;
  }
  // Library warnings (a hostile peer, a fallback) belong in the log too.
  rtipc_set_log(nullptr, nullptr, RTIPC_LOG_WARNING);

  int status;
  {
    bridge::Bridge b(inv.options);
    std::string why = b.open(sfd);
    if (!why.empty()) {
      bridge::log("%s", why.c_str());
      status = kExitFailed;
    } else {
      status = b.run();
    }
  }
  close(sfd);
  bridge::log("stopped");
  return status;
}
