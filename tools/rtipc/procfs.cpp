#include "procfs.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "stats_page.h"

namespace rtipc_tool {
namespace {

std::string read_line(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

bool is_pid(const char* name) {
  if (!*name) return false;
  for (const char* c = name; *c; ++c)
    if (*c < '0' || *c > '9') return false;
  return true;
}

// "socket:[1234]" -> 1234, else 0.
uint64_t socket_inode(const std::string& target) {
  if (target.rfind("socket:[", 0) != 0) return 0;
  return std::strtoull(target.c_str() + 8, nullptr, 10);
}

void fill(Process& p, const std::map<uint64_t, std::string>& sockets) {
  const std::string dir = "/proc/" + std::to_string(p.pid);
  p.comm = read_line(dir + "/comm");
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) p.uid = st.st_uid;
  DIR* d = ::opendir((dir + "/fd").c_str());
  if (!d) {
    p.hidden = errno == EACCES || errno == EPERM;
    return;
  }
  const std::string stats_link = std::string("/memfd:") + RTIPC_STATS_MEMFD_NAME + " (deleted)";
  while (dirent* e = ::readdir(d)) {
    if (!is_pid(e->d_name)) continue;
    char buf[4096];
    const ssize_t n = ::readlinkat(::dirfd(d), e->d_name, buf, sizeof buf - 1);
    if (n < 0) continue;
    const std::string target(buf, size_t(n));
    const int fd = std::atoi(e->d_name);
    p.fds.push_back({fd, target});
    if (target == stats_link) {
      p.stats_fd = fd;  // a forked child may hold its parent's too: the reader checks the pid
    } else if (target.rfind("/memfd:rtipc", 0) == 0) {
      // librtipc and the Rust crate name their regions "rtipc"; a peer's name
      // travels with its memfd.
      p.regions.push_back(fd);
    } else if (const uint64_t ino = socket_inode(target)) {
      if (auto it = sockets.find(ino); it != sockets.end()) p.sockets.push_back(it->second);
    }
  }
  ::closedir(d);
  std::sort(p.fds.begin(), p.fds.end(), [](auto& a, auto& b) { return a.fd < b.fd; });
  std::sort(p.regions.begin(), p.regions.end());
  std::sort(p.sockets.begin(), p.sockets.end());
  p.sockets.erase(std::unique(p.sockets.begin(), p.sockets.end()), p.sockets.end());
}

}  // namespace

std::map<uint64_t, std::string> unix_socket_paths() {
  std::map<uint64_t, std::string> out;
  std::ifstream f("/proc/net/unix");
  std::string line;
  std::getline(f, line);  // the header
  while (std::getline(f, line)) {
    // Num RefCount Protocol Flags Type St Inode [Path]
    std::istringstream in(line);
    std::string num, ref, proto, flags, type, st, path;
    uint64_t inode = 0;
    in >> num >> ref >> proto >> flags >> type >> st >> inode;
    std::getline(in >> std::ws, path);
    if (!path.empty() && path[0] != '@') out[inode] = path;
  }
  return out;
}

bool inspect_process(pid_t pid, Process* out) {
  Process p;
  p.pid = pid;
  if (::access(("/proc/" + std::to_string(pid)).c_str(), F_OK) != 0) return false;
  fill(p, unix_socket_paths());
  *out = std::move(p);
  return true;
}

std::vector<Process> scan_processes() {
  const auto sockets = unix_socket_paths();
  std::vector<Process> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  const pid_t self = ::getpid();
  while (dirent* e = ::readdir(d)) {
    if (!is_pid(e->d_name)) continue;
    Process p;
    p.pid = std::atoi(e->d_name);
    if (p.pid == self) continue;
    // Kernel threads have no command line and nothing of ours.
    std::ifstream cmd("/proc/" + std::string(e->d_name) + "/cmdline");
    if (cmd.peek() == std::ifstream::traits_type::eof()) continue;
    fill(p, sockets);
    out.push_back(std::move(p));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.pid < b.pid; });
  return out;
}

}  // namespace rtipc_tool
