// Resource faults: a tight RLIMIT_NOFILE (group creation, client connect and
// server accept fail with -EMFILE, leave no descriptor behind and work once
// there is room), RLIMIT_MEMLOCK (RTIPC_GROUP_MLOCK_REQUIRED fails cleanly,
// RTIPC_GROUP_MLOCK warns and goes on), and close-on-exec on every
// descriptor the library makes, checked across a real exec.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cstdlib>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pair.hpp"

namespace reliability {
namespace {

int highest_fd() {
  int highest = -1;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return -1;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const int fd = std::atoi(e->d_name);
    if (fd != ::dirfd(d) && fd > highest) highest = fd;
  }
  ::closedir(d);
  return highest;
}

// Room for exactly `extra` new descriptors: every free number below the
// highest open one is filled, and RLIMIT_NOFILE stops right above it.
class FdLimit {
 public:
  explicit FdLimit(int extra) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    const int highest = highest_fd();
    for (;;) {
      const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) break;
      if (fd > highest) {
        ::close(fd);
        break;
      }
      fillers_.push_back(fd);
    }
    rlimit tight = saved_;
    tight.rlim_cur = static_cast<rlim_t>(highest + 1 + extra);
    ok_ = ::setrlimit(RLIMIT_NOFILE, &tight) == 0;
  }
  ~FdLimit() {
    ::setrlimit(RLIMIT_NOFILE, &saved_);
    for (int fd : fillers_) ::close(fd);
  }
  bool ok() const { return ok_; }

 private:
  rlimit saved_{};
  std::vector<int> fillers_;
  bool ok_ = false;
};

Config three_eventfd_channels() {
  Config c;
  c.producers = {test::channel(16, 0, true), test::channel(32, 2, true)};
  c.consumers = {test::channel(8, 1, true)};
  return c;
}

constexpr int kMaxExtra = 16;

// Sanitizer builds: ASan and TSan turn mlock into a no-op that succeeds,
// and UBSan's vptr check needs a pipe of its own, so that out of
// descriptors it reports every virtual call as bad (false reports; an ASan
// run of these tests found no leak).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif
#define SKIP_WHEN_SANITIZED() \
  if (kSanitized) GTEST_SKIP() << "the sanitizer runtime needs descriptors of its own"

// The first successful call of fail_until_room: with room for how many new
// descriptors (-1: never), and how many were open just before it.
struct Room {
  int extra = -1;
  int fds_before = 0;
};

// Calls `call` with room for 0, 1, ... kMaxExtra new descriptors until it
// returns 0. Each failure must be -EMFILE and leave no descriptor behind.
void fail_until_room(const std::function<int()>& call, Room* room) {
  for (int extra = 0; extra <= kMaxExtra; ++extra) {
    const int before = test::open_fd_count();
    int r;
    {
      FdLimit limit(extra);
      ASSERT_TRUE(limit.ok());
      r = call();
    }
    if (r == 0) {
      *room = {extra, before};
      return;
    }
    EXPECT_EQ(r, -EMFILE) << "room for " << extra;
    EXPECT_EQ(test::open_fd_count(), before) << "room for " << extra;
  }
}

TEST(FdLimit, GroupCreateFailsCleanlyUntilThereIsRoom) {
  SKIP_WHEN_SANITIZED();
  const Config config = three_eventfd_channels();
  const rtipc_group_config c = config.get();
  rtipc_group* group = nullptr;
  Room room;
  ASSERT_NO_FATAL_FAILURE(fail_until_room(
      [&] {
        const int r = rtipc_group_create(&c, &group);
        if (r != 0) {
          EXPECT_EQ(group, nullptr);
        }
        return r;
      },
      &room));
  EXPECT_EQ(room.extra, 4);  // the memfd and three eventfds, nothing more
  rtipc_group_destroy(group);
  EXPECT_EQ(test::open_fd_count(), room.fds_before);
}

TEST(FdLimit, ClientConnectFailsCleanlyUntilThereIsRoom) {
  SKIP_WHEN_SANITIZED();
  test::TempDir dir;
  const std::string path = dir.path("nofile.sock");
  test::Pipe ready, quit;
  const pid_t child = test::spawn([&] {
    rtipc_server* server = nullptr;
    if (rtipc_server_create(path.c_str(), nullptr, &server) != 0) return 1;
    ready.put();
    rtipc_group* g = nullptr;
    // Clients that fail before sending hang up without a word: skipped.
    const int r = rtipc_server_accept(server, 20000, &g);
    rtipc_server_destroy(server);
    if (r != 0) return 2;
    quit.get(20000);
    rtipc_group_destroy(g);
    return 0;
  });
  ASSERT_EQ(ready.get(), 'x');
  const Config config = three_eventfd_channels();
  const rtipc_group_config c = config.get();
  rtipc_group* group = nullptr;
  Room room;
  ASSERT_NO_FATAL_FAILURE(fail_until_room(
      [&] { return rtipc_client_connect(path.c_str(), &c, 10000, &group); }, &room));
  EXPECT_EQ(test::open_fd_count(), room.fds_before + 5);  // memfd, 3 eventfds, pidfd
  // The group, three eventfds, the socket and the pidfd at the same time.
  EXPECT_EQ(room.extra, 6);
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(rtipc_group_peer_pid(group), child);
  quit.put();
  rtipc_group_destroy(group);
  EXPECT_EQ(test::reap(child), 0);
}

TEST(FdLimit, ServerAcceptFailsCleanlyUntilThereIsRoom) {
  SKIP_WHEN_SANITIZED();
  test::TempDir dir;
  const std::string path = dir.path("nofile.sock");
  rtipc_server* server = nullptr;
  ASSERT_EQ(rtipc_server_create(path.c_str(), nullptr, &server), 0);
  test::Pipe quit;
  const Config theirs = three_eventfd_channels();
  const pid_t child = test::spawn([&] {
    const rtipc_group_config c = theirs.get();
    // Failed attempts are retried with a new connection: rejected, or cut
    // off (-EPIPE, -ECONNRESET) by a server that failed before it read the
    // request.
    for (int attempt = 0; attempt < 2 * kMaxExtra; ++attempt) {
      rtipc_group* g = nullptr;
      const int r = rtipc_client_connect(path.c_str(), &c, 10000, &g);
      if (r == 0) {
        quit.get(20000);
        rtipc_group_destroy(g);
        return 0;
      }
      if (r != -RTIPC_EREJECTED && r != -EPIPE && r != -ECONNRESET) return 10 + attempt;
    }
    return 3;
  });
  rtipc_group* group = nullptr;
  Room room;
  ASSERT_NO_FATAL_FAILURE(
      fail_until_room([&] { return rtipc_server_accept(server, 10000, &group); }, &room));
  // The connection, the pidfd and the four received descriptors.
  EXPECT_EQ(room.extra, 6);
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(rtipc_group_peer_pid(group), child);
  quit.put();
  rtipc_group_destroy(group);
  rtipc_server_destroy(server);
  EXPECT_EQ(test::reap(child), 0);
}

// ---- RLIMIT_MEMLOCK ----

// Without CAP_IPC_LOCK (root has it; it lifts the limit) and with a soft
// RLIMIT_MEMLOCK of 0, for this thread, while it lives.
class NoLocking {
 public:
  NoLocking() {
    hdr_.version = _LINUX_CAPABILITY_VERSION_3;
    hdr_.pid = 0;
    if (::syscall(SYS_capget, &hdr_, saved_) != 0) return;
    __user_cap_data_struct lowered[2] = {saved_[0], saved_[1]};
    lowered[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
    if (::syscall(SYS_capset, &hdr_, lowered) != 0) return;
    ::getrlimit(RLIMIT_MEMLOCK, &limit_);
    rlimit none = limit_;
    none.rlim_cur = 0;
    ok_ = ::setrlimit(RLIMIT_MEMLOCK, &none) == 0;
  }
  ~NoLocking() {
    ::setrlimit(RLIMIT_MEMLOCK, &limit_);
    ::syscall(SYS_capset, &hdr_, saved_);
  }
  bool ok() const { return ok_; }

 private:
  __user_cap_header_struct hdr_{};
  __user_cap_data_struct saved_[2]{};
  rlimit limit_{};
  bool ok_ = false;
};

bool lock_failure(int r) {
  return r == -ENOMEM || r == -EPERM || r == -EAGAIN;
}

TEST(MemlockLimit, RequiredFailsCleanlyPlainLockWarns) {
  if (kSanitized) GTEST_SKIP() << "the sanitizer runtime ignores mlock";
  Config config = three_eventfd_channels();
  config.flags = RTIPC_GROUP_MLOCK_REQUIRED;
  rtipc_group_config c = config.get();
  rtipc_group* group = nullptr;
  ASSERT_EQ(rtipc_group_create(&c, &group), 0) << "locking works with the usual limit";
  rtipc_group_destroy(group);

  // A server-side request to build from, with descriptors of its own.
  config.flags = 0;
  c = config.get();
  rtipc_group* client = nullptr;
  ASSERT_EQ(rtipc_group_create(&c, &client), 0);
  std::vector<char> request(static_cast<size_t>(rtipc_group_request(client, nullptr, 0)));
  rtipc_group_request(client, request.data(), request.size());
  int fds[4];
  ASSERT_EQ(rtipc_group_fds(client, fds, 4), 4);

  NoLocking no_locking;
  if (!no_locking.ok()) GTEST_SKIP() << "cannot lower CAP_IPC_LOCK or RLIMIT_MEMLOCK";
  const int before = test::open_fd_count();
  config.flags = RTIPC_GROUP_MLOCK_REQUIRED;
  c = config.get();
  group = nullptr;
  const int r = rtipc_group_create(&c, &group);
  EXPECT_TRUE(lock_failure(r)) << r;
  EXPECT_EQ(group, nullptr);
  EXPECT_EQ(test::open_fd_count(), before);

  int dups[4];
  for (int i = 0; i < 4; ++i) dups[i] = ::fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
  const rtipc_server_config settings = config.server();  // MLOCK_REQUIRED
  const int s =
      rtipc_group_from_request(request.data(), request.size(), dups, 4, &settings, &group);
  EXPECT_TRUE(lock_failure(s)) << s;
  EXPECT_EQ(test::open_fd_count(), before);  // the four it owned are closed

  {
    test::LogCapture log;
    config.flags = RTIPC_GROUP_MLOCK;
    c = config.get();
    ASSERT_EQ(rtipc_group_create(&c, &group), 0);
    EXPECT_NE(log.all().find("mlock"), std::string::npos) << log.all();
    rtipc_group_destroy(group);
  }
  rtipc_group_destroy(client);
}

// ---- Close-on-exec ----

// The descriptors a freshly exec'd program finds open.
std::set<int> fds_after_exec() {
  const char* lister = std::getenv("FD_LISTER");
  std::set<int> out;
  if (!lister) return out;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return out;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_fds[1], 1);  // clears close-on-exec on the copy
    ::execl(lister, lister, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  std::string text;
  char buf[256];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::istringstream in(text);
  int fd;
  while (in >> fd) out.insert(fd);
  return out;
}

std::set<int> open_fds() {
  std::set<int> fds;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return fds;
  while (const dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') fds.insert(std::atoi(e->d_name));
  fds.erase(::dirfd(d));
  ::closedir(d);
  return fds;
}

void add_group_fds(const rtipc_group* group, std::set<int>* fds) {
  int all[16];
  const int n = rtipc_group_fds(group, all, 16);
  for (int i = 0; i < n; ++i) fds->insert(all[i]);
  if (rtipc_group_peer_fd(group) >= 0) fds->insert(rtipc_group_peer_fd(group));
}

TEST(CloseOnExec, NoLibraryDescriptorSurvivesExec) {
  ASSERT_NE(std::getenv("FD_LISTER"), nullptr);
  test::TempDir dir;
  const std::string ours = dir.path("ours.sock"), theirs = dir.path("theirs.sock");
  rtipc_server* server = nullptr;
  const std::set<int> before = open_fds();
  ASSERT_EQ(rtipc_server_create(ours.c_str(), nullptr, &server), 0);
  std::set<int> library;  // the server's: its socket, epoll and timer
  for (int fd : open_fds())
    if (!before.count(fd)) library.insert(fd);
  EXPECT_EQ(library.size(), 3u);
  EXPECT_TRUE(library.count(rtipc_server_fd(server)));
  test::Pipe ready, quit;
  const Config config = three_eventfd_channels();
  const pid_t child = test::spawn([&] {
    rtipc_server* s = nullptr;
    if (rtipc_server_create(theirs.c_str(), nullptr, &s) != 0) return 1;
    ready.put();
    const rtipc_group_config c = config.get();
    rtipc_group *as_client = nullptr, *as_server = nullptr;
    if (rtipc_client_connect(ours.c_str(), &c, 10000, &as_client) != 0) return 2;
    if (rtipc_server_accept(s, 10000, &as_server) != 0) return 3;
    quit.get(20000);
    rtipc_group_destroy(as_client);
    rtipc_group_destroy(as_server);
    rtipc_server_destroy(s);
    return 0;
  });
  ASSERT_EQ(ready.get(), 'x');
  rtipc_group *accepted = nullptr, *connected = nullptr, *created = nullptr;
  ASSERT_EQ(rtipc_server_accept(server, 10000, &accepted), 0);
  const rtipc_group_config c = config.get();
  ASSERT_EQ(rtipc_client_connect(theirs.c_str(), &c, 10000, &connected), 0);
  ASSERT_EQ(rtipc_group_create(&c, &created), 0);

  for (const rtipc_group* g : {accepted, connected, created}) add_group_fds(g, &library);
  EXPECT_EQ(library.size(), 3u + 5 + 5 + 4);  // server; two groups with pidfds; one without
  for (int fd : library) EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC) << fd;

  const int control = ::open("/dev/null", O_RDONLY);  // not close-on-exec: must show up
  ASSERT_GE(control, 0);
  const std::set<int> survivors = fds_after_exec();
  ::close(control);
  EXPECT_TRUE(survivors.count(control)) << "the listing itself does not work";
  for (int fd : library) EXPECT_FALSE(survivors.count(fd)) << "library descriptor " << fd;

  quit.put();
  EXPECT_EQ(test::reap(child), 0);
  for (rtipc_group* g : {accepted, connected, created}) rtipc_group_destroy(g);
  rtipc_server_destroy(server);
}

}  // namespace
}  // namespace reliability
