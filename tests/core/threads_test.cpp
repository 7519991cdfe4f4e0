// Both ends of one queue in one process, on two threads and one mapping, so
// that ThreadSanitizer sees every access of both sides: message payloads are
// plain memory and must be ordered by the queue's atomics alone.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "queue.hpp"

namespace rtipc {
namespace {

struct Message {
  uint64_t seq;
  uint64_t check;  // seq * constant: a torn or stale read shows
};
constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;

struct Stats {
  uint64_t received = 0, skipped = 0, news = 0, gaps = 0, errors = 0, bad = 0;
};

// Streams `count` messages through an n-slot queue; the consumer uses
// flush every `flush_every` pops (0: never).
Stats stream(uint32_t n, uint64_t count, bool force, unsigned flush_every, uint64_t* discards) {
  std::vector<uint32_t> words(2 + n);
  std::vector<Message> slots(n);
  QueueIndices indices(words.data(), n);
  indices.reset_head_and_tail();
  ProducerQueue producer(indices);  // writes the chain before the threads start
  ConsumerQueue consumer(indices);
  Stats stats;

  std::thread writer([&] {
    uint64_t dropped = 0;
    for (uint64_t seq = 1; seq <= count;) {
      Message& m = slots[producer.current()];
      m.seq = seq;
      m.check = seq * kMul;
      const PushResult r = force ? producer.force_push() : producer.try_push();
      if (r == PushResult::kFull) {
        std::this_thread::yield();
        continue;
      }
      dropped += r == PushResult::kDiscarded;
      ++seq;
    }
    *discards = dropped;
  });

  uint64_t last = 0;
  for (unsigned i = 1; last < count; ++i) {
    const bool latest = flush_every && i % flush_every == 0;
    const PopResult r = latest ? consumer.flush() : consumer.pop();
    if (r == PopResult::kError) {
      ++stats.errors;
      break;
    }
    if (r != PopResult::kNew && r != PopResult::kNewAfterGap) continue;
    const Message& m = slots[consumer.current()];
    if (m.check != m.seq * kMul || m.seq <= last) ++stats.bad;
    const bool jumped = m.seq != last + 1;
    if (jumped != (r == PopResult::kNewAfterGap)) ++stats.bad;
    stats.news += r == PopResult::kNew;
    stats.gaps += r == PopResult::kNewAfterGap;
    stats.skipped += m.seq - last - 1;
    ++stats.received;
    last = m.seq;
  }
  writer.join();
  return stats;
}

TEST(Threads, ForceStreamReportsEveryGap) {
  uint64_t discards = 0;
  const Stats s = stream(3, 300'000, true, 0, &discards);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.bad, 0u);
  EXPECT_EQ(s.received + s.skipped, 300'000u);
  EXPECT_EQ(s.skipped, discards);
}

TEST(Threads, TryStreamLosesNothing) {
  uint64_t discards = 0;
  const Stats s = stream(17, 100'000, false, 0, &discards);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.bad, 0u);
  EXPECT_EQ(s.received, 100'000u);
  EXPECT_EQ(s.gaps, 0u);
  EXPECT_EQ(discards, 0u);
}

TEST(Threads, MixedPopAndFlush) {
  uint64_t discards = 0;
  const Stats s = stream(4, 300'000, true, 7, &discards);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.bad, 0u);
  EXPECT_EQ(s.received + s.skipped, 300'000u);
  // Flush skips messages on its own, so skipped >= what the producer dropped.
  EXPECT_GE(s.skipped, discards);
}

}  // namespace
}  // namespace rtipc
