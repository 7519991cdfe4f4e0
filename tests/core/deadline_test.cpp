// The library's one clock, deadline and EINTR helper (src/deadline.hpp).
// Deadlines are built from a start far from now, so that no result depends
// on how fast the test runs.
#include "deadline.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "fd.hpp"

namespace rtipc {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

TEST(Deadline, NegativeTimeoutNeverExpires) {
  const Deadline d(-1);
  EXPECT_EQ(d.poll_ms(), -1);
  EXPECT_FALSE(d.expired());
  EXPECT_EQ(d.cap_ns(12345), 12345);
}

TEST(Deadline, ZeroTimeoutHasExpiredAtOnce) {
  const Deadline d(0);
  EXPECT_EQ(d.poll_ms(), 0);
  EXPECT_TRUE(d.expired());
}

TEST(Deadline, PastEndHasExpired) {
  const Deadline d(1000, monotonic_ns() - 10 * kSecond);
  EXPECT_EQ(d.poll_ms(), 0);
  EXPECT_TRUE(d.expired());
}

TEST(Deadline, RoundsUpSoThatASleepNeverEndsEarly) {
  // Ends 1000 s and half a ms from now: what poll_ms() says, in whole ms,
  // is never less than what is left after it said it.
  const int64_t start = monotonic_ns() + 500'000;
  const Deadline d(1'000'000, start);
  const int ms = d.poll_ms();
  const int64_t left_after = start + int64_t{1'000'000} * 1'000'000 - monotonic_ns();
  EXPECT_GE(int64_t{ms} * 1'000'000, left_after);
  EXPECT_LE(ms, 1'000'001);
  EXPECT_FALSE(d.expired());
}

TEST(Deadline, WhatIsLeftIsCappedForPoll) {
  const Deadline d(INT_MAX, monotonic_ns() + 1'000'000 * kSecond);
  EXPECT_EQ(d.poll_ms(), INT_MAX);
}

TEST(Deadline, CapTakesTheEarlierEnd) {
  const Deadline d(5, 100);  // ends at 5'000'100 ns
  EXPECT_EQ(d.cap_ns(1000), 1000);
  EXPECT_EQ(d.cap_ns(10'000'000), 5'000'100);
}

TEST(SpinUntil, EndsWhenReady) {
  int calls = 0;
  EXPECT_TRUE(spin_until(monotonic_ns() + 1000 * kSecond, [&] { return ++calls == 3; }));
  EXPECT_EQ(calls, 3);
}

TEST(SpinUntil, NeverLooksPastItsEnd) {
  int calls = 0;
  EXPECT_FALSE(spin_until(monotonic_ns() - kSecond, [&] { return ++calls > 0; }));
  EXPECT_EQ(calls, 0);
}

TEST(RetryEintr, RetriesOnlyEintr) {
  int calls = 0;
  const int r = retry_eintr([&] {
    if (++calls < 3) {
      errno = EINTR;
      return -1;
    }
    return 7;
  });
  EXPECT_EQ(r, 7);
  EXPECT_EQ(calls, 3);

  calls = 0;
  const long again = retry_eintr([&] {
    ++calls;
    errno = EAGAIN;
    return -1L;
  });
  EXPECT_EQ(again, -1);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_EQ(calls, 1);
}

TEST(PollNow, ReportsReadinessWithoutWaiting) {
  UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  ASSERT_TRUE(fd);
  EXPECT_EQ(poll_now(fd.get(), POLLIN), 0);
  const uint64_t one = 1;
  ASSERT_EQ(::write(fd.get(), &one, sizeof one), static_cast<ssize_t>(sizeof one));
  EXPECT_EQ(poll_now(fd.get(), POLLIN), POLLIN);
}

}  // namespace
}  // namespace rtipc
