// The hot path of the C API (rtipc_producer_msg, rtipc_produce,
// rtipc_consumer_msg, rtipc_consume on channels without an eventfd) makes no
// system call and no allocation, as rtipc.h promises: once under strict
// seccomp, where any system call but read, write, _exit and sigreturn kills
// the process, and once under an allocation counter that sees the library's
// operator new and malloc calls too. And rtipc_produce on a channel with an
// eventfd attached to an io_uring notifier: under strict seccomp too, while
// the kernel poller is awake, with the consumer woken outside the filter.
//
// Linked with the shared library only (rtipc_dep), as an application is.
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../support/alloc_counter.hpp"
#include "rtipc/rtipc.h"

// TSan's runtime keeps a thread of its own and makes system calls, which
// strict seccomp forbids: the seccomp tests do not apply there.
#if defined(__SANITIZE_THREAD__)
#define THREAD_SANITIZER 1
#else
#define THREAD_SANITIZER 0
#endif

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
  const uint64_t before_setup = alloc_hook::allocations();
  Pair pair;
  make_pair(&pair);
  ASSERT_FALSE(HasFatalFailure());
  // The counter sees the library's own allocations (setup allocates).
  ASSERT_GT(alloc_hook::allocations(), before_setup);

  Tally warm_up;
  hot_path(pair, 100, &warm_up);
  Tally t;
  const uint64_t before = alloc_hook::allocations();
  hot_path(pair, kRounds, &t);
  const uint64_t during = alloc_hook::allocations() - before;
  EXPECT_EQ(during, 0u);
  EXPECT_EQ(t.failures, 0u);
  EXPECT_GT(t.full, 0u);
  EXPECT_GT(t.discarded, 0u);
  EXPECT_GT(t.gaps, 0u);
  EXPECT_GT(t.fresh, 0u);
}

TEST(HotPath, TheCounterCountsMallocToo) {
  if (!alloc_hook::kAllocHook) GTEST_SKIP() << "the sanitizer's allocator is in charge";
  const uint64_t before = alloc_hook::allocations();
  void* volatile p = std::malloc(24);
  std::free(p);
  EXPECT_EQ(alloc_hook::allocations(), before + 1);
}

TEST(HotPath, TheCounterCountsOperatorNewToo) {
  if (!alloc_hook::kAllocHook) GTEST_SKIP() << "the sanitizer's allocator is in charge";
  const uint64_t before = alloc_hook::allocations();
  auto* volatile p = new uint64_t(7);
  delete p;
  EXPECT_EQ(alloc_hook::allocations(), before + 1);
}

// ---- A channel with an eventfd, signalled through the io_uring notifier ----

constexpr uint64_t kNotifiedPushes = 20000;

// The child: a producer thread under strict seccomp pushes through the
// notifier; this thread, outside the filter, sleeps on a waitset and checks
// every message. Exit status 0 on success, others name the failure.
int notified_stream() {
  rtipc_channel_config ch = RTIPC_CHANNEL_CONFIG_INIT;
  ch.flags = RTIPC_CHANNEL_EVENTFD;
  ch.msg_size = 16;
  ch.add_msgs = 100;
  rtipc_group_config config = RTIPC_GROUP_CONFIG_INIT;
  config.producers = &ch;
  config.producer_count = 1;
  rtipc_group *client = nullptr, *server = nullptr;
  if (rtipc_group_create(&config, &client) != 0) return 20;
  std::vector<char> req(static_cast<size_t>(rtipc_group_request(client, nullptr, 0)));
  rtipc_group_request(client, req.data(), req.size());
  std::vector<int> fds(static_cast<size_t>(rtipc_group_fds(client, nullptr, 0)));
  rtipc_group_fds(client, fds.data(), fds.size());
  for (int& fd : fds) fd = ::dup(fd);
  if (rtipc_group_from_request(req.data(), req.size(), fds.data(), fds.size(), nullptr, &server))
    return 21;
  rtipc_producer* p = nullptr;
  rtipc_consumer* c = nullptr;
  if (rtipc_group_take_producer(client, 0, &p) || rtipc_group_take_consumer(server, 0, &c))
    return 22;
  rtipc_notifier_config nc = RTIPC_NOTIFIER_CONFIG_INIT;
  nc.flags = RTIPC_NOTIFIER_REQUIRE;
  nc.idle_ms = 10000;  // awake for the whole stream
  rtipc_notifier* n = nullptr;
  if (rtipc_notifier_create(&nc, &n) || rtipc_producer_set_notifier(p, n)) return 23;
  if (rtipc_producer_notify_mode(p) != RTIPC_NOTIFY_IO_URING) return 24;
  for (int i = 0; i < 10; ++i) {  // warm-up: binds symbols, touches the rings
    static_cast<uint64_t*>(rtipc_producer_msg(p))[0] = 0;
    rtipc_produce(p, RTIPC_PRODUCE_FORCE);
  }
  while (rtipc_consume(c, RTIPC_CONSUME_NEXT) >= RTIPC_NEW) {
  }
  {
    pollfd efd{rtipc_consumer_fd(c), POLLIN, 0};  // the warm-up's 10 counts
    uint64_t one;
    for (int got = 0; got < 10 && ::poll(&efd, 1, 5000) == 1;)
      while (::read(efd.fd, &one, sizeof one) == sizeof one) ++got;
  }
  int result_pipe[2];
  if (::pipe(result_pipe) != 0) return 26;
  std::atomic<uint64_t> acked{0};

  std::atomic<long> producer_tid{0};
  std::atomic<int> stage{0};  // 1: in rtipc_produce, 2: between pushes
  std::thread producer([&] {
    producer_tid = ::syscall(SYS_gettid);
    char result = 0;
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        ::syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, nullptr) != 0)
      result = 1;
    for (uint64_t i = 1; result == 0 && i <= kNotifiedPushes; ++i) {
      static_cast<uint64_t*>(rtipc_producer_msg(p))[0] = i;
      int r;
      stage.store(1, std::memory_order_relaxed);
      while ((r = rtipc_produce(p, RTIPC_PRODUCE_TRY)) == RTIPC_QUEUE_FULL) {
      }
      stage.store(2, std::memory_order_relaxed);
      if (r != RTIPC_PUBLISHED) result = 2;
      // Bursts of 8, then wait (in shared memory) until the consumer has
      // them: the poller's queue (64) never fills, as a full one would make
      // the push write the eventfd itself, a system call.
      if (i % 8 == 0)
        while (acked.load(std::memory_order_acquire) < i) asm volatile("" ::: "memory");
    }
    if (::write(result_pipe[1], &result, 1) != 1) result = 3;
    ::syscall(SYS_exit, 0);  // this thread only; exit_group is not allowed
  });
  producer.detach();

  // Sleep on the eventfd itself and count what the poller wrote: a message
  // is acknowledged only once its count has arrived, so that the poller's
  // queue holds at most a burst, however fast we find messages.
  uint64_t expected = 1, counts = 0;
  pollfd efd{rtipc_consumer_fd(c), POLLIN, 0};
  while (expected <= kNotifiedPushes) {
    if (::poll(&efd, 1, 10000) != 1) {  // no wake-up: did the producer stop?
      pollfd pfd{result_pipe[0], POLLIN, 0};
      char early = 0;
      if (::poll(&pfd, 1, 0) == 1 && ::read(result_pipe[0], &early, 1) == 1) return 50 + early;
      // Still there (spinning for the ack) or killed by seccomp?
      if (::syscall(SYS_tgkill, ::getpid(), producer_tid.load(), 0) == 0) return 33;
      return stage.load() == 1 ? 30 : 35;
    }
    uint64_t one;
    while (::read(efd.fd, &one, sizeof one) == sizeof one) ++counts;  // semaphore: 1 each
    while (rtipc_consume(c, RTIPC_CONSUME_NEXT) >= RTIPC_NEW)
      if (static_cast<const uint64_t*>(rtipc_consumer_msg(c))[0] != expected++) return 31;
    acked.store(std::min(expected - 1, counts), std::memory_order_release);
  }
  for (uint64_t one; counts < kNotifiedPushes && ::poll(&efd, 1, 5000) == 1;)
    while (::read(efd.fd, &one, sizeof one) == sizeof one) ++counts;
  acked.store(std::min(expected - 1, counts), std::memory_order_release);
  if (counts != kNotifiedPushes) return 34;
  char result = -1;
  pollfd done{result_pipe[0], POLLIN, 0};
  if (::poll(&done, 1, 10000) != 1 || ::read(result_pipe[0], &result, 1) != 1)
    return stage.load() == 1 ? 30 : 35;
  return result == 0 ? 0 : 40 + result;
}

TEST(HotPath, PushesThroughTheIoUringNotifierMakeNoSystemCall) {
  if (THREAD_SANITIZER) GTEST_SKIP() << "TSan's runtime makes system calls of its own";
  {
    rtipc_notifier_config nc = RTIPC_NOTIFIER_CONFIG_INIT;
    nc.flags = RTIPC_NOTIFIER_REQUIRE;
    rtipc_notifier* n = nullptr;
    if (rtipc_notifier_create(&nc, &n) != 0)
      GTEST_SKIP() << "no io_uring notifier here: " << rtipc_last_error();
    rtipc_notifier_destroy(n);
  }
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::alarm(60);
    ::_exit(notified_stream());
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_FALSE(WIFSIGNALED(status))
      << "killed by signal " << WTERMSIG(status)
      << " (SIGKILL: a system call in rtipc_produce through the notifier)";
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 41) GTEST_SKIP() << "seccomp is not available";
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "20-26: setup; 30: the producer thread was killed in rtipc_produce (strict seccomp "
         "kills the thread that makes a system call), 35: elsewhere; 33: the consumer was not "
         "woken; 31: wrong message; 34: "
         "not one eventfd count per push; 42: a push failed";
}

}  // namespace
