// The hardening of issue 8 that one process can show: server limits and what
// a request costs, the message alignment, LATEST on a read-only index area,
// the request size limit, tmpfs-only memfds, queue depth (pending), and
// -EINTR from blocking calls. The two-process halves are in
// tests/reliability/hostile_core_test.cpp.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/memfd.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "../handshake/helpers.hpp"
#include "client.hpp"
#include "limits.hpp"
#include "queue.hpp"
#include "region.hpp"
#include "server.hpp"
#include "socket.hpp"

namespace rtipc {
namespace {

ChannelSpec channel(uint32_t msg_size, uint32_t add_msgs, bool eventfd = false) {
  return {msg_size, add_msgs, eventfd, {}};
}

// Both ends of a group in this process: the client's Group::create and the
// server's group_from_request on duplicates of its descriptors.
struct LocalPair {
  LocalPair(GroupSpec spec, const ServerOptions& options = permissive()) {
    client = Group::create(spec, {});
    std::vector<UniqueFd> fds;
    for (int fd : client->fds()) fds.emplace_back(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    const auto request = client->request();
    server = group_from_request(request, std::move(fds), options);
  }
  static ServerOptions permissive() {
    ServerOptions o;
    o.limits = hard_limits();
    return o;
  }
  std::unique_ptr<Group> client, server;
};

int error_code(const std::function<void()>& f, std::string* what = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (what) *what = e.what();
    return e.code();
  }
  return 0;
}

// ---- Item 2: limits, checked before anything is mapped ----

GroupSpec spec_with(uint32_t cacheline, std::vector<ChannelSpec> server_produces,
                    std::vector<ChannelSpec> client_produces = {}) {
  GroupSpec s;
  s.cacheline = cacheline;
  s.client_consumes = std::move(server_produces);
  s.client_produces = std::move(client_produces);
  return s;
}

TEST(Limits, EachLimitNamesItselfWithE2big) {
  const ServerLimits limits;  // the defaults
  std::string what;
  EXPECT_EQ(error_code([&] { check_limits(plan_group(spec_with(8, {channel(8, 0)})), {}, {64}); }, &what),
            -E2BIG);
  EXPECT_NE(what.find("min_cacheline"), std::string::npos) << what;
  EXPECT_EQ(error_code(
                [&] { check_limits(plan_group(spec_with(64, std::vector(65, channel(8, 0)))), {}, limits); },
                &what),
            -E2BIG);
  EXPECT_NE(what.find("max_channels: 65 channels exceed 64"), std::string::npos) << what;
  EXPECT_EQ(error_code([&] { check_limits(plan_group(spec_with(64, {channel(8, 4094)})), {}, limits); },
                       &what),
            -E2BIG);
  EXPECT_NE(what.find("max_slots: 4097 slots (channel 0) exceed 4096"), std::string::npos)
      << what;
  // 3 channels of 4096 slots of 8 KiB: 96 MiB of region.
  EXPECT_EQ(error_code([&] {
              check_limits(plan_group(spec_with(64, {}, std::vector(3, channel(8192, 4093)))), {}, limits);
            },
                       &what),
            -E2BIG);
  EXPECT_NE(what.find("max_region_size"), std::string::npos) << what;
  // 20 MiB the server writes, within a 64 MiB region.
  EXPECT_EQ(error_code([&] {
              check_limits(plan_group(spec_with(64, {channel(5120, 4093)})), {}, limits);
            },
                       &what),
            -E2BIG);
  EXPECT_NE(what.find("max_private_size"), std::string::npos) << what;
  // The same channel, produced by the client: the server only reads it.
  EXPECT_EQ(error_code([&] { check_limits(plan_group(spec_with(64, {}, {channel(5120, 4093)})), {}, limits); }),
            0);
}

TEST(Limits, PrivateCostCountsProducerPagesChainsCachesAndLocks) {
  // One client-produced channel of 1 page (index area of 64 B) and one
  // server-produced channel: its index area and 16 slots of 4 KiB.
  const GroupPlan plan = plan_group(spec_with(64, {channel(4096, 13)}, {channel(4096, 0)}));
  const std::vector<ChannelLayout>& layout = plan.layout;
  const size_t region = plan.region_size;
  GroupOptions plain;
  const ServerCost cost = server_cost(plan, plain);
  EXPECT_EQ(cost.region_size, region);
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t produced_pages =
      ((region + page - 1) / page - layout[1].offset / page) * page;
  EXPECT_EQ(cost.private_size, produced_pages + page /* consumer's index */ + 16 * 4);
  GroupOptions cached;
  cached.producer_cache = true;
  EXPECT_EQ(server_cost(plan, cached).private_size, cost.private_size + 4096);
  GroupOptions locked;
  locked.region.lock = true;
  EXPECT_EQ(server_cost(plan, locked).private_size,
            (region + page - 1) / page * page + 16 * 4);
}

TEST(Limits, BeyondTheHardLimitsIsEinval) {
  ServerLimits l;
  EXPECT_EQ(error_code([&] { validate_limits(l); }), 0);
  EXPECT_EQ(error_code([&] { validate_limits(hard_limits()); }), 0);
  l.max_channels = kMaxChannels + 1;
  EXPECT_EQ(error_code([&] { validate_limits(l); }), -EINVAL);
  l = {};
  l.min_cacheline = 48;
  EXPECT_EQ(error_code([&] { validate_limits(l); }), -EINVAL);
  l = {};
  l.max_region_size = kMaxRegionSize + 1;
  EXPECT_EQ(error_code([&] { validate_limits(l); }), -EINVAL);
}

TEST(Limits, CheckedBeforeTheFilterWhichSeesTheCost) {
  GroupSpec spec = spec_with(16, {channel(8, 0, true)});
  auto client = Group::create(spec, {});
  int filter_calls = 0;
  ServerOptions options;
  options.filter = [&](const Proposal& p) {
    ++filter_calls;
    EXPECT_EQ(p.region_size, client->region_size());
    EXPECT_EQ(p.spec.cacheline, 16u);
    EXPECT_EQ(p.peer.pid, 0);  // unknown without a socket
    EXPECT_EQ(p.peer.uid, static_cast<uid_t>(-1));
    return true;
  };
  auto dup_fds = [&] {
    std::vector<UniqueFd> fds;
    for (int fd : client->fds()) fds.emplace_back(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    return fds;
  };
  options.limits.min_cacheline = 64;
  EXPECT_EQ(error_code([&] { group_from_request(client->request(), dup_fds(), options); }),
            -E2BIG);
  EXPECT_EQ(filter_calls, 0);
  options.limits.min_cacheline = 16;
  auto server = group_from_request(client->request(), dup_fds(), options);
  EXPECT_EQ(filter_calls, 1);
  EXPECT_EQ(server->cacheline(), 16u);
}

// ---- Item 4: messages are aligned to the layout's cache line ----

TEST(Alignment, MessagesFollowTheLayoutsCacheLineWithAndWithoutCache) {
  for (uint32_t cl : {8u, 16u, 64u, 256u, 4096u}) {
    for (bool cache : {false, true}) {
      GroupSpec spec = spec_with(cl, {}, {channel(24, 1)});
      GroupOptions o;
      o.producer_cache = cache;
      auto g = Group::create(spec, o);
      EXPECT_EQ(g->cacheline(), cl);
      auto p = g->take_producer(0);
      EXPECT_EQ(p->msg_align(), cl);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p->msg()) % cl, 0u) << cl << " cache " << cache;
    }
  }
  EXPECT_EQ(kDefaultCacheline, uint32_t{RTIPC_DEFAULT_CACHELINE});
}

// ---- Item 5: LATEST finds nothing new without writing ----

TEST(Latest, ReadOnlyIndexAreaDoesNotFaultWhenNothingIsNew) {
  EXPECT_EXIT(
      {
        const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
        void* mem = ::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                           -1, 0);
        QueueIndices q(static_cast<uint32_t*>(mem), 4);
        q.reset_head_and_tail();
        ProducerQueue producer(q);
        ConsumerQueue consumer(q);
        ::mprotect(mem, page, PROT_READ);
        if (consumer.flush() != PopResult::kNothingProduced) ::_exit(1);
        ::mprotect(mem, page, PROT_READ | PROT_WRITE);
        producer.force_push();
        producer.force_push();
        if (consumer.flush() != PopResult::kNewAfterGap) ::_exit(2);
        ::mprotect(mem, page, PROT_READ);
        if (consumer.flush() != PopResult::kNoNew) ::_exit(3);  // a write would SIGSEGV
        if (consumer.pop() != PopResult::kNoNew) ::_exit(4);
        ::_exit(0);
      },
      testing::ExitedWithCode(0), "");
}

// ---- Item 9: one limit on the whole request ----

GroupSpec request_of(size_t bytes) {
  GroupSpec spec = spec_with(64, {}, {channel(8, 0)});
  spec.info.resize(bytes - kHeaderSize - kTableEntrySize);
  return spec;
}

TEST(RequestSize, CreateRefusesARequestLongerThan64KiB) {
  EXPECT_EQ(encode_request(request_of(kMaxRequestSize)).size(), kMaxRequestSize);
  EXPECT_NE(Group::create(request_of(kMaxRequestSize), {}), nullptr);
  std::string what;
  EXPECT_EQ(error_code([&] { Group::create(request_of(kMaxRequestSize + 1), {}); }, &what),
            -EMSGSIZE);
  EXPECT_NE(what.find("65537"), std::string::npos) << what;
}

TEST(RequestSize, ServerRefusesARequestLongerThan64KiB) {
  for (size_t size : {kMaxRequestSize, kMaxRequestSize + 1}) {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    // A valid request, one byte too long where size says so.
    auto client = Group::create(request_of(kMaxRequestSize), {});
    auto bytes = client->request();
    bytes.resize(size);
    send_message(sv[1], bytes, client->fds(), Deadline(1000));
    std::vector<std::byte> buffer(kRequestBufferSize);
    ServerOptions options;
    std::string what;
    const int code = error_code([&] { serve_handshake(sv[0], 1000, buffer, options); }, &what);
    if (size == kMaxRequestSize) {
      EXPECT_EQ(code, 0) << what;
    } else {
      EXPECT_EQ(code, -EBADMSG);
      EXPECT_NE(what.find("larger than the limit of 65536"), std::string::npos) << what;
    }
    ::close(sv[0]);
    ::close(sv[1]);
  }
}

// ---- Item 10: tmpfs memfds only ----

TEST(Tmpfs, TheFilesystemTestTellsMemfdsFromOtherFiles) {
  UniqueFd memfd(::memfd_create("t", MFD_CLOEXEC));
  ASSERT_TRUE(memfd);
  EXPECT_TRUE(on_tmpfs(memfd.get()));
  UniqueFd exe(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(exe);
  EXPECT_FALSE(on_tmpfs(exe.get()));
}

TEST(Tmpfs, HugetlbMemfdIsRefusedBeforeMapping) {
  UniqueFd fd(::memfd_create("huge", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB));
  if (!fd) GTEST_SKIP() << "memfd_create(MFD_HUGETLB): " << std::strerror(errno);
  const long huge = 2 << 20;
  if (::ftruncate(fd.get(), huge) < 0)
    GTEST_SKIP() << "ftruncate of a hugetlb memfd: " << std::strerror(errno);
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
    GTEST_SKIP() << "sealing a hugetlb memfd: " << std::strerror(errno);
  std::string what;
  EXPECT_EQ(error_code([&] { Region::adopt(std::move(fd), 4096, {}); }, &what), -EBADF);
  EXPECT_NE(what.find("tmpfs"), std::string::npos) << what;
}

// ---- Issue 9 item 7: queue depth ----

TEST(Pending, CountsWhatTheConsumerHasNotTakenOnBothSides) {
  LocalPair pair(spec_with(64, {}, {channel(8, 2)}));  // n = 5
  auto p = pair.client->take_producer(0);
  auto c = pair.server->take_consumer(0);
  EXPECT_EQ(p->pending(), 0);
  p->push(false);
  EXPECT_EQ(p->pending(), 1);
  EXPECT_EQ(c->pending(), 1);
  p->push(false);
  p->push(false);
  EXPECT_EQ(c->pending(), 3);
  EXPECT_EQ(c->pop(false), PopResult::kNew);
  EXPECT_EQ(c->pending(), 2);  // the held one does not count
  EXPECT_EQ(p->pending(), 2);
  for (int i = 0; i < 6; ++i) p->push(true);  // overruns: n - 2 wait behind the held one
  EXPECT_EQ(c->pending(), 3);
  EXPECT_EQ(c->pop(true), PopResult::kNewAfterGap);
  EXPECT_EQ(c->pending(), 0);
  EXPECT_EQ(p->pending(), 0);
}

TEST(Pending, CorruptIndicesAreEproto) {
  std::vector<uint32_t> words(2 + 4);
  QueueIndices q(words.data(), 4);
  q.reset_head_and_tail();
  ProducerQueue producer(q);
  producer.force_push();
  EXPECT_EQ(pending_messages(q), 1);
  words[0] = 7;  // tail out of range
  EXPECT_EQ(pending_messages(q), -EPROTO);
  words[0] = 0;
  words[2 + 0] = 9;  // a link out of range
  EXPECT_EQ(pending_messages(q), -EPROTO);
  words[2 + 0] = 1;  // a cycle 0 -> 1 -> 0
  words[2 + 1] = 0;
  EXPECT_EQ(pending_messages(q), -EPROTO);
}

// A third thread reads the depth while producer and consumer run: never an
// error, never more than n - 1 (run under TSan by the sanitizer CI job).
TEST(Pending, SafeFromAnotherThreadWhileBothEndsRun) {
  LocalPair pair(spec_with(64, {}, {channel(8, 1)}));  // n = 4
  auto p = pair.client->take_producer(0);
  auto c = pair.server->take_consumer(0);
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::thread producer([&] {
    // Until the reader has had its turns, bounded.
    for (int i = 0; i < 20'000'000 && (i < 100'000 || reads < 20'000); ++i) p->push(i % 3 != 0);
    stop = true;
  });
  std::thread consumer([&] {
    while (!stop) c->pop(std::rand() % 2 == 0);
  });
  int bad = 0, seen_max = 0;
  while (!stop) {
    for (int v : {p->pending(), c->pending()}) {
      if (v < 0 || v > 3) ++bad;
      seen_max = std::max(seen_max, v);
    }
    ++reads;
  }
  producer.join();
  consumer.join();
  EXPECT_EQ(bad, 0);
  EXPECT_GE(seen_max, 0);
}

// ---- Item 8: a signal interrupts every blocking call ----

long syscall_of(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
  long nr = -1;
  in >> nr;
  return nr;
}

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
    EXPECT_EQ(interrupted(restart, [&] { return c->wait(-1, 0); }), 0) << "SA_RESTART " << restart;
  }
}

TEST(Signals, AcceptForeverThrowsEintr) {
  if (!proc_shows_our_syscall_numbers()) GTEST_SKIP() << kForeignSyscallNumbers;
  for (bool restart : {false, true}) {
    test::TempDir dir;
    auto server = Server::listen(dir.path("s.sock"), 0, 0);
    EXPECT_EQ(interrupted(restart,
                          [&] { return error_code([&] { server->accept(-1, {}); }); }),
              0)
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
    EXPECT_EQ(interrupted(restart,
                          [&] { return error_code([&] { client_handshake(sv[1], *g, -1); }); }),
              0)
        << "SA_RESTART " << restart;
    ::close(sv[0]);
    ::close(sv[1]);
  }
}

}  // namespace
}  // namespace rtipc
