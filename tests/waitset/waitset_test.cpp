// The waitset on both backends: what it reports and when, with channels in
// this process (rules, errors, threads) and with a forked producing peer
// (no lost wake-up, many channels, a peer killed while we wait).
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <time.h>

#include <atomic>
#include <set>
#include <thread>

#include "support.hpp"

namespace {

using wstest::LocalPairs;
using wstest::push;

class Waitset : public testing::TestWithParam<unsigned> {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_IO_URING(GetParam() == RTIPC_WAITSET_IO_URING);
    ws_ = wstest::make_waitset(GetParam());
    ASSERT_NE(ws_, nullptr);
    ASSERT_EQ(rtipc_waitset_backend(ws_), GetParam());
  }
  void TearDown() override { rtipc_waitset_destroy(ws_); }

  // Waits and returns the events (fails the test on an error).
  std::vector<rtipc_waitset_event> wait(int timeout_ms, uint32_t max = 64) {
    std::vector<rtipc_waitset_event> ev(max);
    const int n = rtipc_waitset_wait(ws_, ev.data(), max, timeout_ms);
    EXPECT_GE(n, 0) << rtipc_strerror(n) << ": " << rtipc_last_error();
    ev.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return ev;
  }

  static void drain(rtipc_consumer* c) {
    while (rtipc_consume(c, RTIPC_CONSUME_NEXT) >= RTIPC_NEW) {
    }
  }

  rtipc_waitset* ws_ = nullptr;
};

TEST_P(Waitset, FindsAMessageThatCameBeforeTheWait) {
  LocalPairs p(1);
  ASSERT_EQ(rtipc_waitset_add_consumer(ws_, p.consumers[0], 7), 0) << rtipc_last_error();
  ASSERT_EQ(push(p.producers[0], 1), RTIPC_PUBLISHED);
  const auto ev = wait(-1);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].key, 7u);
  EXPECT_EQ(ev[0].ready, RTIPC_READY_MESSAGE);
  EXPECT_EQ(ev[0].revents, 0u);
  // Reported while it is there, and not once it is consumed: the counts the
  // pushes left in the eventfd do not make it ready again.
  EXPECT_EQ(wait(0).size(), 1u);
  drain(p.consumers[0]);
  EXPECT_TRUE(wait(0).empty());
  EXPECT_TRUE(wait(20).empty());
}

TEST_P(Waitset, ReportsSeveralReadyAtOnceAndOnlyThose) {
  LocalPairs p(8);
  for (uint32_t i = 0; i < 8; ++i)
    ASSERT_EQ(rtipc_waitset_add_consumer(ws_, p.consumers[i], 100 + i), 0);
  for (uint32_t i : {1u, 4u, 6u}) push(p.producers[i], i);
  const auto ev = wait(-1);
  std::set<uint64_t> keys;
  for (const auto& e : ev) {
    EXPECT_EQ(e.ready, RTIPC_READY_MESSAGE);
    keys.insert(e.key);
  }
  EXPECT_EQ(keys, (std::set<uint64_t>{101, 104, 106}));
}

TEST_P(Waitset, ASmallArrayTakesTurns) {
  LocalPairs p(3);
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_EQ(rtipc_waitset_add_consumer(ws_, p.consumers[i], i), 0);
    push(p.producers[i], i);
  }
  std::set<uint64_t> seen;
  for (int k = 0; k < 3; ++k) {
    const auto ev = wait(-1, 1);
    ASSERT_EQ(ev.size(), 1u);
    seen.insert(ev[0].key);
  }
  EXPECT_EQ(seen.size(), 3u) << "with max 1, three waits report three different consumers";
}

TEST_P(Waitset, WakesForAMessagePushedByAnotherThreadWhileItSleeps) {
  LocalPairs p(2);
  ASSERT_EQ(rtipc_waitset_add_consumer(ws_, p.consumers[0], 0), 0);
  ASSERT_EQ(rtipc_waitset_add_consumer(ws_, p.consumers[1], 1), 0);
  std::thread t([&] {
    ::usleep(20000);
    push(p.producers[1], 5);
  });
  const auto ev = wait(10000);
  t.join();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].key, 1u);
}

TEST_P(Waitset, PlainDescriptorsAreLevelTriggered) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ASSERT_EQ(rtipc_waitset_add_fd(ws_, fds[0], POLLIN, 42), 0) << rtipc_last_error();
  EXPECT_TRUE(wait(0).empty());
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  for (int k = 0; k < 2; ++k) {  // reported again while it holds
    const auto ev = wait(5000);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].key, 42u);
    EXPECT_EQ(ev[0].ready, RTIPC_READY_FD);
    EXPECT_TRUE(ev[0].revents & POLLIN);
  }
  char c;
  ASSERT_EQ(::read(fds[0], &c, 1), 1);
  EXPECT_TRUE(wait(0).empty());
  EXPECT_EQ(rtipc_waitset_remove_fd(ws_, fds[0]), 0);
  EXPECT_EQ(rtipc_waitset_remove_fd(ws_, fds[0]), -ENOENT);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_P(Waitset, AFloodedEventfdCostsNothing) {
  LocalPairs p(2);
  ASSERT_EQ(rtipc_waitset_add_consumer(ws_, p.consumers[0], 0), 0);
  ASSERT_EQ(rtipc_waitset_add_consumer(ws_, p.consumers[1], 1), 0);
  // The peer's side of the counter, filled to the brim.
  const uint64_t flood = 0xfffffffffffffffeull;
  ASSERT_EQ(::write(rtipc_producer_fd(p.producers[0]), &flood, sizeof flood), 8);
  wait(0);  // whatever the edge of the flood itself reported
  timespec c0, c1;
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  EXPECT_TRUE(wait(300).empty()) << "a full counter with nothing new is not a message";
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  const double cpu_ms = double(c1.tv_sec - c0.tv_sec) * 1e3 + double(c1.tv_nsec - c0.tv_nsec) / 1e6;
  EXPECT_LT(cpu_ms, 100.0) << "a 300 ms wait on a flooded eventfd must sleep";
  // A message on the flooded channel is still found by the look before the
  // sleep, and the other channel still wakes the sleep.
  push(p.producers[0], 1);
  auto ev = wait(-1);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].key, 0u);
  drain(p.consumers[0]);
  std::thread t([&] {
    ::usleep(20000);
    push(p.producers[1], 2);
  });
  ev = wait(10000);
  t.join();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].key, 1u);
}

TEST_P(Waitset, RemovedWhileAnotherThreadWaits) {
  auto* p = new LocalPairs(2);
  ASSERT_EQ(rtipc_waitset_add_consumer(ws_, p->consumers[0], 0), 0);
  ASSERT_EQ(rtipc_waitset_add_consumer(ws_, p->consumers[1], 1), 0);
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ASSERT_EQ(rtipc_waitset_add_fd(ws_, fds[0], POLLIN, 2), 0);
  // This thread waits; the other removes a consumer and a pipe, destroys
  // and closes them, makes them ready anyway, and only then pushes on the
  // consumer still in the set. The waitset must not touch what was removed
  // (AddressSanitizer would see it) nor report it.
  std::thread other([&] {
    ::usleep(10000);
    EXPECT_EQ(rtipc_waitset_remove_consumer(ws_, p->consumers[0]), 0);
    EXPECT_EQ(rtipc_waitset_remove_fd(ws_, fds[0]), 0);
    push(p->producers[0], 1);
    rtipc_consumer_destroy(p->consumers[0]);
    p->consumers[0] = nullptr;
    EXPECT_EQ(::write(fds[1], "x", 1), 1);
    ::close(fds[0]);
    ::close(fds[1]);
    ::usleep(10000);
    push(p->producers[1], 2);
  });
  std::vector<rtipc_waitset_event> ev;
  for (int k = 0; k < 100 && ev.empty(); ++k) ev = wait(10000);
  other.join();
  ASSERT_FALSE(ev.empty());
  for (const auto& e : ev) EXPECT_EQ(e.key, 1u) << "only the consumer still in the set";
  delete p;
}

TEST_P(Waitset, ItsDescriptorWorksInAnOuterEventLoop) {
  LocalPairs p(1);
  ASSERT_EQ(rtipc_waitset_add_consumer(ws_, p.consumers[0], 9), 0);
  wait(0);
  pollfd pfd{rtipc_waitset_fd(ws_), POLLIN, 0};
  ASSERT_GE(pfd.fd, 0);
  EXPECT_EQ(::poll(&pfd, 1, 0), 0) << "nothing fired yet";
  std::thread t([&] {
    ::usleep(20000);
    push(p.producers[0], 1);
  });
  EXPECT_EQ(::poll(&pfd, 1, 10000), 1);
  t.join();
  const auto ev = wait(0);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].key, 9u);
}

void on_signal(int) {}

TEST_P(Waitset, ASignalInterruptsTheWait) {
  LocalPairs p(1);
  ASSERT_EQ(rtipc_waitset_add_consumer(ws_, p.consumers[0], 0), 0);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;  // -EINTR whatever SA_RESTART says
  struct sigaction old {};
  ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);
  const pthread_t self = ::pthread_self();
  std::atomic<bool> done{false};
  std::thread t([&] {
    while (!done) {
      ::pthread_kill(self, SIGUSR1);
      ::usleep(5000);
    }
  });
  rtipc_waitset_event ev[4];
  const int r = rtipc_waitset_wait(ws_, ev, 4, 20000);
  done = true;
  t.join();
  ::sigaction(SIGUSR1, &old, nullptr);
  EXPECT_EQ(r, -EINTR);
}

TEST_P(Waitset, RefusesWhatItCannotWatch) {
  LocalPairs no_eventfd(1, 0);
  EXPECT_EQ(rtipc_waitset_add_consumer(ws_, no_eventfd.consumers[0], 0), -ENOTSUP);
  LocalPairs p(1);
  ASSERT_EQ(rtipc_waitset_add_consumer(ws_, p.consumers[0], 0), 0);
  EXPECT_EQ(rtipc_waitset_add_consumer(ws_, p.consumers[0], 1), -EEXIST);
  EXPECT_EQ(rtipc_waitset_remove_consumer(ws_, no_eventfd.consumers[0]), -ENOENT);
  const int file = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(file, 0);
  EXPECT_EQ(rtipc_waitset_add_fd(ws_, file, POLLIN, 0), -EPERM);
  ::close(file);
  EXPECT_EQ(rtipc_waitset_add_fd(ws_, -1, POLLIN, 0), -EINVAL);
  rtipc_waitset_event ev;
  EXPECT_EQ(rtipc_waitset_wait(ws_, &ev, 0, 0), -EINVAL);
  EXPECT_EQ(rtipc_waitset_wait(ws_, nullptr, 1, 0), -EINVAL);
}

TEST_P(Waitset, SpinsBeforeItSleeps) {
  rtipc_waitset* spinning = wstest::make_waitset(GetParam(), 2'000'000);
  LocalPairs p(1);
  ASSERT_EQ(rtipc_waitset_add_consumer(spinning, p.consumers[0], 3), 0);
  std::thread t([&] { push(p.producers[0], 1); });
  rtipc_waitset_event ev[2];
  EXPECT_EQ(rtipc_waitset_wait(spinning, ev, 2, 10000), 1);
  EXPECT_EQ(ev[0].key, 3u);
  t.join();
  EXPECT_EQ(rtipc_waitset_wait(spinning, ev, 2, 0), 1) << "timeout 0 bounds the spin";
  rtipc_waitset_destroy(spinning);
}

// ---- Two processes ----

// The peer pushes `total` numbered messages with random pauses, retrying
// while the queue is full (nothing is lost); we wait, drain and pause at
// random. A lost wake-up shows as a wait that times out with messages
// missing.
void expect_no_lost_wakeup(rtipc_waitset* ws, uint64_t total, bool notifier) {
  wstest::RemoteProducer peer(1, 6, [&](std::vector<rtipc_producer*>& prods) {
    rtipc_notifier* n = nullptr;
    if (notifier) {
      rtipc_notifier_config c = RTIPC_NOTIFIER_CONFIG_INIT;
      c.flags = RTIPC_NOTIFIER_REQUIRE;
      c.idle_ms = 50;  // sleeps now and then: the wake-up path is tested too
      if (rtipc_notifier_create(&c, &n) != 0 || rtipc_producer_set_notifier(prods[0], n) != 0)
        return 20;
    }
    uint64_t s = 0x1234567;
    for (uint64_t i = 1; i <= total; ++i) {
      while (push(prods[0], i, RTIPC_PRODUCE_TRY) == RTIPC_QUEUE_FULL) wstest::random_pause(&s);
      if (i % 64 == 0) wstest::random_pause(&s);
    }
    rtipc_producer_destroy(prods[0]);  // detaches: queued counts are written
    prods[0] = nullptr;
    rtipc_notifier_destroy(n);
    return 0;
  });
  ASSERT_TRUE(peer.ok());
  rtipc_consumer* c = peer.consumers()[0];
  ASSERT_EQ(rtipc_waitset_add_consumer(ws, c, 1), 0);
  uint64_t expected = 1, s = 0x7654321;
  rtipc_waitset_event ev[4];
  while (expected <= total) {
    const int n = rtipc_waitset_wait(ws, ev, 4, 10000);
    ASSERT_GT(n, 0) << "no wake-up within 10 s at message " << expected << " of " << total;
    if (ev[0].ready & RTIPC_READY_PEER_GONE) {
      ASSERT_TRUE(ev[0].ready & RTIPC_READY_MESSAGE)
          << "the peer is gone (exit " << peer.join() << ") at message " << expected;
    }
    int r;
    while ((r = rtipc_consume(c, RTIPC_CONSUME_NEXT)) >= RTIPC_NEW) {
      ASSERT_EQ(r, RTIPC_NEW);
      const auto* m = static_cast<const uint64_t*>(rtipc_consumer_msg(c));
      ASSERT_EQ(m[0], expected);
      ++expected;
    }
    wstest::random_pause(&s);
  }
  rtipc_waitset_remove_consumer(ws, c);
  EXPECT_EQ(peer.join(), 0);
}

TEST_P(Waitset, NoLostWakeUpAcrossAMillionPushes) {
  expect_no_lost_wakeup(ws_, 1'000'000, false);
}

// The same through the io_uring notifier, whose poller sleeps every 50 ms
// without work: pushes that wake it are part of the stream.
TEST_P(Waitset, NoLostWakeUpWithTheIoUringNotifier) {
  SKIP_WITHOUT_IO_URING(true);
  expect_no_lost_wakeup(ws_, 200'000, true);  // three busy threads on this VM's CPUs
}

TEST_P(Waitset, ManyChannelsOneReadyAtATime) {
  constexpr uint32_t kChannels = 64;
  int ack[2];
  ASSERT_EQ(::pipe(ack), 0);
  wstest::RemoteProducer peer(kChannels, 0, [&](std::vector<rtipc_producer*>& prods) {
    ::close(ack[1]);
    uint64_t s = 99;
    for (uint64_t round = 1; round <= 2000; ++round) {
      push(prods[wstest::next_random(&s) % kChannels], round);
      char c;
      if (::read(ack[0], &c, 1) != 1) return 30;  // wait until it was taken
    }
    return 0;
  });
  ::close(ack[0]);
  ASSERT_TRUE(peer.ok());
  for (uint32_t i = 0; i < kChannels; ++i)
    ASSERT_EQ(rtipc_waitset_add_consumer(ws_, peer.consumers()[i], i), 0);
  uint64_t s = 99;
  for (uint64_t round = 1; round <= 2000; ++round) {
    const uint64_t channel = wstest::next_random(&s) % kChannels;
    const auto ev = wait(10000);
    ASSERT_EQ(ev.size(), 1u) << "round " << round;
    ASSERT_EQ(ev[0].key, channel);
    rtipc_consumer* c = peer.consumers()[channel];
    ASSERT_EQ(rtipc_consume(c, RTIPC_CONSUME_NEXT), RTIPC_NEW);
    ASSERT_EQ(static_cast<const uint64_t*>(rtipc_consumer_msg(c))[0], round);
    ASSERT_EQ(::write(ack[1], "k", 1), 1);
  }
  ::close(ack[1]);
  for (auto* c : peer.consumers()) rtipc_waitset_remove_consumer(ws_, c);
  EXPECT_EQ(peer.join(), 0);
}

TEST_P(Waitset, APeerKilledWhileWeWait) {
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  wstest::RemoteProducer peer(2, 0, [&](std::vector<rtipc_producer*>& prods) {
    push(prods[1], 77);  // published before it dies: still reported
    char c;
    return ::read(go[0], &c, 1) < 0 ? 40 : 41;  // killed while blocked here
  });
  ASSERT_TRUE(peer.ok());
  ASSERT_EQ(rtipc_waitset_add_consumer(ws_, peer.consumers()[0], 10), 0);
  const int pidfd = rtipc_group_peer_fd(peer.group());
  ASSERT_GE(pidfd, 0);
  ASSERT_EQ(rtipc_waitset_add_peer(ws_, pidfd, 12), 0);
  ASSERT_EQ(rtipc_waitset_add_consumer(ws_, peer.consumers()[1], 11), 0);
  auto ev = wait(10000);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].key, 11u);
  EXPECT_EQ(ev[0].ready, RTIPC_READY_MESSAGE);
  std::thread killer([&] {
    ::usleep(20000);
    ::kill(peer.pid(), SIGKILL);
  });
  // Still not consumed: channel 11 keeps being reported, so drop it now.
  ASSERT_EQ(rtipc_waitset_remove_consumer(ws_, peer.consumers()[1]), 0);
  ev = wait(10000);
  killer.join();
  EXPECT_EQ(peer.join(), 128 + SIGKILL);
  ASSERT_FALSE(ev.empty());
  std::set<uint64_t> keys;
  for (const auto& e : ev) {
    EXPECT_TRUE(e.ready & RTIPC_READY_PEER_GONE) << "key " << e.key;
    keys.insert(e.key);
  }
  // The pidfd and the consumer wake together or one after the other.
  if (keys.size() < 2)
    for (const auto& e : wait(10000)) keys.insert(e.key);
  EXPECT_EQ(keys, (std::set<uint64_t>{10, 12}));
  // And on every wait from then on, until removed.
  EXPECT_FALSE(wait(0).empty());
  rtipc_waitset_remove_consumer(ws_, peer.consumers()[0]);
  rtipc_waitset_remove_fd(ws_, pidfd);
  EXPECT_TRUE(wait(0).empty());
  ::close(go[0]);
  ::close(go[1]);
}

INSTANTIATE_TEST_SUITE_P(Backends, Waitset,
                         testing::Values(RTIPC_WAITSET_EPOLL, RTIPC_WAITSET_IO_URING),
                         [](const testing::TestParamInfo<unsigned>& i) {
                           return std::string(wstest::backend_name(i.param));
                         });

}  // namespace
