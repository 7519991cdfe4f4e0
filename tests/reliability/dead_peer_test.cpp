// Dead-peer detection: the peer process is killed (SIGKILL, so it can say
// nothing) while it pushes, while it holds a slot, or while this side
// blocks in rtipc_consumer_wait; this side learns it from
// rtipc_consumer_wait (-EPIPE), rtipc_*_peer_alive (1 -> 0) and a poll on
// rtipc_group_peer_fd, whether the dead peer was the client or the server.
// Two processes, the real handshake.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <thread>

#include "pair.hpp"
#include "thread_syscall.hpp"

namespace reliability {
namespace {

constexpr int kGuardMs = 20000;  // hang guard only: every wait below returns long before

struct Message {
  uint64_t seq;
  uint64_t check;
};

uint64_t checksum(uint64_t seq) {
  return seq * 0x9E3779B97F4A7C15ull;
}

Config one_channel_to_us(uint32_t add_msgs = 6) {
  Config c;
  c.consumers.push_back(test::channel(sizeof(Message), add_msgs, true));
  return c;
}

Config one_channel_to_peer(uint32_t add_msgs = 2) {
  Config c;
  c.producers.push_back(test::channel(sizeof(Message), add_msgs, true));
  return c;
}

// Whether fd turns readable within the hang guard.
bool readable(int fd, int timeout_ms = kGuardMs) {
  pollfd p = {fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

class DeadPeer : public ::testing::TestWithParam<PeerRole> {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()); }
  void TearDown() override {
    if (consumer_) rtipc_consumer_destroy(consumer_);
    if (group_) rtipc_group_destroy(group_);
  }

  // Runs `peer` in the forked peer process, which produces on the one
  // channel to us, and takes this side's consumer of that channel.
  void start_producing_peer(const std::function<int(rtipc_group*)>& peer) {
    child_ = start_pair(dir_, GetParam(), one_channel_to_us(), peer, &group_);
    ASSERT_GT(child_, 0);
    ASSERT_NE(group_, nullptr);
    ASSERT_EQ(rtipc_group_take_consumer(group_, 0, &consumer_), 0);
  }

  test::TempDir dir_;
  pid_t child_ = -1;
  rtipc_group* group_ = nullptr;
  rtipc_consumer* consumer_ = nullptr;
};

// The peer force-pushes numbered messages without end; we kill it mid-stream.
TEST_P(DeadPeer, KilledWhilePushing) {
  test::Pipe pushing;
  ASSERT_NO_FATAL_FAILURE(start_producing_peer([&](rtipc_group* g) {
    rtipc_producer* p = nullptr;
    if (rtipc_group_take_producer(g, 0, &p) != 0) return 1;
    for (uint64_t seq = 1;; ++seq) {
      auto* m = static_cast<Message*>(rtipc_producer_msg(p));
      *m = {seq, checksum(seq)};
      if (rtipc_produce(p, RTIPC_PRODUCE_FORCE) < 0) return 2;
      if (seq == 1000) pushing.put();
    }
  }));
  rtipc_consumer* const c = consumer_;
  EXPECT_EQ(rtipc_group_peer_pid(group_), child_);
  const int peer_fd = rtipc_group_peer_fd(group_);
  ASSERT_GE(peer_fd, 0);

  // The app watches both descriptors with epoll, as a real event loop would.
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  ASSERT_GE(ep, 0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = peer_fd;
  ASSERT_EQ(::epoll_ctl(ep, EPOLL_CTL_ADD, peer_fd, &ev), 0);

  ASSERT_EQ(pushing.get(), 'x');
  EXPECT_EQ(rtipc_consumer_peer_alive(c), 1);
  EXPECT_EQ(::epoll_wait(ep, &ev, 1, 0), 0);  // not readable while the peer runs
  ASSERT_EQ(::kill(child_, SIGKILL), 0);

  ASSERT_EQ(::epoll_wait(ep, &ev, 1, kGuardMs), 1);
  EXPECT_EQ(ev.data.fd, peer_fd);
  EXPECT_EQ(rtipc_consumer_peer_alive(c), 0);

  // Whatever it had published is still there, in order, intact; then -EPIPE.
  uint64_t last = 0, received = 0;
  int r;
  while ((r = rtipc_consumer_wait(c, kGuardMs)) == 1) {
    const int got = rtipc_consume(c, RTIPC_CONSUME_NEXT);
    ASSERT_GE(got, RTIPC_NEW);
    const auto* m = static_cast<const Message*>(rtipc_consumer_msg(c));
    ASSERT_GT(m->seq, last);
    ASSERT_EQ(m->check, checksum(m->seq));
    last = m->seq;
    ++received;
  }
  EXPECT_EQ(r, -EPIPE);
  EXPECT_GE(received, 1u);
  EXPECT_GE(last, 1000u);
  EXPECT_EQ(rtipc_consume(c, RTIPC_CONSUME_NEXT), RTIPC_NO_NEW);
  EXPECT_EQ(rtipc_consumer_wait(c, 0), -EPIPE);  // and stays so
  EXPECT_EQ(test::reap(child_), 128 + SIGKILL);
  ::close(ep);
}

// Messages published before the peer died come first, every one of them.
TEST_P(DeadPeer, PublishedMessagesAreDeliveredBeforeEpipe) {
  constexpr uint64_t kCount = 5;
  test::Pipe done;
  ASSERT_NO_FATAL_FAILURE(start_producing_peer([&](rtipc_group* g) {
    rtipc_producer* p = nullptr;
    if (rtipc_group_take_producer(g, 0, &p) != 0) return 1;
    for (uint64_t seq = 1; seq <= kCount; ++seq) {
      *static_cast<Message*>(rtipc_producer_msg(p)) = {seq, checksum(seq)};
      if (rtipc_produce(p, RTIPC_PRODUCE_TRY) != RTIPC_PUBLISHED) return 2;
    }
    done.put();
    ::pause();
    return 3;
  }));
  rtipc_consumer* const c = consumer_;
  ASSERT_EQ(done.get(), 'x');
  ASSERT_EQ(::kill(child_, SIGKILL), 0);
  ASSERT_TRUE(readable(rtipc_group_peer_fd(group_)));

  for (uint64_t seq = 1; seq <= kCount; ++seq) {
    ASSERT_EQ(rtipc_consumer_wait(c, kGuardMs), 1) << seq;
    ASSERT_EQ(rtipc_consume(c, RTIPC_CONSUME_NEXT), RTIPC_NEW);
    EXPECT_EQ(static_cast<const Message*>(rtipc_consumer_msg(c))->seq, seq);
  }
  EXPECT_EQ(rtipc_consumer_wait(c, kGuardMs), -EPIPE);
  EXPECT_EQ(test::reap(child_), 128 + SIGKILL);
}

// The peer consumes and holds a slot when it dies. Our producer carries on
// (force never fails, try fills up) and never writes the dead peer's slot.
TEST_P(DeadPeer, KilledWhileHoldingASlot) {
  test::Pipe holding;
  rtipc_group* group = nullptr;
  const pid_t child = start_pair(
      dir_, GetParam(), one_channel_to_peer(),
      [&](rtipc_group* g) {
        rtipc_consumer* c = nullptr;
        if (rtipc_group_take_consumer(g, 0, &c) != 0) return 1;
        if (rtipc_consumer_wait(c, kGuardMs) != 1) return 2;
        if (rtipc_consume(c, RTIPC_CONSUME_NEXT) != RTIPC_NEW) return 3;
        const auto* m = static_cast<const Message*>(rtipc_consumer_msg(c));
        holding.put(static_cast<char>(m->seq));  // reading it, "forever"
        ::pause();
        return 4;
      },
      &group);
  ASSERT_GT(child, 0);
  rtipc_producer* p = nullptr;
  ASSERT_EQ(rtipc_group_take_producer(group, 0, &p), 0);
  rtipc_group_destroy(group);  // the producer watches the peer on its own

  auto* held = static_cast<Message*>(rtipc_producer_msg(p));
  *held = {1, checksum(1)};
  ASSERT_EQ(rtipc_produce(p, RTIPC_PRODUCE_TRY), RTIPC_PUBLISHED);
  ASSERT_EQ(holding.get(), 1);
  EXPECT_EQ(rtipc_producer_peer_alive(p), 1);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  EXPECT_EQ(test::reap(child), 128 + SIGKILL);  // reaped: gone for good
  EXPECT_EQ(rtipc_producer_peer_alive(p), 0);

  const uint32_t n = rtipc_producer_slots(p);
  int full = 0;
  for (uint64_t seq = 2; seq < 200; ++seq) {
    auto* m = static_cast<Message*>(rtipc_producer_msg(p));
    ASSERT_NE(m, held) << seq;
    *m = {seq, checksum(seq)};
    const int r = rtipc_produce(p, seq % 2 ? RTIPC_PRODUCE_FORCE : RTIPC_PRODUCE_TRY);
    ASSERT_GE(r, 0) << seq;
    full += r == RTIPC_QUEUE_FULL;
  }
  EXPECT_GT(full, 0);  // nobody drains the queue
  EXPECT_EQ(held->seq, 1u);
  EXPECT_EQ(held->check, checksum(1));
  EXPECT_GE(n, 3u);
  rtipc_producer_destroy(p);
}

using test_support::syscall_of;

// poll or epoll: the consumer's wait sleeps in epoll_wait.
bool is_poll(long nr) {
#ifdef SYS_poll
  if (nr == SYS_poll) return true;
#endif
#ifdef SYS_epoll_wait
  if (nr == SYS_epoll_wait) return true;
#endif
  return nr == SYS_ppoll || nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2;
}

// We block in rtipc_consumer_wait(-1-like) when the peer dies: the wait
// returns -EPIPE.
TEST_P(DeadPeer, BlockedWaiterGetsEpipe) {
  test::Pipe connected;
  ASSERT_NO_FATAL_FAILURE(start_producing_peer([&](rtipc_group*) {
    connected.put();
    ::pause();  // never produces
    return 1;
  }));
  rtipc_consumer* const c = consumer_;
  ASSERT_EQ(connected.get(), 'x');
  EXPECT_EQ(rtipc_consumer_wait(c, 0), 0);  // alive, nothing there: plain timeout

  // Kill the peer once this thread sleeps in the wait's poll; the sleep
  // itself is observed through /proc, not assumed after a delay.
  const pid_t waiter = static_cast<pid_t>(::syscall(SYS_gettid));
  std::atomic<bool> seen_blocked{false};
  std::thread killer([&] {
    for (int i = 0; i < 200000 && !is_poll(syscall_of(waiter)); ++i) std::this_thread::yield();
    seen_blocked = is_poll(syscall_of(waiter));
    ::kill(child_, SIGKILL);
  });
  const int r = rtipc_consumer_wait(c, kGuardMs);
  killer.join();
  EXPECT_TRUE(seen_blocked);
  EXPECT_EQ(r, -EPIPE);
  EXPECT_EQ(rtipc_consumer_peer_alive(c), 0);
  EXPECT_TRUE(readable(rtipc_group_peer_fd(group_), 0));
  EXPECT_EQ(test::reap(child_), 128 + SIGKILL);
}

// A peer that exits normally (not killed) is just as dead, and the consumer
// knows it after its group is gone.
TEST_P(DeadPeer, CleanExitAfterGroupDestroyed) {
  test::Pipe go;
  ASSERT_NO_FATAL_FAILURE(
      start_producing_peer([&](rtipc_group*) { return go.get() == 'x' ? 0 : 1; }));
  rtipc_consumer* const c = consumer_;
  rtipc_group_destroy(group_);
  group_ = nullptr;
  EXPECT_EQ(rtipc_consumer_peer_alive(c), 1);
  go.put();
  EXPECT_EQ(rtipc_consumer_wait(c, kGuardMs), -EPIPE);
  EXPECT_EQ(rtipc_consumer_peer_alive(c), 0);
  EXPECT_EQ(test::reap(child_), 0);
}

INSTANTIATE_TEST_SUITE_P(Roles, DeadPeer, ::testing::Values(PeerRole::kClient, PeerRole::kServer),
                         [](const auto& info) {
                           return std::string("peer_is_") + role_name(info.param);
                         });

// Groups that saw no handshake know no peer.
TEST(NoPeer, GroupsWithoutHandshake) {
  Config config;
  config.producers.push_back(test::channel(8, 0, true));
  const rtipc_group_config c = config.get();
  rtipc_group* client = nullptr;
  ASSERT_EQ(rtipc_group_create(&c, &client), 0);
  EXPECT_EQ(rtipc_group_peer_pid(client), 0);
  EXPECT_EQ(rtipc_group_peer_fd(client), -ENOTSUP);

  int fds[2];
  ASSERT_EQ(rtipc_group_fds(client, fds, 2), 2);
  char request[256];
  const int len = rtipc_group_request(client, request, sizeof request);
  ASSERT_GT(len, 0);
  const int dups[2] = {::fcntl(fds[0], F_DUPFD_CLOEXEC, 0), ::fcntl(fds[1], F_DUPFD_CLOEXEC, 0)};
  rtipc_group* server = nullptr;
  ASSERT_EQ(rtipc_group_from_request(request, static_cast<size_t>(len), dups, 2, nullptr, &server),
            0);
  EXPECT_EQ(rtipc_group_peer_pid(server), 0);
  EXPECT_EQ(rtipc_group_peer_fd(server), -ENOTSUP);

  rtipc_producer* p = nullptr;
  rtipc_consumer* k = nullptr;
  ASSERT_EQ(rtipc_group_take_producer(client, 0, &p), 0);
  ASSERT_EQ(rtipc_group_take_consumer(server, 0, &k), 0);
  EXPECT_EQ(rtipc_producer_peer_alive(p), -ENOTSUP);
  EXPECT_EQ(rtipc_consumer_peer_alive(k), -ENOTSUP);
  EXPECT_EQ(rtipc_consumer_wait(k, 0), 0);  // no peer to lose: a plain timeout
  std::memset(rtipc_producer_msg(p), 7, 8);
  ASSERT_EQ(rtipc_produce(p, RTIPC_PRODUCE_FORCE), RTIPC_PUBLISHED);
  EXPECT_EQ(rtipc_consumer_wait(k, kGuardMs), 1);
  rtipc_producer_destroy(p);
  rtipc_consumer_destroy(k);
  rtipc_group_destroy(client);
  rtipc_group_destroy(server);
}

}  // namespace
}  // namespace reliability
