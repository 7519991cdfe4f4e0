// Issue 18, item 4: a child forked after a notifier was made produces
// through the notifier it inherited. The child falls back to direct writes
// for itself (and says so); the parent's notifier stays in io_uring mode,
// its pushes still go through its ring, and its destroy does not stall.
#include <gtest/gtest.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>

#include "../handshake/helpers.hpp"
#include "eventfd.hpp"
#include "notifier.hpp"

namespace rtipc {
namespace {

constexpr int kChildPushes = 1000;
constexpr int kParentPushes = 100;

// Takes counts from efd until `want` arrived or 5 s passed (the poller
// writes them a little later); returns how many.
int take_counts(const EventFd& efd, int want) {
  int got = 0;
  for (int idle = 0; got < want && idle < 50;) {
    pollfd p = {efd.fd(), POLLIN, 0};
    if (::poll(&p, 1, 100) != 1) {
      ++idle;
      continue;
    }
    while (got < want && efd.take() == 1) ++got;
  }
  return got;
}

double now_s() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

TEST(NotifierFork, ChildFallsBackToDirectAndTheParentKeepsItsRing) {
  Notifier::Options options;
  options.idle_ms = 50;
  auto notifier = Notifier::create(options);
  if (!notifier->uses_io_uring())
    GTEST_SKIP() << "no io_uring notifier here (the log's warning says why)";
  ::alarm(60);  // a watchdog: a stalled destroy fails, never hangs
  auto efd = EventFd::create();
  auto slot = notifier->attach(*efd);
  ASSERT_TRUE(slot->uses_io_uring());

  const pid_t child = test::spawn([&] {
    if (slot->uses_io_uring()) return 1;  // it would say io_uring and scribble on the parent's
    if (notifier->uses_io_uring()) return 2;
    for (int i = 0; i < kChildPushes; ++i)
      if (slot->signal(*efd) < 0) return 3;
    if (slot->direct_signals() != kChildPushes) return 4;
    slot.reset();  // destroyed in the child: nothing submitted to the parent's ring
    notifier.reset();
    efd.reset();  // its counts on their way land first
    return 0;
  });
  EXPECT_EQ(test::reap(child), 0);
  EXPECT_EQ(take_counts(*efd, kChildPushes), kChildPushes);

  EXPECT_TRUE(notifier->uses_io_uring());
  EXPECT_TRUE(slot->uses_io_uring());
  // One at a time, so that the ring's queue is never full: each must go
  // through the ring, and the poller must write it.
  for (int i = 0; i < kParentPushes; ++i) {
    EXPECT_EQ(slot->signal(*efd), 0);
    ASSERT_EQ(take_counts(*efd, 1), 1) << "push " << i;
  }
  EXPECT_EQ(slot->direct_signals(), 0u) << "the parent's pushes left its ring";

  const double t0 = now_s();
  slot.reset();
  notifier.reset();
  std::printf("parent's destroy after the child's pushes: %.3f s\n", now_s() - t0);
  ::alarm(0);
}

}  // namespace
}  // namespace rtipc
