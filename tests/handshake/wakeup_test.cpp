// Eventfd notification (docs/protocol.md §8) across the handshake: a blocked
// consumer wakes for one push, no wake-up is lost under a long random
// stream, poll/epoll on the descriptor work, stale counts are drained, and
// spinning finds messages without an eventfd.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "helpers.hpp"

namespace {

// A group with one client-to-server channel (the client's producer 0).
rtipc_group_config one_channel(const rtipc_channel_config* ch) {
  return test::group_config(ch, 1);
}

// Both ends of a group in this process: the handshake over a socketpair,
// the client in a thread.
struct LocalPair {
  explicit LocalPair(const rtipc_group_config& config) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return;
    std::thread client([&] { rtipc_client_connect_socket(sv[1], &config, 5000, &client_group); });
    rtipc_server_accept_socket(sv[0], nullptr, 5000, &server_group);
    client.join();
    ::close(sv[0]);
    ::close(sv[1]);
    if (client_group && server_group) {
      rtipc_group_take_producer(client_group, 0, &producer);
      rtipc_group_take_consumer(server_group, 0, &consumer);
    }
  }
  ~LocalPair() {
    rtipc_producer_destroy(producer);
    rtipc_consumer_destroy(consumer);
    rtipc_group_destroy(client_group);
    rtipc_group_destroy(server_group);
  }
  bool ok() const { return producer && consumer; }
  void push(uint64_t value) {
    std::memcpy(rtipc_producer_msg(producer), &value, sizeof value);
    rtipc_produce(producer, RTIPC_PRODUCE_FORCE);
  }
  rtipc_group* client_group = nullptr;
  rtipc_group* server_group = nullptr;
  rtipc_producer* producer = nullptr;
  rtipc_consumer* consumer = nullptr;
};

bool readable(int fd) {
  pollfd p = {fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

// Cross-process: the child is the client (it produces), the parent the
// server (it consumes), or the other way round with `child_consumes`.
struct ProcessPair {
  int sv[2] = {-1, -1};
  ProcessPair() { ::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv); }
  ~ProcessPair() {
    ::close(sv[0]);
    ::close(sv[1]);
  }
  // In the child: the client's group.
  rtipc_group* client(const rtipc_group_config& config) {
    rtipc_group* g = nullptr;
    return rtipc_client_connect_socket(sv[1], &config, 10000, &g) == 0 ? g : nullptr;
  }
  rtipc_group* server() {
    rtipc_group* g = nullptr;
    return rtipc_server_accept_socket(sv[0], nullptr, 10000, &g) == 0 ? g : nullptr;
  }
};

char process_state(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t paren = all.rfind(')');
  return paren == std::string::npos || paren + 2 >= all.size() ? '?' : all[paren + 2];
}

TEST(Wakeup, BlockedConsumerInAnotherProcessWakesForOnePush) {
  ProcessPair pair;
  test::Pipe ready;
  // The server produces here: the client's consumer 0.
  const rtipc_channel_config ch = test::channel(sizeof(uint64_t), 0, true);
  const rtipc_group_config config = test::group_config(nullptr, 0, &ch, 1);
  const pid_t child = test::spawn([&] {
    rtipc_group* g = pair.client(config);
    rtipc_consumer* c;
    if (!g || rtipc_group_take_consumer(g, 0, &c) != 0) return 1;
    ready.put();
    if (rtipc_consumer_wait(c, -1) != 1) return 2;
    if (rtipc_consume(c, RTIPC_CONSUME_NEXT) != RTIPC_NEW) return 3;
    uint64_t v;
    std::memcpy(&v, rtipc_consumer_msg(c), sizeof v);
    return v == 0xfeed ? 0 : 4;
  });
  rtipc_group* g = pair.server();
  ASSERT_NE(g, nullptr);
  rtipc_producer* p;
  ASSERT_EQ(rtipc_group_take_producer(g, 0, &p), 0);
  ASSERT_NE(ready.get(), -1);
  // Push only once the child sleeps in the kernel (hang guard: 10 s).
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (process_state(child) != 'S' && std::chrono::steady_clock::now() < limit) sched_yield();
  ASSERT_EQ(process_state(child), 'S');
  const uint64_t v = 0xfeed;
  std::memcpy(rtipc_producer_msg(p), &v, sizeof v);
  ASSERT_EQ(rtipc_produce(p, RTIPC_PRODUCE_FORCE), RTIPC_PUBLISHED);
  EXPECT_EQ(test::reap(child), 0);
  rtipc_producer_destroy(p);
  rtipc_group_destroy(g);
}

// Producer (this process) pushes kCount numbers with random pauses and never
// discards (TRY, retried); the consumer (child) alternates waiting with
// taking one message or all of them, and checks every number in order. A
// lost wake-up leaves the child asleep: its alarm then fails the test.
TEST(Wakeup, NoLostWakeUpAcrossAMillionPushes) {
  constexpr uint64_t kCount = 1'000'000;
  ProcessPair pair;
  rtipc_channel_config ch = test::channel(sizeof(uint64_t), 5, true);
  const rtipc_group_config config = one_channel(&ch);
  const pid_t child = test::spawn(
      [&] {
        rtipc_group* g = pair.server();
        rtipc_consumer* c;
        if (!g || rtipc_group_take_consumer(g, 0, &c) != 0) return 1;
        std::minstd_rand rng(7);
        uint64_t expected = 0;
        while (expected < kCount) {
          if (rtipc_consumer_wait(c, -1) != 1) return 2;
          const bool drain = rng() & 1;
          int r;
          do {
            r = rtipc_consume(c, RTIPC_CONSUME_NEXT);
            if (r == RTIPC_NEW) {
              uint64_t v;
              std::memcpy(&v, rtipc_consumer_msg(c), sizeof v);
              if (v != expected++) return 3;
            } else if (r != RTIPC_NO_NEW) {
              return 4;  // a gap or an error: TRY never discards
            }
          } while (drain && r == RTIPC_NEW);
        }
        return 0;
      },
      60);
  rtipc_group* g = pair.client(config);
  ASSERT_NE(g, nullptr);
  rtipc_producer* p;
  ASSERT_EQ(rtipc_group_take_producer(g, 0, &p), 0);
  std::minstd_rand rng(11);
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (uint64_t i = 0; i < kCount; ++i) {
    std::memcpy(rtipc_producer_msg(p), &i, sizeof i);
    int r;
    while ((r = rtipc_produce(p, RTIPC_PRODUCE_TRY)) == RTIPC_QUEUE_FULL) {
      sched_yield();
      ASSERT_LT(std::chrono::steady_clock::now(), limit) << "consumer stuck at " << i;
    }
    ASSERT_EQ(r, RTIPC_PUBLISHED);
    const uint32_t dice = rng();
    if (dice % 64 == 0) sched_yield();
    if (dice % 512 == 1)
      for (uint32_t k = 0; k < dice % 20000; ++k) asm volatile("");
  }
  EXPECT_EQ(test::reap(child), 0);
  rtipc_producer_destroy(p);
  rtipc_group_destroy(g);
}

TEST(Wakeup, EpollOnTheConsumerDescriptor) {
  constexpr uint64_t kCount = 1000;
  ProcessPair pair;
  rtipc_channel_config ch = test::channel(sizeof(uint64_t), 3, true);
  const rtipc_group_config config = one_channel(&ch);
  const pid_t child = test::spawn([&] {
    rtipc_group* g = pair.client(config);
    rtipc_producer* p;
    if (!g || rtipc_group_take_producer(g, 0, &p) != 0) return 1;
    for (uint64_t i = 0; i < kCount; ++i) {
      std::memcpy(rtipc_producer_msg(p), &i, sizeof i);
      while (rtipc_produce(p, RTIPC_PRODUCE_TRY) == RTIPC_QUEUE_FULL) sched_yield();
    }
    return 0;
  });
  rtipc_group* g = pair.server();
  ASSERT_NE(g, nullptr);
  rtipc_consumer* c;
  ASSERT_EQ(rtipc_group_take_consumer(g, 0, &c), 0);
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ASSERT_EQ(::epoll_ctl(ep, EPOLL_CTL_ADD, rtipc_consumer_fd(c), &ev), 0);
  uint64_t expected = 0;
  while (expected < kCount) {
    epoll_event out;
    ASSERT_EQ(::epoll_wait(ep, &out, 1, 10000), 1) << "no event at " << expected;
    // Read what is there, then take the counts of what we read, as the
    // header asks; a message that came meanwhile makes the wait say 1 (its
    // count may be taken already), so read again.
    do {
      int r;
      while ((r = rtipc_consume(c, RTIPC_CONSUME_NEXT)) == RTIPC_NEW) {
        uint64_t v;
        std::memcpy(&v, rtipc_consumer_msg(c), sizeof v);
        ASSERT_EQ(v, expected++);
      }
      ASSERT_TRUE(r == RTIPC_NO_NEW || r == RTIPC_NOTHING_PRODUCED) << r;
    } while (rtipc_consumer_wait(c, 0) == 1);
  }
  EXPECT_EQ(test::reap(child), 0);
  // Everything read, every count taken: the descriptor is quiet.
  EXPECT_EQ(rtipc_consumer_wait(c, 0), 0);
  EXPECT_FALSE(readable(rtipc_consumer_fd(c)));
  ::close(ep);
  rtipc_consumer_destroy(c);
  rtipc_group_destroy(g);
}

TEST(Wakeup, StaleCountsAreDrainedNotReported) {
  rtipc_channel_config ch = test::channel(sizeof(uint64_t), 8, true);
  LocalPair pair(one_channel(&ch));
  ASSERT_TRUE(pair.ok());
  for (uint64_t i = 0; i < 5; ++i) pair.push(i);
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(rtipc_consume(pair.consumer, RTIPC_CONSUME_NEXT), RTIPC_NEW);
  ASSERT_EQ(rtipc_consume(pair.consumer, RTIPC_CONSUME_NEXT), RTIPC_NO_NEW);
  const int fd = rtipc_consumer_fd(pair.consumer);
  EXPECT_TRUE(readable(fd));                             // five counts for messages already read
  EXPECT_EQ(rtipc_consumer_wait(pair.consumer, 20), 0);  // not woken for them
  EXPECT_FALSE(readable(fd));
  EXPECT_EQ(rtipc_consumer_wait(pair.consumer, 0), 0);

  pair.push(5);
  EXPECT_EQ(rtipc_consumer_wait(pair.consumer, 0), 1);
  EXPECT_EQ(rtipc_consume(pair.consumer, RTIPC_CONSUME_NEXT), RTIPC_NEW);
  EXPECT_EQ(rtipc_consumer_wait(pair.consumer, 0), 0);
  EXPECT_FALSE(readable(fd));
}

TEST(Wakeup, WaitBeforeTheFirstMessage) {
  rtipc_channel_config ch = test::channel(sizeof(uint64_t), 0, true);
  LocalPair pair(one_channel(&ch));
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(rtipc_consumer_wait(pair.consumer, 0), 0);
  pair.push(1);
  EXPECT_EQ(rtipc_consumer_wait(pair.consumer, -1), 1);
  EXPECT_EQ(rtipc_consumer_wait(pair.consumer, -1), 1);  // does not consume
  EXPECT_EQ(rtipc_consume(pair.consumer, RTIPC_CONSUME_NEXT), RTIPC_NEW);
}

TEST(Wakeup, SpinningFindsAMessageWithoutAnEventfd) {
  rtipc_channel_config ch = test::channel(sizeof(uint64_t), 0, false);
  LocalPair pair(one_channel(&ch));
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(rtipc_consumer_fd(pair.consumer), -ENOTSUP);
  EXPECT_EQ(rtipc_consumer_wait(pair.consumer, 10), -ENOTSUP);  // no spin asked

  // A spin far longer than the test: it must end when the message comes.
  rtipc_consumer_set_spin(pair.consumer, 4'000'000'000u);
  std::atomic<bool> waiting{false};
  std::thread producer([&] {
    while (!waiting.load()) sched_yield();
    pair.push(9);
  });
  waiting.store(true);
  EXPECT_EQ(rtipc_consumer_wait(pair.consumer, -1), 1);
  producer.join();
  EXPECT_EQ(rtipc_consume(pair.consumer, RTIPC_CONSUME_NEXT), RTIPC_NEW);

  // "Just check" does not spin for 4 s (the bound is only a hang guard).
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(rtipc_consumer_wait(pair.consumer, 0), -ENOTSUP);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(Wakeup, SpinThenSleepWithAnEventfd) {
  rtipc_channel_config ch = test::channel(sizeof(uint64_t), 0, true);
  LocalPair pair(one_channel(&ch));
  ASSERT_TRUE(pair.ok());
  rtipc_consumer_set_spin(pair.consumer, 100'000);  // 0.1 ms, then the eventfd
  std::atomic<bool> waiting{false};
  std::thread producer([&] {
    while (!waiting.load()) sched_yield();
    pair.push(3);
  });
  waiting.store(true);
  EXPECT_EQ(rtipc_consumer_wait(pair.consumer, 10000), 1);
  producer.join();
  EXPECT_EQ(rtipc_consume(pair.consumer, RTIPC_CONSUME_NEXT), RTIPC_NEW);
  EXPECT_EQ(rtipc_consumer_wait(pair.consumer, 5), 0);
}

}  // namespace
