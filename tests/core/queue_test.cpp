// The queue protocol on one process's memory: the PROTOCOL.md §7.3 trace row
// by row, the capacity rules for several n, and the flush semantics.
#include "queue.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace rtipc
