// Shared by the handshake tests: temp dirs, child processes, fd counts,
// captured log lines, and the one place that builds configs and servers.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "rtipc/rtipc.h"

namespace test {

// A fresh directory for socket paths, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/rtipc-hs-XXXXXX";
    path_ = ::mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempDir() {
    if (DIR* d = ::opendir(path_.c_str())) {
      while (dirent* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
          ::unlink((path_ + "/" + e->d_name).c_str());
      ::closedir(d);
    }
    ::rmdir(path_.c_str());
  }
  std::string path(const std::string& name) const { return path_ + "/" + name; }
  bool ok() const { return !path_.empty(); }

 private:
  std::string path_;
};

inline int open_fd_count() {
  int count = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d)) count += e->d_name[0] != '.';
    ::closedir(d);
    --count;  // the directory stream itself
  }
  return count;
}

// Runs fn in a child process, which exits with fn's result. The child dies
// by SIGALRM after `guard_s` seconds: a hang fails the test, never blocks it.
inline pid_t spawn(const std::function<int()>& fn, unsigned guard_s = 20) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::alarm(guard_s);
    rtipc_set_log(nullptr, nullptr, RTIPC_LOG_NONE);
    ::_exit(fn());
  }
  return pid;
}

// The child's exit code, or 128 + signal.
inline int reap(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// Every line the library logs while it lives, at warning level and above.
class LogCapture {
 public:
  explicit LogCapture(unsigned level = RTIPC_LOG_WARNING) {
    rtipc_set_log(&LogCapture::sink, this, level);
  }
  // Back to the library's default: silence.
  ~LogCapture() { rtipc_set_log(nullptr, nullptr, RTIPC_LOG_NONE); }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::string all() {
    std::string out;
    for (const auto& l : lines()) out += l + "\n";
    return out;
  }

 private:
  static void sink(unsigned, const char* text, void* user) {
    auto* self = static_cast<LogCapture*>(user);
    std::lock_guard lock(self->mutex_);
    self->lines_.push_back(text);
  }
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

// A one-way pipe for "I am ready" bytes between processes.
struct Pipe {
  Pipe() {
    if (::pipe2(fds, O_CLOEXEC) != 0) fds[0] = fds[1] = -1;
  }
  ~Pipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  bool put(char c = 'x') { return ::write(fds[1], &c, 1) == 1; }
  // -1 on timeout or error.
  int get(int timeout_ms = 10000) {
    pollfd p = {fds[0], POLLIN, 0};
    char c;
    if (::poll(&p, 1, timeout_ms) != 1 || ::read(fds[0], &c, 1) != 1) return -1;
    return c;
  }
  int fds[2];
};

inline rtipc_channel_config channel(uint32_t msg_size, uint32_t add_msgs, bool eventfd,
                                    const char* info = nullptr) {
  rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
  c.info = info;
  c.info_size = info ? static_cast<uint32_t>(std::char_traits<char>::length(info)) : 0;
  c.msg_size = msg_size;
  c.add_msgs = add_msgs;
  c.flags = eventfd ? RTIPC_CHANNEL_EVENTFD : 0;
  return c;
}

// A group config over the caller's channel arrays (which must outlive it).
inline rtipc_group_config group_config(const rtipc_channel_config* producers,
                                       uint32_t producer_count,
                                       const rtipc_channel_config* consumers = nullptr,
                                       uint32_t consumer_count = 0, uint32_t flags = 0) {
  rtipc_group_config c = RTIPC_GROUP_CONFIG_INIT;
  c.producers = producer_count ? producers : nullptr;
  c.producer_count = producer_count;
  c.consumers = consumer_count ? consumers : nullptr;
  c.consumer_count = consumer_count;
  c.flags = flags;
  return c;
}

// How a server takes its clients' groups; every other field keeps its default.
inline rtipc_server_config server_config(rtipc_filter_fn filter = nullptr, void* user = nullptr,
                                         uint32_t group_flags = 0) {
  rtipc_server_config c = RTIPC_SERVER_CONFIG_INIT;
  c.filter = filter;
  c.filter_user = user;
  c.group_flags = group_flags;
  return c;
}

// server_config with the limits at the library's hard maximum, for tests
// whose groups are bigger than the defaults allow.
inline rtipc_server_config unlimited_server_config(uint32_t group_flags = 0) {
  rtipc_server_config c = server_config(nullptr, nullptr, group_flags);
  c.max_channels = 1024;
  c.max_slots = 1u << 20;
  c.max_region_size = 16ull << 30;
  c.max_private_size = ~0ull;
  return c;
}

}  // namespace test
