// A signal interrupts every blocking call with -EINTR, with and without
// SA_RESTART (issue 8, item 8).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>

#include "../handshake/helpers.hpp"
#include "client.hpp"
#include "local_group.hpp"
#include "server.hpp"
#include "thread_syscall.hpp"

namespace rtipc {
namespace {

using namespace test_core;

using test_support::syscall_of;

// State S in /proc/self/task/<tid>/stat: blocked, interruptibly.
bool thread_sleeps(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto comm_end = stat.rfind(')');
  return comm_end != std::string::npos && stat.compare(comm_end, 4, ") S ") == 0;
}

bool is_sleeping(long nr) {
#ifdef SYS_epoll_wait
  if (nr == SYS_epoll_wait) return true;
#endif
#ifdef SYS_poll
  if (nr == SYS_poll) return true;
#endif
  return nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2 || nr == SYS_ppoll;
}

// A thread blocked in read(2): does /proc name its system call by our
// numbers? Not under an emulator such as qemu-user, where /proc shows the
// host's (x86-64 read is 0, aarch64 read is 63): then is_sleeping cannot tell
// when a thread sleeps, and the Signals tests skip.
bool proc_shows_our_syscall_numbers() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  std::atomic<pid_t> tid{0};
  std::thread t([&] {
    tid = static_cast<pid_t>(::syscall(SYS_gettid));
    char c;
    (void)!::read(fds[0], &c, 1);
  });
  long nr = -1;
  while (tid == 0 || !thread_sleeps(tid) || (nr = syscall_of(tid)) < 0) std::this_thread::yield();
  (void)!::write(fds[1], "x", 1);
  t.join();
  ::close(fds[0]);
  ::close(fds[1]);
  return nr == SYS_read;
}

constexpr const char* kForeignSyscallNumbers =
    "/proc/<tid>/syscall shows another architecture's system call numbers (an emulator such as "
    "qemu-user)";

void on_signal(int) {}

// In a child (a hang is killed by the guard alarm): `call` runs on a thread,
// which gets SIGUSR1 once it sleeps; the child exits with call's result,
// expected to be -EINTR.
int interrupted(bool restart, const std::function<int()>& call) {
  const pid_t child = test::spawn(
      [&] {
        struct sigaction sa = {};
        sa.sa_handler = on_signal;
        sa.sa_flags = restart ? SA_RESTART : 0;
        ::sigaction(SIGUSR1, &sa, nullptr);
        std::atomic<pid_t> tid{0};
        std::atomic<int> result{1};
        std::thread t([&] {
          tid = static_cast<pid_t>(::syscall(SYS_gettid));
          result = call();
        });
        while (tid == 0 || !is_sleeping(syscall_of(tid))) std::this_thread::yield();
        ::pthread_kill(t.native_handle(), SIGUSR1);
        t.join();
        return result == -EINTR ? 0 : 1;
      },
      10);
  return test::reap(child);
}

TEST(Signals, WaitForeverReturnsEintr) {
  if (!proc_shows_our_syscall_numbers()) GTEST_SKIP() << kForeignSyscallNumbers;
  for (bool restart : {false, true}) {
    auto g = Group::create(spec_with(64, {channel(8, 0, true)}), {});
    auto c = g->take_consumer(0);
    EXPECT_EQ(interrupted(restart, [&] { return c->wait(-1); }), 0) << "SA_RESTART " << restart;
  }
}

TEST(Signals, AcceptForeverThrowsEintr) {
  if (!proc_shows_our_syscall_numbers()) GTEST_SKIP() << kForeignSyscallNumbers;
  for (bool restart : {false, true}) {
    test::TempDir dir;
    auto server = Server::listen(dir.path("s.sock"), 0, 0);
    EXPECT_EQ(interrupted(restart, [&] { return error_code([&] { server->accept(-1, {}); }); }), 0)
        << "SA_RESTART " << restart;
  }
}

TEST(Signals, ClientHandshakeWaitingForTheReplyThrowsEintr) {
  if (!proc_shows_our_syscall_numbers()) GTEST_SKIP() << kForeignSyscallNumbers;
  for (bool restart : {false, true}) {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    auto g = Group::create(spec_with(64, {channel(8, 0, true)}), {});
    // Nobody answers on sv[0].
    EXPECT_EQ(
        interrupted(restart, [&] { return error_code([&] { client_handshake(sv[1], *g, -1); }); }),
        0)
        << "SA_RESTART " << restart;
    ::close(sv[0]);
    ::close(sv[1]);
  }
}

}  // namespace
}  // namespace rtipc
