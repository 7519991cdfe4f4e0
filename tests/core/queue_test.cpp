// The queue protocol on one process's memory: the docs/protocol.md §7.3 trace row
// by row, the capacity rules for several n, the flush semantics, and a
// randomized interleaving checked against an independent model of the queue.
#include "queue.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

namespace rtipc {
namespace {

// One channel's index area in private memory, in the state a client creates.
struct Ring {
  explicit Ring(uint32_t n) : words(2 + n, 0), indices(words.data(), n) {
    indices.reset_head_and_tail();
  }
  uint32_t tail() const { return words[0]; }
  uint32_t head() const { return words[1]; }
  std::vector<uint32_t> chain() const { return {words.begin() + 2, words.end()}; }

  std::vector<uint32_t> words;
  QueueIndices indices;
};

constexpr uint32_t I = kInvalid;

TEST(Queue, ProtocolTraceForThreeSlots) {
  Ring ring(3);
  ProducerQueue producer(ring.indices);
  ConsumerQueue consumer(ring.indices);
  EXPECT_EQ(ring.chain(), (std::vector<uint32_t>{1, 2, 0}));

  EXPECT_EQ(consumer.pop(), PopResult::kNothingProduced);
  EXPECT_EQ(ring.tail(), I);
  EXPECT_EQ(ring.head(), I);

  EXPECT_EQ(producer.current(), 0u);  // A
  EXPECT_EQ(producer.force_push(), PushResult::kPublished);
  EXPECT_EQ(ring.tail(), 0 | kFirst);
  EXPECT_EQ(ring.head(), 0u);
  EXPECT_EQ(ring.chain(), (std::vector<uint32_t>{I, 2, 0}));

  EXPECT_EQ(consumer.pop(), PopResult::kNew);
  EXPECT_EQ(consumer.current(), 0u);
  EXPECT_EQ(ring.tail(), 0 | kFirst | kConsumed);

  const std::vector<uint32_t> before = ring.words;
  EXPECT_EQ(consumer.pop(), PopResult::kNoNew);
  EXPECT_EQ(ring.words, before);

  EXPECT_EQ(producer.current(), 1u);  // B
  EXPECT_EQ(producer.force_push(), PushResult::kPublished);
  EXPECT_EQ(ring.tail(), 0 | kFirst | kConsumed);
  EXPECT_EQ(ring.head(), 1u);
  EXPECT_EQ(ring.chain(), (std::vector<uint32_t>{1, I, 0}));

  EXPECT_EQ(producer.current(), 2u);  // C
  EXPECT_EQ(producer.force_push(), PushResult::kDiscarded);
  EXPECT_EQ(ring.tail(), 2u);
  EXPECT_EQ(ring.head(), 2u);
  EXPECT_EQ(ring.chain(), (std::vector<uint32_t>{1, 2, I}));

  EXPECT_EQ(consumer.pop(), PopResult::kNewAfterGap);
  EXPECT_EQ(consumer.current(), 2u);
  EXPECT_EQ(ring.tail(), 2 | kConsumed);
}

// A queue plus a sequence number per slot: what the producer wrote where.
struct Numbered {
  explicit Numbered(uint32_t n) : ring(n), producer(ring.indices), consumer(ring.indices), seq(n) {}

  // Writes the next number into the producer's slot and pushes it.
  PushResult push(bool force) {
    seq[producer.current()] = next;
    const PushResult r = force ? producer.force_push() : producer.try_push();
    if (r == PushResult::kPublished || r == PushResult::kDiscarded) ++next;
    return r;
  }
  uint64_t held() const { return seq.at(consumer.current()); }

  Ring ring;
  ProducerQueue producer;
  ConsumerQueue consumer;
  std::vector<uint64_t> seq;
  uint64_t next = 1;
};

class Capacity : public testing::TestWithParam<uint32_t> {};

TEST_P(Capacity, BeforeTheFirstPopNMinusOneFit) {
  const uint32_t n = GetParam();
  Numbered q(n);
  for (uint32_t i = 0; i < n - 1; ++i) ASSERT_EQ(q.push(false), PushResult::kPublished) << i;

  const uint32_t slot = q.producer.current();
  const std::vector<uint32_t> words = q.ring.words;
  EXPECT_EQ(q.push(false), PushResult::kFull);
  EXPECT_EQ(q.producer.current(), slot);
  EXPECT_EQ(q.ring.words, words);
  EXPECT_EQ(q.seq[slot], n);  // the refused message is still where it was written

  EXPECT_EQ(q.push(true), PushResult::kDiscarded);  // message n goes in, message 1 is dropped
  EXPECT_EQ(q.consumer.pop(), PopResult::kNewAfterGap);
  EXPECT_EQ(q.held(), 2u);
  for (uint64_t want = 3; want <= n; ++want) {
    ASSERT_EQ(q.consumer.pop(), PopResult::kNew);
    ASSERT_EQ(q.held(), want);
  }
  EXPECT_EQ(q.consumer.pop(), PopResult::kNoNew);
}

TEST_P(Capacity, ForcePushDiscardsOnlyPastNMinusOne) {
  const uint32_t n = GetParam();
  Numbered q(n);
  for (uint32_t i = 0; i < n - 1; ++i) ASSERT_EQ(q.push(true), PushResult::kPublished) << i;
  EXPECT_EQ(q.push(true), PushResult::kDiscarded);
  EXPECT_EQ(q.push(true), PushResult::kDiscarded);
  EXPECT_EQ(q.consumer.pop(), PopResult::kNewAfterGap);
  EXPECT_EQ(q.held(), 3u);
}

TEST_P(Capacity, WhileTheConsumerHoldsASlotNMinusTwoWait) {
  const uint32_t n = GetParam();
  Numbered q(n);
  ASSERT_EQ(q.push(false), PushResult::kPublished);
  ASSERT_EQ(q.consumer.pop(), PopResult::kNew);
  ASSERT_EQ(q.held(), 1u);
  for (uint32_t i = 0; i < n - 2; ++i) ASSERT_EQ(q.push(false), PushResult::kPublished) << i;

  const uint32_t slot = q.producer.current();
  const std::vector<uint32_t> words = q.ring.words;
  EXPECT_EQ(q.push(false), PushResult::kFull);
  EXPECT_EQ(q.producer.current(), slot);
  EXPECT_EQ(q.ring.words, words);
  EXPECT_NE(slot, q.consumer.current());

  // One pop makes room: the refused message goes out unchanged.
  ASSERT_EQ(q.consumer.pop(), PopResult::kNew);
  EXPECT_EQ(q.held(), 2u);
  EXPECT_EQ(q.seq[slot], n);
  EXPECT_EQ(q.push(false), PushResult::kPublished);
  EXPECT_EQ(q.push(false), PushResult::kFull);

  // Full again: a forced push drops the oldest waiting message (3), never
  // the one the consumer holds.
  EXPECT_EQ(q.push(true), PushResult::kDiscarded);
  EXPECT_EQ(q.held(), 2u);
  ASSERT_EQ(q.consumer.pop(), PopResult::kNewAfterGap);
  EXPECT_EQ(q.held(), 4u);
  for (uint64_t want = 5; want < q.next; ++want) {
    ASSERT_EQ(q.consumer.pop(), PopResult::kNew);
    ASSERT_EQ(q.held(), want);
  }
  EXPECT_EQ(q.consumer.pop(), PopResult::kNoNew);
}

TEST_P(Capacity, RepeatedOverrunsNeverTouchTheHeldSlot) {
  const uint32_t n = GetParam();
  Numbered q(n);
  ASSERT_EQ(q.push(true), PushResult::kPublished);
  ASSERT_EQ(q.consumer.pop(), PopResult::kNew);
  const uint32_t held = q.consumer.current();
  int discarded = 0;
  for (uint32_t i = 0; i < 3 * n; ++i) {
    const PushResult r = q.push(true);
    ASSERT_NE(r, PushResult::kError);
    discarded += r == PushResult::kDiscarded;
    ASSERT_NE(q.producer.current(), held);
    ASSERT_EQ(q.seq[held], 1u);
  }
  EXPECT_EQ(discarded, static_cast<int>(3 * n - (n - 2)));
  ASSERT_EQ(q.consumer.pop(), PopResult::kNewAfterGap);
  EXPECT_EQ(q.held(), q.next - (n - 2));  // the n - 2 newest survived
}

INSTANTIATE_TEST_SUITE_P(Slots, Capacity, testing::Values(3u, 4u, 5u, 17u, 103u));

TEST(Flush, NothingProducedLeavesTheWordsAlone) {
  Numbered q(4);
  const std::vector<uint32_t> words = q.ring.words;
  EXPECT_EQ(q.consumer.flush(), PopResult::kNothingProduced);
  EXPECT_EQ(q.consumer.pop(), PopResult::kNothingProduced);
  EXPECT_EQ(q.ring.words, words);
  EXPECT_EQ(q.consumer.current(), kInvalid);
}

TEST(Flush, JumpsToTheNewestAndReportsGapsExactly) {
  Numbered q(5);
  ASSERT_EQ(q.push(true), PushResult::kPublished);
  EXPECT_EQ(q.consumer.flush(), PopResult::kNew);  // the first message, nothing skipped
  EXPECT_EQ(q.held(), 1u);

  std::vector<uint32_t> words = q.ring.words;
  EXPECT_EQ(q.consumer.flush(), PopResult::kNoNew);
  EXPECT_EQ(q.ring.words, words);

  ASSERT_EQ(q.push(true), PushResult::kPublished);
  EXPECT_EQ(q.consumer.flush(), PopResult::kNew);  // 2 directly follows 1
  EXPECT_EQ(q.held(), 2u);

  ASSERT_EQ(q.push(true), PushResult::kPublished);
  ASSERT_EQ(q.push(true), PushResult::kPublished);
  ASSERT_EQ(q.push(true), PushResult::kPublished);
  EXPECT_EQ(q.consumer.flush(), PopResult::kNewAfterGap);  // 3 and 4 skipped
  EXPECT_EQ(q.held(), 5u);
  EXPECT_EQ(q.ring.head(), q.consumer.current());
  EXPECT_EQ(q.ring.tail(), q.consumer.current() | kConsumed);

  words = q.ring.words;
  EXPECT_EQ(q.consumer.flush(), PopResult::kNoNew);
  EXPECT_EQ(q.consumer.pop(), PopResult::kNoNew);
  EXPECT_EQ(q.ring.words, words);

  // Order goes on from the newest.
  ASSERT_EQ(q.push(true), PushResult::kPublished);
  EXPECT_EQ(q.consumer.pop(), PopResult::kNew);
  EXPECT_EQ(q.held(), 6u);
}

TEST(Flush, BeforeTheFirstPopSkipsOlderMessages) {
  Numbered q(5);
  ASSERT_EQ(q.push(true), PushResult::kPublished);
  ASSERT_EQ(q.push(true), PushResult::kPublished);
  EXPECT_EQ(q.consumer.flush(), PopResult::kNewAfterGap);
  EXPECT_EQ(q.held(), 2u);
}

TEST(Flush, AfterAnOverrunReportsTheGap) {
  Numbered q(3);
  ASSERT_EQ(q.push(true), PushResult::kPublished);
  ASSERT_EQ(q.consumer.pop(), PopResult::kNew);
  ASSERT_EQ(q.push(true), PushResult::kPublished);
  ASSERT_EQ(q.push(true), PushResult::kDiscarded);  // 2 dropped, 3 waits
  EXPECT_EQ(q.consumer.flush(), PopResult::kNewAfterGap);
  EXPECT_EQ(q.held(), 3u);
  EXPECT_EQ(q.consumer.flush(), PopResult::kNoNew);
}

TEST(Flush, AfterAnOverrunOnlyOneWaitingMessageIsStillAGap) {
  Numbered q(4);
  ASSERT_EQ(q.push(true), PushResult::kPublished);
  ASSERT_EQ(q.consumer.pop(), PopResult::kNew);
  ASSERT_EQ(q.push(true), PushResult::kPublished);
  ASSERT_EQ(q.push(true), PushResult::kPublished);
  ASSERT_EQ(q.push(true), PushResult::kDiscarded);  // 2 dropped; 3, 4 wait
  EXPECT_EQ(q.consumer.pop(), PopResult::kNewAfterGap);
  EXPECT_EQ(q.held(), 3u);
  EXPECT_EQ(q.consumer.flush(), PopResult::kNew);
  EXPECT_EQ(q.held(), 4u);
}

// An independent model of what the queue holds: the messages waiting behind
// the one the consumer reads, in order, each with the slot it lives in.
// Capacity is n - 1 before the first pop and n - 2 after it (§7.3); a forced
// push past it drops the oldest waiting message. Every operation's result is
// predicted from it, and every live slot is checked after every step.
class Interleaving {
 public:
  Interleaving(uint32_t n, bool with_flush) : n_(n), with_flush_(with_flush), q_(n) {}

  void run(uint64_t seed, int steps) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> coin(0, 1);
    double produce = 0.5;
    for (int step = 0; step < steps; ++step) {
      if (step % 500 == 0) produce = std::vector<double>{0.1, 0.4, 0.5, 0.6, 0.9}[rng() % 5];
      if (coin(rng) < produce)
        push(coin(rng) < 0.5);
      else
        pop(with_flush_ && coin(rng) < 0.15);
      check_live_slots();
      if (testing::Test::HasFatalFailure()) {
        ADD_FAILURE() << "seed " << seed << ", n " << n_ << ", step " << step;
        return;
      }
    }
    // Final drain: the newest message is never dropped.
    for (;;) {
      const PopResult r = pop(false);
      if (testing::Test::HasFatalFailure()) return;
      if (r != PopResult::kNew && r != PopResult::kNewAfterGap) break;
    }
    ASSERT_GT(q_.next, 1u);
    EXPECT_EQ(last_, q_.next - 1);
    EXPECT_EQ(received_ + skipped_, q_.next - 1);
    EXPECT_EQ(skipped_, discards_ + flushed_);
    if (!with_flush_) {
      EXPECT_EQ(flushed_, 0u);
    }
    EXPECT_GT(discards_, 0u);  // the weights make the queue overflow
    EXPECT_GT(fulls_, 0u);
  }

 private:
  struct Waiting {
    uint64_t seq;
    uint32_t slot;
  };

  size_t capacity() const { return started_ ? n_ - 2 : n_ - 1; }

  void push(bool force) {
    const std::vector<uint32_t> words = q_.ring.words;
    const uint32_t slot = q_.producer.current();
    const uint64_t seq = q_.next;
    const PushResult r = q_.push(force);
    if (!force && waiting_.size() == capacity()) {
      ASSERT_EQ(r, PushResult::kFull);
      ASSERT_EQ(q_.producer.current(), slot);
      ASSERT_EQ(q_.ring.words, words);
      ++fulls_;
      return;
    }
    waiting_.push_back({seq, slot});
    if (waiting_.size() > capacity()) {
      waiting_.pop_front();
      ASSERT_EQ(r, PushResult::kDiscarded);
      ++discards_;
    } else {
      ASSERT_EQ(r, PushResult::kPublished);
    }
  }

  PopResult pop(bool latest) {
    const std::vector<uint32_t> words = q_.ring.words;
    const PopResult r = latest ? q_.consumer.flush() : q_.consumer.pop();
    if (q_.next == 1 || waiting_.empty()) {
      EXPECT_EQ(r, q_.next == 1 ? PopResult::kNothingProduced : PopResult::kNoNew);
      EXPECT_EQ(q_.ring.words, words);  // finding nothing writes nothing
      return r;
    }
    const Waiting got = latest ? waiting_.back() : waiting_.front();
    if (latest) {
      flushed_ += waiting_.size() - 1;
      waiting_.clear();
    } else {
      waiting_.pop_front();
    }
    EXPECT_EQ(r, got.seq == last_ + 1 ? PopResult::kNew : PopResult::kNewAfterGap)
        << "got " << got.seq << " after " << last_;
    EXPECT_EQ(q_.consumer.current(), got.slot);
    EXPECT_EQ(q_.held(), got.seq);
    if (got.seq <= last_) ADD_FAILURE() << "order broken: " << got.seq << " after " << last_;
    skipped_ += got.seq - last_ - 1;
    last_ = got.seq;
    ++received_;
    started_ = true;
    return r;
  }

  // No live message sits in the slot the producer writes next, and each
  // still holds what was written into it.
  void check_live_slots() {
    const uint32_t writing = q_.producer.current();
    ASSERT_LT(writing, n_);
    if (started_) {
      ASSERT_NE(writing, q_.consumer.current());
      ASSERT_EQ(q_.held(), last_);
    }
    for (const Waiting& w : waiting_) {
      ASSERT_NE(writing, w.slot);
      ASSERT_EQ(q_.seq[w.slot], w.seq);
    }
  }

  uint32_t n_;
  bool with_flush_;
  Numbered q_;
  std::deque<Waiting> waiting_;
  bool started_ = false;
  uint64_t last_ = 0;
  uint64_t received_ = 0, skipped_ = 0, discards_ = 0, flushed_ = 0, fulls_ = 0;
};

class RandomInterleaving : public testing::TestWithParam<uint32_t> {};

TEST_P(RandomInterleaving, PopOnlyMatchesTheModel) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    Interleaving(GetParam(), false).run(seed * 7919 + GetParam(), 30000);
    if (HasFailure()) return;
  }
}

TEST_P(RandomInterleaving, WithFlushMatchesTheModel) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    Interleaving(GetParam(), true).run(seed * 104729 + GetParam(), 30000);
    if (HasFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Slots, RandomInterleaving, testing::Values(3u, 4u, 5u, 17u, 103u));

}  // namespace
}  // namespace rtipc
