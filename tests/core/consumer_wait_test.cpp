// rtipc_consumer_wait makes its sleeping place (the waitset's epoll backend)
// on its first call and allocates nothing on any later one, whether a
// message wakes it or the timeout ends it (issue 16, item 3).
//
// Linked with the shared library only (rtipc_dep), as an application is.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "../support/alloc_counter.hpp"
#include "fdpass.h"
#include "rtipc/rtipc.h"

namespace {

// One channel with an eventfd, both ends in this process; the request and
// its descriptors cross a socket pair as in a handshake.
struct Pair {
  rtipc_group* groups[2] = {nullptr, nullptr};
  rtipc_producer* producer = nullptr;
  rtipc_consumer* consumer = nullptr;

  ~Pair() {
    rtipc_producer_destroy(producer);
    rtipc_consumer_destroy(consumer);
    for (rtipc_group* g : groups) rtipc_group_destroy(g);
  }
};

void make_pair(Pair* pair) {
  rtipc_channel_config channel = RTIPC_CHANNEL_CONFIG_INIT;
  channel.msg_size = 16;
  channel.flags = RTIPC_CHANNEL_EVENTFD;
  rtipc_group_config config = RTIPC_GROUP_CONFIG_INIT;
  config.producers = &channel;
  config.producer_count = 1;
  ASSERT_EQ(rtipc_group_create(&config, &pair->groups[0]), 0) << rtipc_last_error();
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  const int sent = fdpass_send_group(sv[0], pair->groups[0]);
  const int received = sent == 0 ? fdpass_recv_group(sv[1], nullptr, &pair->groups[1]) : sent;
  ::close(sv[0]);
  ::close(sv[1]);
  ASSERT_EQ(received, 0) << rtipc_last_error();
  ASSERT_EQ(rtipc_group_take_producer(pair->groups[0], 0, &pair->producer), 0);
  ASSERT_EQ(rtipc_group_take_consumer(pair->groups[1], 0, &pair->consumer), 0);
}

// A push that wakes a wait, then a wait that times out at once.
void round_trip(Pair& pair, uint64_t i) {
  std::memcpy(rtipc_producer_msg(pair.producer), &i, sizeof i);
  ASSERT_EQ(rtipc_produce(pair.producer, RTIPC_PRODUCE_FORCE), RTIPC_PUBLISHED);
  ASSERT_EQ(rtipc_consumer_wait(pair.consumer, -1), 1);
  ASSERT_EQ(rtipc_consume(pair.consumer, RTIPC_CONSUME_NEXT), RTIPC_NEW);
  ASSERT_EQ(rtipc_consumer_wait(pair.consumer, 0), 0);
}

TEST(ConsumerWait, AllocatesOnlyOnItsFirstCall) {
  if (!alloc_hook::kAllocHook) GTEST_SKIP() << "the sanitizer's allocator is in charge";
  Pair pair;
  make_pair(&pair);
  ASSERT_FALSE(HasFatalFailure());

  const uint64_t before_first = alloc_hook::allocations();
  ASSERT_EQ(rtipc_consumer_wait(pair.consumer, 0), 0);
  // The counter sees the library's allocations: the first wait makes its backend.
  EXPECT_GT(alloc_hook::allocations(), before_first);

  for (uint64_t i = 0; i < 10; ++i) round_trip(pair, i);  // the producer's thread ring, if any
  const uint64_t before = alloc_hook::allocations();
  for (uint64_t i = 10; i < 1000; ++i) {
    round_trip(pair, i);
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(alloc_hook::allocations() - before, 0u);
}

}  // namespace
