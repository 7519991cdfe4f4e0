#include "host.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>

#include "output.hpp"
#include "page.hpp"

namespace rtipc_tool {

bool parse_pid(const char* text, pid_t* out) {
  char* end;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (errno || *end || end == text || v <= 0 || v > 0x3fffffff) return false;
  *out = pid_t(v);
  return true;
}

const char* direction(const rtipc_stats_record& r) {
  return r.kind == RTIPC_STATS_PRODUCER ? "out" : "in";
}

const char* role_name(uint32_t role) {
  return role == RTIPC_STATS_SERVER ? "server" : role == RTIPC_STATS_CLIENT ? "client" : "?";
}

std::string info_text(const rtipc_stats_record& r) {
  const size_t kept = std::min<size_t>(r.info_size, sizeof r.info);
  std::string s = printable(r.info, kept);
  if (kept < r.info_size) s += "...";
  return s;
}

namespace {

void add_page(ProcessView& v) {
  PageSnapshot page;
  v.has_page = true;
  v.page_error = read_page(v.proc.pid, v.proc.stats_fd, &page);
  if (v.page_error < 0) return;
  v.lost = page.header.lost;
  std::map<uint64_t, GroupView> groups;
  for (const auto& r : page.records) {
    GroupView& g = groups[r.group_serial];
    g.serial = r.group_serial;
    if (r.kind == RTIPC_STATS_GROUP) {
      g.group = r;
      g.have_record = true;
    } else {
      g.channels.push_back(r);
    }
  }
  for (auto& [serial, g] : groups) {
    std::sort(g.channels.begin(), g.channels.end(), [](auto& a, auto& b) {
      return a.kind != b.kind ? a.kind < b.kind : a.index < b.index;
    });
    v.groups.push_back(std::move(g));
  }
}

}  // namespace

HostView gather(const std::vector<pid_t>& pids) {
  std::vector<Process> procs;
  if (pids.empty()) {
    procs = scan_processes();
  } else {
    for (pid_t pid : pids) {
      Process p;
      if (inspect_process(pid, &p)) procs.push_back(std::move(p));
    }
  }
  HostView host;
  for (auto& p : procs) {
    if (p.hidden) {
      host.hidden.push_back(std::move(p));
      continue;
    }
    if (!is_rtipc(p)) continue;
    ProcessView v;
    v.proc = std::move(p);
    if (v.proc.stats_fd >= 0) add_page(v);
    // Without a (readable) page, what /proc tells: the regions and their sizes.
    if (!v.has_page || v.page_error < 0) {
      for (int fd : v.proc.regions) {
        struct stat st;
        const std::string path =
            "/proc/" + std::to_string(v.proc.pid) + "/fd/" + std::to_string(fd);
        v.regions.push_back({fd, ::stat(path.c_str(), &st) == 0 ? uint64_t(st.st_size) : 0});
      }
    }
    host.processes.push_back(std::move(v));
  }
  return host;
}

}  // namespace rtipc_tool
