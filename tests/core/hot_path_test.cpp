// The hot path of the C API (rtipc_producer_msg, rtipc_produce,
// rtipc_consumer_msg, rtipc_consume on channels without an eventfd) makes no
// system call and no allocation, as rtipc.h promises: once under strict
// seccomp, where any system call but read, write, _exit and sigreturn kills
// the process, and once under an allocation counter that sees the library's
// operator new and malloc calls too.
//
// Linked with the shared library only (rtipc_dep), as an application is.
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../support/alloc_hook.hpp"
#include "rtipc/rtipc.h"

// TSan's runtime keeps a thread of its own and makes system calls, which
// strict seccomp forbids: the seccomp tests do not apply there.
#if defined(__SANITIZE_THREAD__)
#define THREAD_SANITIZER 1
#else
#define THREAD_SANITIZER 0
#endif

// ---- Counting allocator: every operator new and malloc in the process. ----

namespace {
std::atomic<uint64_t> allocations{0};
}  // namespace

bool alloc_hook::admit() {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return true;
}

namespace {

// ---- Two channels, both ends in this process. ----

struct Channel {
  rtipc_producer* producer = nullptr;
  rtipc_consumer* consumer = nullptr;
  uint64_t next = 1;  // sequence number of the message being written
  uint64_t last = 0;  // last one the consumer saw
};

struct Tally {
  uint64_t published = 0, discarded = 0, full = 0, fresh = 0, gaps = 0, failures = 0;
};

struct Pair {
  rtipc_group* client = nullptr;
  rtipc_group* server = nullptr;
  Channel channels[2];

  ~Pair() {
    for (Channel& c : channels) {
      rtipc_producer_destroy(c.producer);
      rtipc_consumer_destroy(c.consumer);
    }
    rtipc_group_destroy(client);
    rtipc_group_destroy(server);
  }
};

// The client produces a 3-slot and a 103-slot channel; the server built from
// its request consumes them.
void make_pair(Pair* pair) {
  rtipc_channel_config channels[2] = {RTIPC_CHANNEL_CONFIG_INIT, RTIPC_CHANNEL_CONFIG_INIT};
  channels[0].msg_size = channels[1].msg_size = 16;
  channels[1].add_msgs = 100;
  rtipc_group_config config = RTIPC_GROUP_CONFIG_INIT;
  config.producers = channels;
  config.producer_count = 2;
  ASSERT_EQ(rtipc_group_create(&config, &pair->client), 0) << rtipc_last_error();

  const int size = rtipc_group_request(pair->client, nullptr, 0);
  ASSERT_GT(size, 0);
  std::vector<char> request(static_cast<size_t>(size));
  ASSERT_EQ(rtipc_group_request(pair->client, request.data(), request.size()), size);
  const int count = rtipc_group_fds(pair->client, nullptr, 0);
  ASSERT_EQ(count, 1);  // the memfd; no eventfds
  std::vector<int> fds(static_cast<size_t>(count));
  ASSERT_EQ(rtipc_group_fds(pair->client, fds.data(), fds.size()), count);
  for (int& fd : fds) fd = ::dup(fd);  // the server takes ownership of its copies
  ASSERT_EQ(rtipc_group_from_request(request.data(), request.size(), fds.data(), fds.size(),
                                     nullptr, &pair->server),
            0)
      << rtipc_last_error();

  for (uint32_t i = 0; i < 2; ++i) {
    ASSERT_EQ(rtipc_group_take_producer(pair->client, i, &pair->channels[i].producer), 0);
    ASSERT_EQ(rtipc_group_take_consumer(pair->server, i, &pair->channels[i].consumer), 0);
    ASSERT_EQ(rtipc_producer_fd(pair->channels[i].producer), -ENOTSUP);
  }
}

// xorshift: no state outside the caller's, no system call.
uint64_t next_random(uint64_t* s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

void produce(Channel& c, bool force, Tally* t) {
  uint64_t* msg = static_cast<uint64_t*>(rtipc_producer_msg(c.producer));
  msg[0] = c.next;
  msg[1] = ~c.next;
  const int r = rtipc_produce(c.producer, force ? RTIPC_PRODUCE_FORCE : RTIPC_PRODUCE_TRY);
  if (r == RTIPC_PUBLISHED || r == RTIPC_PUBLISHED_DISCARDED) ++c.next;
  if (r == RTIPC_PUBLISHED)
    ++t->published;
  else if (r == RTIPC_PUBLISHED_DISCARDED && force)
    ++t->discarded;
  else if (r == RTIPC_QUEUE_FULL && !force && rtipc_producer_msg(c.producer) == msg)
    ++t->full;
  else
    ++t->failures;
}

void consume(Channel& c, bool latest, Tally* t) {
  const int r = rtipc_consume(c.consumer, latest ? RTIPC_CONSUME_LATEST : RTIPC_CONSUME_NEXT);
  if (r == RTIPC_NOTHING_PRODUCED || r == RTIPC_NO_NEW) {
    if (r == RTIPC_NOTHING_PRODUCED && c.next != 1) ++t->failures;
    return;
  }
  if (r != RTIPC_NEW && r != RTIPC_NEW_AFTER_GAP) {
    ++t->failures;
    return;
  }
  const auto* msg = static_cast<const uint64_t*>(rtipc_consumer_msg(c.consumer));
  if (!msg || msg[1] != ~msg[0] || msg[0] <= c.last) {
    ++t->failures;
    return;
  }
  const bool jump = msg[0] != c.last + 1;
  if (jump != (r == RTIPC_NEW_AFTER_GAP)) ++t->failures;
  ++(r == RTIPC_NEW ? t->fresh : t->gaps);
  c.last = msg[0];
}

// Bursts of pushes and pops in both modes, sized around each queue's
// capacity so that full queues, discards and gaps all happen.
void hot_path(Pair& pair, int rounds, Tally* t) {
  uint64_t s = 0x9e3779b97f4a7c15;
  for (int round = 0; round < rounds; ++round) {
    for (int i = 0; i < 2; ++i) {
      Channel& c = pair.channels[i];
      const uint64_t span = i == 0 ? 6 : 210;
      const uint64_t r = next_random(&s);
      const bool force = r & 1, latest = (r & 6) == 0;
      for (uint64_t k = (r >> 8) % span; k > 0; --k) produce(c, force, t);
      for (uint64_t k = (r >> 24) % span; k > 0; --k) consume(c, latest, t);
    }
  }
}

constexpr int kRounds = 100000;

TEST(HotPath, MakesNoSystemCall) {
  if (THREAD_SANITIZER) GTEST_SKIP() << "TSan's runtime makes system calls of its own";
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(pipe_fds[0]);
    char result = 0;
    {
      Pair pair;
      make_pair(&pair);
      if (testing::Test::HasFatalFailure()) ::_exit(10);
      Tally warm_up;
      hot_path(pair, 100, &warm_up);  // binds symbols, touches every page
      // Strict mode leaves read, write, _exit and sigreturn; anything else
      // is SIGKILL.
      if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
          ::syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, nullptr) != 0)
        ::_exit(11);
      Tally t;
      hot_path(pair, kRounds, &t);
      result = t.failures ? 1 : !t.full ? 2 : !t.discarded ? 3 : !t.gaps ? 4 : !t.fresh ? 5 : 0;
      if (::write(pipe_fds[1], &result, 1) != 1) result = 6;
      ::syscall(SYS_exit, 0);  // exit_group, which _exit uses, is not allowed
    }
  }
  ::close(pipe_fds[1]);
  char result = -1;
  const ssize_t got = ::read(pipe_fds[0], &result, 1);
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 11) GTEST_SKIP() << "seccomp is not available";
  ASSERT_FALSE(WIFSIGNALED(status))
      << "killed by signal " << WTERMSIG(status) << " (SIGKILL: a system call on the hot path)";
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  ASSERT_EQ(got, 1);
  EXPECT_EQ(result, 0) << "1: wrong result, 2: never full, 3: never discarded, 4: no gap, "
                          "5: no plain new message";
}

TEST(HotPath, SeccompReallyKillsASystemCall) {
  if (THREAD_SANITIZER) GTEST_SKIP() << "TSan's runtime makes system calls of its own";
  // The test above means something only if a system call does get caught.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        ::syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, nullptr) != 0)
      ::_exit(11);
    (void)::getppid();
    ::syscall(SYS_exit, 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 11) GTEST_SKIP() << "seccomp is not available";
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(HotPath, MakesNoAllocation) {
  if (!alloc_hook::kAllocHook) GTEST_SKIP() << "the sanitizer's allocator is in charge";
  const uint64_t before_setup = allocations.load();
  Pair pair;
  make_pair(&pair);
  ASSERT_FALSE(HasFatalFailure());
  // The counter sees the library's own allocations (setup allocates).
  ASSERT_GT(allocations.load(), before_setup);

  Tally warm_up;
  hot_path(pair, 100, &warm_up);
  Tally t;
  const uint64_t before = allocations.load();
  hot_path(pair, kRounds, &t);
  const uint64_t during = allocations.load() - before;
  EXPECT_EQ(during, 0u);
  EXPECT_EQ(t.failures, 0u);
  EXPECT_GT(t.full, 0u);
  EXPECT_GT(t.discarded, 0u);
  EXPECT_GT(t.gaps, 0u);
  EXPECT_GT(t.fresh, 0u);
}

TEST(HotPath, TheCounterCountsMallocToo) {
  if (!alloc_hook::kAllocHook) GTEST_SKIP() << "the sanitizer's allocator is in charge";
  const uint64_t before = allocations.load();
  void* volatile p = std::malloc(24);
  std::free(p);
  EXPECT_EQ(allocations.load(), before + 1);
}

TEST(HotPath, TheCounterCountsOperatorNewToo) {
  if (!alloc_hook::kAllocHook) GTEST_SKIP() << "the sanitizer's allocator is in charge";
  const uint64_t before = allocations.load();
  auto* volatile p = new uint64_t(7);
  delete p;
  EXPECT_EQ(allocations.load(), before + 1);
}

}  // namespace
