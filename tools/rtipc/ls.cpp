// rtipc ls: every rtipc group on the host.
#include <getopt.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "commands.hpp"
#include "host.hpp"
#include "output.hpp"

namespace rtipc_tool {
namespace {

std::string counters_json(const rtipc_stats_counters& c) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "{\"produced\": %llu, \"discarded\": %llu, \"full\": %llu, \"consumed\": %llu, "
                "\"gaps\": %llu, \"waits\": %llu, \"wakeups\": %llu, \"last_ns\": %llu}",
                (unsigned long long)c.produced, (unsigned long long)c.discarded,
                (unsigned long long)c.full, (unsigned long long)c.consumed,
                (unsigned long long)c.gaps, (unsigned long long)c.waits,
                (unsigned long long)c.wakeups, (unsigned long long)c.last_ns);
  return buf;
}

std::string channel_json(const rtipc_stats_record& c) {
  return "{\"direction\": \"" + std::string(direction(c)) +
         "\", \"index\": " + std::to_string(c.index) +
         ", \"msg_size\": " + std::to_string(c.msg_size) +
         ", \"slots\": " + std::to_string(c.slots) +
         ", \"eventfd\": " + (c.eventfd ? "true" : "false") +
         ", \"info\": " + json_string(info_text(c)) +
         ", \"info_size\": " + std::to_string(c.info_size) +
         ", \"counters\": " + counters_json(c.counters) + "}";
}

// The group's description: from its record, or from a channel's when the
// group itself is gone.
const rtipc_stats_record& describe(const GroupView& g) {
  return g.have_record || g.channels.empty() ? g.group : g.channels.front();
}

void print_json(const HostView& host) {
  std::string out = "{\"processes\": [";
  for (size_t i = 0; i < host.processes.size(); ++i) {
    const ProcessView& v = host.processes[i];
    const bool full = v.has_page && v.page_error == 0;
    out += std::string(i ? ", " : "") + "{\"pid\": " + std::to_string(v.proc.pid) +
           ", \"comm\": " + json_string(v.proc.comm) + ", \"uid\": " + std::to_string(v.proc.uid) +
           ", \"stats\": " + (full ? "true" : "false") + ", \"sockets\": [";
    for (size_t s = 0; s < v.proc.sockets.size(); ++s)
      out += (s ? ", " : "") + json_string(v.proc.sockets[s]);
    out += "], \"groups\": [";
    for (size_t gi = 0; gi < v.groups.size(); ++gi) {
      const GroupView& g = v.groups[gi];
      const rtipc_stats_record& d = describe(g);
      out += std::string(gi ? ", " : "") + "{\"serial\": " + std::to_string(g.serial) +
             ", \"role\": \"" + role_name(d.role) +
             "\", \"socket\": " + json_string(d.socket_path) +
             ", \"peer_pid\": " + std::to_string(d.peer_pid) +
             ", \"cacheline\": " + std::to_string(d.cacheline) +
             ", \"region_size\": " + std::to_string(d.region_size) +
             ", \"info\": " + (g.have_record ? json_string(info_text(g.group)) : "null") +
             ", \"channels\": [";
      for (size_t c = 0; c < g.channels.size(); ++c)
        out += (c ? ", " : "") + channel_json(g.channels[c]);
      out += "]}";
    }
    out += "], \"regions\": [";
    for (size_t r = 0; r < v.regions.size(); ++r)
      out += std::string(r ? ", " : "") + "{\"fd\": " + std::to_string(v.regions[r].first) +
             ", \"size\": " + std::to_string(v.regions[r].second) + "}";
    out += "]}";
  }
  out += "], \"hidden\": [";
  for (size_t i = 0; i < host.hidden.size(); ++i)
    out += std::string(i ? ", " : "") + "{\"pid\": " + std::to_string(host.hidden[i].pid) +
           ", \"uid\": " + std::to_string(host.hidden[i].uid) +
           ", \"comm\": " + json_string(host.hidden[i].comm) + "}";
  out += "]}\n";
  std::fputs(out.c_str(), stdout);
}

void print_table(const HostView& host) {
  Table t({"PID", "COMM", "ROLE", "SOCKET", "PEER", "GROUP", "CH", "MSG", "SLOTS", "EVFD",
           "PRODUCED", "DISCARDED", "FULL", "CONSUMED", "GAPS", "INFO"});
  for (const ProcessView& v : host.processes) {
    const std::string pid = std::to_string(v.proc.pid);
    if (!v.has_page || v.page_error < 0) {
      // Another implementation, or librtipc with RTIPC_STATS=0: what /proc tells.
      std::string sockets;
      for (const auto& s : v.proc.sockets) sockets += (sockets.empty() ? "" : ",") + s;
      std::string regions = std::to_string(v.regions.size()) + " region(s):";
      for (const auto& [fd, size] : v.regions)
        regions += " fd " + std::to_string(fd) + " " + std::to_string(size) + "B";
      t.add({pid, v.proc.comm, "-", sockets.empty() ? "-" : sockets, "-", "-", "-", "-", "-", "-",
             "-", "-", "-", "-", "-", "(no stats page) " + regions});
      continue;
    }
    for (const GroupView& g : v.groups) {
      const rtipc_stats_record& d = describe(g);
      const std::string sock = d.socket_path[0] ? d.socket_path : "-";
      const std::string peer = d.peer_pid ? std::to_string(d.peer_pid) : "-";
      for (const auto& c : g.channels) {
        const bool out = c.kind == RTIPC_STATS_PRODUCER;
        t.add({pid, v.proc.comm, role_name(d.role), sock, peer, std::to_string(g.serial),
               std::string(direction(c)) + std::to_string(c.index), std::to_string(c.msg_size),
               std::to_string(c.slots), c.eventfd ? "yes" : "no",
               out ? std::to_string(c.counters.produced) : "-",
               out ? std::to_string(c.counters.discarded) : "-",
               out ? std::to_string(c.counters.full) : "-",
               out ? "-" : std::to_string(c.counters.consumed),
               out ? "-" : std::to_string(c.counters.gaps), info_text(c)});
      }
    }
  }
  t.print(stdout);
  if (!host.hidden.empty())
    std::printf("%zu process(es) hidden: not inspectable by uid %u (run as their user or root)\n",
                host.hidden.size(), unsigned(::getuid()));
}

}  // namespace

int cmd_ls(int argc, char** argv) {
  bool json = false;
  std::vector<pid_t> pids;
  static const option longs[] = {{"json", no_argument, nullptr, 'j'},
                                 {"pid", required_argument, nullptr, 'p'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {}};
  optind = 1;
  for (int o; (o = getopt_long(argc, argv, "jp:h", longs, nullptr)) != -1;) {
    pid_t pid;
    switch (o) {
      case 'j':
        json = true;
        break;
      case 'p':
        if (!parse_pid(optarg, &pid)) {
          std::fprintf(stderr, "rtipc ls: bad pid '%s'\n", optarg);
          return kUsage;
        }
        pids.push_back(pid);
        break;
      case 'h':
        std::fputs(usage_of("ls"), stdout);
        return kOk;
      default:
        std::fputs(usage_of("ls"), stderr);
        return kUsage;
    }
  }
  if (optind != argc) {
    std::fputs(usage_of("ls"), stderr);
    return kUsage;
  }
  const HostView host = gather(pids);
  if (json)
    print_json(host);
  else
    print_table(host);
  return kOk;
}

}  // namespace rtipc_tool
