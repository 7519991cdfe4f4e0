// What /proc tells about the processes of the host: which hold the rtipc
// statistics page, which hold rtipc shared regions or sockets, and which the
// caller may not inspect.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rtipc_tool {

struct FdLink {
  int fd;
  std::string target;  // readlink of /proc/PID/fd/N
};

struct Process {
  pid_t pid = 0;
  uid_t uid = 0;
  std::string comm;
  bool hidden = false;               // its descriptors could not be read
  std::vector<FdLink> fds;           // all of them (empty when hidden)
  int stats_fd = -1;                 // "/memfd:rtipc-stats", -1 when none
  std::vector<int> regions;          // "/memfd:rtipc*" descriptors (the statistics page aside)
  std::vector<std::string> sockets;  // paths of its Unix sockets that have one
};

// Every process of the host, in pid order (kernel threads left out).
std::vector<Process> scan_processes();

// One process (false when it is gone).
bool inspect_process(pid_t pid, Process* out);

// Whether a process holds anything of rtipc's.
inline bool is_rtipc(const Process& p) {
  return p.stats_fd >= 0 || !p.regions.empty();
}

// Unix socket inode -> path, from /proc/net/unix.
std::map<uint64_t, std::string> unix_socket_paths();

}  // namespace rtipc_tool
