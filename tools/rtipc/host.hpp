// Everything `ls` and `top` show, gathered from /proc and the statistics
// pages in one pass.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "procfs.hpp"
#include "stats_page.h"

namespace rtipc_tool {

struct GroupView {
  uint64_t serial = 0;
  bool have_record = false;    // false once the group was destroyed, its channels live on
  rtipc_stats_record group{};  // when have_record
  std::vector<rtipc_stats_record> channels;  // producers first, by index
};

struct ProcessView {
  Process proc;
  int page_error = 0;  // read_page's result when it has a page
  bool has_page = false;
  uint64_t lost = 0;
  std::vector<GroupView> groups;                  // librtipc processes, from the page
  std::vector<std::pair<int, uint64_t>> regions;  // fd, size: processes without a page
};

struct HostView {
  std::vector<ProcessView> processes;  // rtipc processes
  std::vector<Process> hidden;         // processes we may not inspect
};

// pids empty: the whole host.
HostView gather(const std::vector<pid_t>& pids);

// Parses "-p PID" lists; false on a bad number.
bool parse_pid(const char* text, pid_t* out);

const char* direction(const rtipc_stats_record& r);  // "out" or "in"
const char* role_name(uint32_t role);
std::string info_text(const rtipc_stats_record& r);

}  // namespace rtipc_tool
