// The io_uring notifier: which mode a program gets and how it asks, the
// fallback (forced with RTIPC_NO_IO_URING), and pushes through the poller,
// also after it has gone to sleep.
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>

#include "support.hpp"

namespace {

using wstest::LocalPairs;
using wstest::push;

rtipc_notifier* make_notifier(uint32_t flags, uint32_t idle_ms = 0) {
  rtipc_notifier_config c = RTIPC_NOTIFIER_CONFIG_INIT;
  c.flags = flags;
  c.idle_ms = idle_ms;
  rtipc_notifier* n = nullptr;
  EXPECT_EQ(rtipc_notifier_create(&c, &n), 0) << rtipc_last_error();
  return n;
}

uint64_t take_count(rtipc_consumer* c) {
  uint64_t total = 0, v;
  // Semaphore eventfd: one per read.
  while (::read(rtipc_consumer_fd(c), &v, sizeof v) == sizeof v) total += v;
  return total;
}

// Counts written by the poller arrive a moment after the push returns.
uint64_t await_counts(rtipc_consumer* c, uint64_t want) {
  uint64_t got = 0;
  pollfd pfd{rtipc_consumer_fd(c), POLLIN, 0};
  while (got < want && ::poll(&pfd, 1, 10000) == 1) got += take_count(c);
  return got;
}

TEST(Notifier, TellsWhichModeItGot) {
  rtipc_notifier* n = make_notifier(0);
  ASSERT_NE(n, nullptr);
  const unsigned mode = rtipc_notifier_mode(n);
  EXPECT_TRUE(mode == RTIPC_NOTIFY_IO_URING || mode == RTIPC_NOTIFY_DIRECT);
  if (!wstest::kBuiltWithIoUring) {
    EXPECT_EQ(mode, RTIPC_NOTIFY_DIRECT);
  }
  if (wstest::io_uring_refusal().empty()) {
    EXPECT_EQ(mode, RTIPC_NOTIFY_IO_URING);
  }

  LocalPairs p(1);
  EXPECT_EQ(rtipc_producer_notify_mode(p.producers[0]), RTIPC_NOTIFY_DIRECT);
  ASSERT_EQ(rtipc_producer_set_notifier(p.producers[0], n), 0) << rtipc_last_error();
  EXPECT_EQ(rtipc_producer_notify_mode(p.producers[0]), static_cast<int>(mode));
  rtipc_notifier_destroy(n);  // the producer keeps the ring alive
  ASSERT_EQ(push(p.producers[0], 1), RTIPC_PUBLISHED);
  EXPECT_EQ(await_counts(p.consumers[0], 1), 1u);
  ASSERT_EQ(rtipc_producer_set_notifier(p.producers[0], nullptr), 0);
  EXPECT_EQ(rtipc_producer_notify_mode(p.producers[0]), RTIPC_NOTIFY_DIRECT);

  LocalPairs no_eventfd(1, 0);
  n = make_notifier(0);
  EXPECT_EQ(rtipc_producer_set_notifier(no_eventfd.producers[0], n), -ENOTSUP);
  EXPECT_EQ(rtipc_producer_notify_mode(no_eventfd.producers[0]), -ENOTSUP);
  rtipc_notifier_destroy(n);
}

TEST(Notifier, RefusesBadConfigs) {
  rtipc_notifier* n = nullptr;
  rtipc_notifier_config c = RTIPC_NOTIFIER_CONFIG_INIT;
  c.flags = 0x80;
  EXPECT_EQ(rtipc_notifier_create(&c, &n), -EINVAL);
  c = RTIPC_NOTIFIER_CONFIG_INIT;
  c.size = 4;
  EXPECT_EQ(rtipc_notifier_create(&c, &n), -EINVAL);
  struct {
    rtipc_notifier_config known;
    uint32_t future;
  } grown{RTIPC_NOTIFIER_CONFIG_INIT, 1};
  grown.known.size = sizeof grown;
  EXPECT_EQ(rtipc_notifier_create(&grown.known, &n), -E2BIG);
  grown.future = 0;
  EXPECT_EQ(rtipc_notifier_create(&grown.known, &n), 0);
  rtipc_notifier_destroy(n);
  rtipc_waitset_config w = RTIPC_WAITSET_CONFIG_INIT;
  w.backend = 7;
  rtipc_waitset* ws = nullptr;
  EXPECT_EQ(rtipc_waitset_create(&w, &ws), -EINVAL);
}

class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~EnvVar() { ::unsetenv(name_); }

 private:
  const char* name_;
};

TEST(Notifier, FallsBackWhenIoUringIsRefused) {
  EnvVar off("RTIPC_NO_IO_URING", "1");
  rtipc_notifier_config c = RTIPC_NOTIFIER_CONFIG_INIT;
  c.flags = RTIPC_NOTIFIER_REQUIRE;
  rtipc_notifier* n = nullptr;
  EXPECT_EQ(rtipc_notifier_create(&c, &n), -ENOTSUP);
  EXPECT_EQ(n, nullptr);
  n = make_notifier(0);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(rtipc_notifier_mode(n), RTIPC_NOTIFY_DIRECT);
  LocalPairs p(1);
  ASSERT_EQ(rtipc_producer_set_notifier(p.producers[0], n), 0);
  EXPECT_EQ(rtipc_producer_notify_mode(p.producers[0]), RTIPC_NOTIFY_DIRECT);
  for (int i = 0; i < 3; ++i) push(p.producers[0], i);
  EXPECT_EQ(take_count(p.consumers[0]), 3u) << "direct mode writes at once";
  rtipc_notifier_destroy(n);

  rtipc_waitset_config w = RTIPC_WAITSET_CONFIG_INIT;
  w.backend = RTIPC_WAITSET_IO_URING;
  rtipc_waitset* ws = nullptr;
  ASSERT_EQ(rtipc_waitset_create(&w, &ws), 0);
  EXPECT_EQ(rtipc_waitset_backend(ws), RTIPC_WAITSET_EPOLL);
  rtipc_waitset_destroy(ws);
  w.flags = RTIPC_WAITSET_REQUIRE;
  EXPECT_EQ(rtipc_waitset_create(&w, &ws), -ENOTSUP);
}

TEST(Notifier, PushesReachTheEventfdAlsoAfterThePollerSlept) {
  SKIP_WITHOUT_IO_URING(true);
  rtipc_notifier* n = make_notifier(RTIPC_NOTIFIER_REQUIRE, 1);
  ASSERT_NE(n, nullptr);
  LocalPairs p(2, RTIPC_CHANNEL_EVENTFD, 200);
  for (auto* prod : p.producers) ASSERT_EQ(rtipc_producer_set_notifier(prod, n), 0);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 100; ++i) {
      push(p.producers[0], i);
      push(p.producers[1], i);
    }
    EXPECT_EQ(await_counts(p.consumers[0], 100), 100u);
    EXPECT_EQ(await_counts(p.consumers[1], 100), 100u);
    ::usleep(20000);  // > idle_ms: the poller sleeps; the next push wakes it
  }
  // A detach writes what was queued before it returns.
  push(p.producers[0], 1);
  ASSERT_EQ(rtipc_producer_set_notifier(p.producers[0], nullptr), 0);
  EXPECT_EQ(take_count(p.consumers[0]), 1u);
  rtipc_notifier_destroy(n);
}

TEST(Notifier, AFullCounterNeitherBlocksNorFails) {
  SKIP_WITHOUT_IO_URING(true);
  rtipc_notifier* n = make_notifier(RTIPC_NOTIFIER_REQUIRE);
  LocalPairs p(1);
  ASSERT_EQ(rtipc_producer_set_notifier(p.producers[0], n), 0);
  const uint64_t flood = 0xfffffffffffffffeull;
  ASSERT_EQ(::write(rtipc_producer_fd(p.producers[0]), &flood, sizeof flood), 8);
  // The peer clears O_NONBLOCK on the shared file: the poller's writes must
  // still not block (RWF_NOWAIT), and the pushes go on.
  const int fd = rtipc_producer_fd(p.producers[0]);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  // Paced so that the ring never fills: this is the io_uring path (the
  // direct write, taken when the ring is full, is rtipc_produce's own).
  for (int i = 0; i < 5000; ++i) {
    ASSERT_GE(push(p.producers[0], i), 0) << "push " << i;
    if (i % 32 == 31) ::usleep(200);
  }
  ASSERT_EQ(rtipc_producer_set_notifier(p.producers[0], nullptr), 0);
  rtipc_notifier_destroy(n);
}

}  // namespace
