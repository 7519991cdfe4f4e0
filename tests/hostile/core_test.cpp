// Hostile peers against the core, in two processes and both roles: a peer
// that clears O_NONBLOCK on the shared eventfd and fills its counter, a
// peer that floods the counter, a client whose tiny request asks for
// hundreds of MiB, and a stream of clients that connect and hang up.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "../handshake/helpers.hpp"
#include "client.hpp"
#include "core_pair.hpp"
#include "server.hpp"
#include "thread_syscall.hpp"

namespace rtipc {
namespace {

constexpr uint64_t kFullCounter = 0xfffffffffffffffe;  // the most an eventfd holds

int64_t now_ms() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

int64_t thread_cpu_us() {
  rusage u;
  ::getrusage(RUSAGE_THREAD, &u);
  return (int64_t{u.ru_utime.tv_sec} + u.ru_stime.tv_sec) * 1'000'000 + u.ru_utime.tv_usec +
         u.ru_stime.tv_usec;
}

class HostilePeer : public testing::TestWithParam<PeerRole> {};

bool clear_nonblock(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0;
}

bool add_counts(int fd, uint64_t n) {
  return ::write(fd, &n, sizeof n) == sizeof n;
}

// Item 1, consumer side: the peer clears O_NONBLOCK; with an empty counter
// (where a read(2) would block) and with a full one, wait honours its
// timeout.
TEST_P(HostilePeer, ClearedNonblockCannotHoldOurWait) {
  std::unique_ptr<CorePair> pair;
  test::Pipe go, done;
  pair = std::make_unique<CorePair>(GetParam(), true, [&](Group& g) {
    auto p = g.take_producer(0);
    if (!clear_nonblock(p->eventfd())) return 1;
    done.put();
    if (go.get() != 'x' || !add_counts(p->eventfd(), kFullCounter)) return 2;
    done.put();
    return go.get() == 'x' ? 0 : 3;
  });
  auto c = pair->group().take_consumer(0);
  ASSERT_EQ(done.get(), 'x');
  EXPECT_FALSE(::fcntl(c->eventfd(), F_GETFL) & O_NONBLOCK);  // shared with the peer
  ::alarm(20);  // a blocking read would hang here for good
  int64_t t0 = now_ms();
  EXPECT_EQ(c->wait(100), 0);
  EXPECT_LT(now_ms() - t0, 1000);
  go.put();
  ASSERT_EQ(done.get(), 'x');
  t0 = now_ms();
  EXPECT_EQ(c->wait(100), 0);
  EXPECT_LT(now_ms() - t0, 1000);
  EXPECT_EQ(c->wait(0), 0);
  ::alarm(0);
  go.put();
  EXPECT_EQ(pair->finish(), 0);
}

// Item 1, producer side: the peer clears O_NONBLOCK and fills the counter,
// where a write(2) of one more count would block; produce returns at once.
TEST_P(HostilePeer, FullCounterWithClearedNonblockCannotHoldOurProduce) {
  test::Pipe go, done;
  CorePair pair(GetParam(), false, [&](Group& g) {
    auto c = g.take_consumer(0);
    if (!clear_nonblock(c->eventfd()) || !add_counts(c->eventfd(), kFullCounter)) return 1;
    done.put();
    return go.get() == 'x' ? 0 : 2;
  });
  auto p = pair.group().take_producer(0);
  ASSERT_EQ(done.get(), 'x');
  ::alarm(20);  // a blocking write would hang here for good
  const int64_t t0 = now_ms();
  for (int i = 0; i < 10; ++i) {
    const PushResult r = p->push(true);
    EXPECT_TRUE(r == PushResult::kPublished || r == PushResult::kDiscarded);
  }
  EXPECT_LT(now_ms() - t0, 1000);
  ::alarm(0);
  go.put();
  EXPECT_EQ(pair.finish(), 0);
}

using test_support::syscall_of;

bool in_epoll_wait(pid_t tid) {
  const long nr = syscall_of(tid);
#ifdef SYS_epoll_wait
  if (nr == SYS_epoll_wait) return true;
#endif
  return nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2;
}

// Item 6: the peer piles 2^64 - 2 counts into the eventfd. A wait with
// nothing new sleeps through them (CPU time well below its wall time), and a
// new message still wakes it.
TEST_P(HostilePeer, FloodedEventfdNeitherPinsACoreNorDeafensTheWait) {
  test::Pipe go, done;
  CorePair pair(GetParam(), true, [&](Group& g) {
    auto p = g.take_producer(0);
    if (!add_counts(p->eventfd(), kFullCounter)) return 1;
    done.put();
    if (go.get() != 'x') return 2;
    std::memcpy(p->msg(), "flooded", 8);
    p->push(true);
    return go.get() == 'x' ? 0 : 3;
  });
  auto c = pair.group().take_consumer(0);
  ASSERT_EQ(done.get(), 'x');
  ::alarm(20);
  const int64_t cpu0 = thread_cpu_us();
  const int64_t t0 = now_ms();
  EXPECT_EQ(c->wait(500), 0);
  const int64_t wall_us = (now_ms() - t0) * 1000;
  const int64_t cpu_us = thread_cpu_us() - cpu0;
  EXPECT_GE(wall_us, 400'000);
  EXPECT_LT(wall_us, 5'000'000);
  // Generous: about 1 ms is what 4096 reads and a sleep cost.
  EXPECT_LT(cpu_us, wall_us / 4) << "cpu " << cpu_us << " us of " << wall_us << " us";
  RecordProperty("flood_wait_cpu_us", static_cast<int>(cpu_us));
  RecordProperty("flood_wait_wall_us", static_cast<int>(wall_us));
  std::printf("flooded wait(500): %lld us CPU in %lld us\n", static_cast<long long>(cpu_us),
              static_cast<long long>(wall_us));

  // The peer publishes once this thread sleeps in epoll_wait.
  const pid_t self = static_cast<pid_t>(::syscall(SYS_gettid));
  std::thread waker([&] {
    for (int i = 0; i < 2'000'000 && !in_epoll_wait(self); ++i) std::this_thread::yield();
    go.put();
  });
  const int64_t t1 = now_ms();
  EXPECT_EQ(c->wait(10000), 1);
  EXPECT_LT(now_ms() - t1, 5000);
  waker.join();
  EXPECT_EQ(c->pop(false), PopResult::kNew);
  EXPECT_EQ(std::memcmp(c->msg(), "flooded", 8), 0);
  ::alarm(0);
  go.put();
  EXPECT_EQ(pair.finish(), 0);
}

INSTANTIATE_TEST_SUITE_P(Roles, HostilePeer, testing::Values(PeerRole::kClient, PeerRole::kServer),
                         role_name);

// ---- Item 2: a 532-byte request over a sparse memfd ----

// Resident pages of this process, in bytes (/proc/self/statm).
uint64_t resident_bytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// The request: 32 channels at the slot limit, all produced by the
// server, over a memfd that costs the client nothing (sparse).
GroupSpec amplifying_request() {
  GroupSpec spec;
  spec.cacheline = 8;
  for (int i = 0; i < 32; ++i)
    spec.client_consumes.push_back({8, kMaxSlots - kMinSlots, false, {}});
  return spec;
}

// The client half: connects with that request; exits 0 when the server said
// what `accepted` expects.
pid_t amplifying_client(const std::string& path, bool accepted) {
  return test::spawn(
      [path, accepted] {
        auto g = Group::create(amplifying_request(), {});
        try {
          client_connect(path, *g, 20000);
        } catch (const Error& e) {
          return !accepted && e.code() == -E2BIG ? 0 : 1;  // the reason, docs/protocol.md §5
        }
        return accepted ? 0 : 2;
      },
      60);
}

TEST(Amplification, TinyRequestForHundredsOfMibIsRefusedByDefault) {
  EXPECT_EQ(encode_request(amplifying_request()).size(), 532u);
  test::TempDir dir;
  const std::string path = dir.path("amp.sock");
  auto server = Server::listen(path, 0, 0);
  const pid_t child = amplifying_client(path, false);
  const uint64_t before = resident_bytes();
  std::string what;
  int code = 0;
  try {
    server->accept(20000, {});
  } catch (const ClientRejected& e) {
    code = e.code();
    what = e.what();
  }
  const uint64_t grown = resident_bytes() - std::min(resident_bytes(), before);
  EXPECT_EQ(code, -E2BIG);
  EXPECT_NE(what.find("max_slots: 1048576 slots (channel 0) exceed 4096"), std::string::npos)
      << what;
  EXPECT_LT(grown, uint64_t{4} << 20) << "resident grew by " << grown << " bytes";
  std::printf("refused: resident grew by %llu KiB\n", static_cast<unsigned long long>(grown >> 10));
  EXPECT_EQ(test::reap(child), 0);
}

TEST(Amplification, RaisedLimitsAcceptIt) {
  test::TempDir dir;
  const std::string path = dir.path("amp.sock");
  auto server = Server::listen(path, 0, 0);
  const pid_t child = amplifying_client(path, true);
  ServerOptions options;
  options.limits = hard_limits();
  auto g = server->accept(20000, options);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->producer_count(), 32u);
  EXPECT_EQ(test::reap(child), 0);
}

// ---- Item 3: one deadline under a stream of connect-and-hang-up clients ----

TEST(AcceptDeadline, HoldsUnderAStreamOfHangUps) {
  test::TempDir dir;
  const std::string path = dir.path("stream.sock");
  auto server = Server::listen(path, 0, 0);
  const sockaddr_un addr = unix_address(path);
  // Connects and hangs up for up to 10 s, as fast as it can.
  const pid_t child = test::spawn(
      [&] {
        const int64_t end = now_ms() + 10'000;
        while (now_ms() < end) {
          const int s = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
          (void)::connect(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
          ::close(s);
        }
        return 0;
      },
      30);
  // Let the stream start: the first hang-up is waiting when accept begins.
  for (int i = 0; i < 1000; ++i) {
    pollfd p = {server->fd(), POLLIN, 0};
    if (::poll(&p, 1, 10) == 1) break;
  }
  constexpr int kTimeoutMs = 200;
  const int64_t t0 = now_ms();
  int code = 0;
  try {
    server->accept(kTimeoutMs, {});
  } catch (const Error& e) {
    code = e.code();
  }
  const int64_t took = now_ms() - t0;
  ::kill(child, SIGKILL);
  test::reap(child);
  EXPECT_EQ(code, -ETIMEDOUT);
  EXPECT_LT(took, 10 * kTimeoutMs) << "accept(" << kTimeoutMs << ") took " << took << " ms";
  std::printf("accept(%d) under a stream of hang-ups: %lld ms\n", kTimeoutMs,
              static_cast<long long>(took));
}

}  // namespace
}  // namespace rtipc
