// Queue depth (pending) on both sides, corrupt indices, and reads from a
// third thread while both ends run (issue 9, item 7).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "local_group.hpp"
#include "queue.hpp"

namespace rtipc {
namespace {

using namespace test_core;

TEST(Pending, CountsWhatTheConsumerHasNotTakenOnBothSides) {
  LocalPair pair(spec_with(64, {}, {channel(8, 2)}));  // n = 5
  auto p = pair.client->take_producer(0);
  auto c = pair.server->take_consumer(0);
  EXPECT_EQ(p->pending(), 0);
  p->push(false);
  EXPECT_EQ(p->pending(), 1);
  EXPECT_EQ(c->pending(), 1);
  p->push(false);
  p->push(false);
  EXPECT_EQ(c->pending(), 3);
  EXPECT_EQ(c->pop(false), PopResult::kNew);
  EXPECT_EQ(c->pending(), 2);  // the held one does not count
  EXPECT_EQ(p->pending(), 2);
  for (int i = 0; i < 6; ++i) p->push(true);  // overruns: n - 2 wait behind the held one
  EXPECT_EQ(c->pending(), 3);
  EXPECT_EQ(c->pop(true), PopResult::kNewAfterGap);
  EXPECT_EQ(c->pending(), 0);
  EXPECT_EQ(p->pending(), 0);
}

TEST(Pending, CorruptIndicesAreEproto) {
  std::vector<uint32_t> words(2 + 4);
  QueueIndices q(words.data(), 4);
  q.reset_head_and_tail();
  ProducerQueue producer(q);
  producer.force_push();
  EXPECT_EQ(pending_messages(q), 1);
  words[0] = 7;  // tail out of range
  EXPECT_EQ(pending_messages(q), -EPROTO);
  words[0] = 0;
  words[2 + 0] = 9;  // a link out of range
  EXPECT_EQ(pending_messages(q), -EPROTO);
  words[2 + 0] = 1;  // a cycle 0 -> 1 -> 0
  words[2 + 1] = 0;
  EXPECT_EQ(pending_messages(q), -EPROTO);
}

// A third thread reads the depth while producer and consumer run: never an
// error, never more than n - 1 (run under TSan by the sanitizer CI job).
TEST(Pending, SafeFromAnotherThreadWhileBothEndsRun) {
  LocalPair pair(spec_with(64, {}, {channel(8, 1)}));  // n = 4
  auto p = pair.client->take_producer(0);
  auto c = pair.server->take_consumer(0);
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::thread producer([&] {
    // Until the reader has had its turns, bounded.
    for (int i = 0; i < 20'000'000 && (i < 100'000 || reads < 20'000); ++i) p->push(i % 3 != 0);
    stop = true;
  });
  std::thread consumer([&] {
    while (!stop) c->pop(std::rand() % 2 == 0);
  });
  int bad = 0, seen_max = 0;
  while (!stop) {
    for (int v : {p->pending(), c->pending()}) {
      if (v < 0 || v > 3) ++bad;
      seen_max = std::max(seen_max, v);
    }
    ++reads;
  }
  producer.join();
  consumer.join();
  EXPECT_EQ(bad, 0);
  EXPECT_GE(seen_max, 0);
}

}  // namespace
}  // namespace rtipc
