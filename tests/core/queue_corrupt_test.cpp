// A queue whose shared indices hold garbage (docs/protocol.md §7, §11): every
// operation reports an error or an in-range result, and nothing reads or
// writes outside the index area, which ends right at a PROT_NONE page.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <random>

#include "queue.hpp"

namespace rtipc {
namespace {

// tail, head, chain[n] placed so that chain[n - 1] is the last word before a
// guard page (and the page before the area is a guard page as well).
class GuardedIndices {
 public:
  explicit GuardedIndices(uint32_t n) : n_(n) {
    page_ = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    void* p = ::mmap(nullptr, 3 * page_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap");
    map_ = static_cast<std::byte*>(p);
    if (::mprotect(map_ + page_, page_, PROT_READ | PROT_WRITE) != 0)
      throw std::runtime_error("mprotect");
    words_ = reinterpret_cast<uint32_t*>(map_ + 2 * page_) - (2 + n);
  }
  ~GuardedIndices() { ::munmap(map_, 3 * page_); }
  GuardedIndices(const GuardedIndices&) = delete;
  GuardedIndices& operator=(const GuardedIndices&) = delete;

  QueueIndices indices() const { return QueueIndices(words_, n_); }
  uint32_t& word(uint32_t i) { return words_[i]; }  // 0 tail, 1 head, 2 + i chain[i]
  uint32_t words() const { return 2 + n_; }

 private:
  uint32_t n_;
  size_t page_;
  std::byte* map_;
  uint32_t* words_;
};

class Garbage {
 public:
  explicit Garbage(uint64_t seed) : rng_(seed) {}

  uint32_t value(uint32_t n) {
    const uint32_t slot = rng_() % n;
    const uint32_t beyond = n + rng_() % 8;
    switch (rng_() % 12) {
      case 0:
        return slot;
      case 1:
        return slot | kConsumed;
      case 2:
        return slot | kFirst;
      case 3:
        return slot | kConsumed | kFirst;
      case 4:
        return beyond;
      case 5:
        return beyond | kConsumed;
      case 6:
        return beyond | kFirst;
      case 7:
        return kInvalid;
      case 8:
        return kMask;
      case 9:
        return kInvalid & ~kConsumed;
      case 10:
        return kInvalid - 1;
      default:
        return static_cast<uint32_t>(rng_());
    }
  }

  // Scribbles on some of the words, sometimes leaving a chain cycle.
  void corrupt(GuardedIndices& g, uint32_t n) {
    const uint32_t count = 1 + rng_() % 4;
    for (uint32_t i = 0; i < count; ++i) g.word(rng_() % g.words()) = value(n);
    if (rng_() % 4 == 0) {
      const uint32_t a = rng_() % n, b = rng_() % n;
      g.word(2 + a) = b;  // a -> b -> a, or a -> a
      g.word(2 + b) = a;
    }
  }

  uint32_t below(uint32_t bound) { return rng_() % bound; }

 private:
  std::mt19937_64 rng_;
};

bool in_range(PushResult r) {
  return r == PushResult::kPublished || r == PushResult::kDiscarded || r == PushResult::kFull ||
         r == PushResult::kError;
}

bool in_range(PopResult r) {
  return r == PopResult::kNothingProduced || r == PopResult::kNoNew || r == PopResult::kNew ||
         r == PopResult::kNewAfterGap || r == PopResult::kError;
}

// One random operation of either side; checks what comes back.
void step(Garbage& g, ProducerQueue& producer, ConsumerQueue& consumer, uint32_t n, int* errors) {
  switch (g.below(5)) {
    case 0:
    case 1: {
      const PushResult r = g.below(2) ? producer.force_push() : producer.try_push();
      ASSERT_TRUE(in_range(r));
      *errors += r == PushResult::kError;
      break;
    }
    case 2:
    case 3: {
      const PopResult r = g.below(4) ? consumer.pop() : consumer.flush();
      ASSERT_TRUE(in_range(r));
      *errors += r == PopResult::kError;
      break;
    }
    default:
      (void)consumer.has_news();
  }
  ASSERT_LT(producer.current(), n);
  ASSERT_TRUE(consumer.current() < n || consumer.current() == kInvalid) << consumer.current();
}

class Corrupt : public testing::TestWithParam<uint32_t> {};

TEST_P(Corrupt, GarbageIndicesGiveErrorsNeverWildAccess) {
  const uint32_t n = GetParam();
  Garbage g(1000 + n);
  int errors = 0;
  GuardedIndices area(n);
  for (int pattern = 0; pattern < 100000; ++pattern) {
    area.indices().reset_head_and_tail();
    ProducerQueue producer(area.indices());
    ConsumerQueue consumer(area.indices());
    // A valid history first, so that the private state is anything reachable.
    const uint32_t valid_steps = g.below(3 * n);
    for (uint32_t i = 0; i < valid_steps; ++i) {
      if (g.below(2))
        ASSERT_NE(g.below(2) ? producer.force_push() : producer.try_push(), PushResult::kError);
      else
        ASSERT_NE(consumer.pop(), PopResult::kError);
    }
    g.corrupt(area, n);
    for (int i = 0; i < 40; ++i) {
      step(g, producer, consumer, n, &errors);
      if (HasFatalFailure()) {
        ADD_FAILURE() << "pattern " << pattern << ", step " << i;
        return;
      }
      if (g.below(3) == 0) g.corrupt(area, n);
    }
  }
  EXPECT_GT(errors, 0);  // the garbage was noticed, not just survived
}

// The chain alone corrupted, tail and head left valid: the consumer follows
// the chain and must stop at anything out of range.
TEST_P(Corrupt, ChainOutOfRangeIsAnError) {
  const uint32_t n = GetParam();
  GuardedIndices area(n);
  area.indices().reset_head_and_tail();
  ProducerQueue producer(area.indices());
  ConsumerQueue consumer(area.indices());
  ASSERT_EQ(producer.force_push(), PushResult::kPublished);
  ASSERT_EQ(consumer.pop(), PopResult::kNew);
  const uint32_t held = consumer.current();
  for (uint32_t bad : {n, n + 1, kMask, kConsumed, kConsumed | 1, kFirst, kInvalid - 1}) {
    area.word(2 + held) = bad;
    EXPECT_EQ(consumer.pop(), PopResult::kError) << bad;
    EXPECT_EQ(consumer.current(), held);
  }
}

TEST_P(Corrupt, TailOutOfRangeIsAnErrorForBothSides) {
  const uint32_t n = GetParam();
  for (uint32_t bad : {n, n | kConsumed, n | kFirst, kMask, kMask | kConsumed, kInvalid - 1,
                       kInvalid & ~kConsumed}) {
    GuardedIndices area(n);
    area.indices().reset_head_and_tail();
    ProducerQueue producer(area.indices());
    ConsumerQueue consumer(area.indices());
    ASSERT_EQ(producer.force_push(), PushResult::kPublished);
    area.word(0) = bad;
    EXPECT_EQ(consumer.pop(), PopResult::kError) << bad;
    area.word(0) = bad;  // a pop may have set the CONSUMED flag
    EXPECT_EQ(consumer.flush(), PopResult::kError) << bad;
    EXPECT_EQ(consumer.current(), kInvalid);
    area.word(0) = bad;
    EXPECT_EQ(producer.force_push(), PushResult::kError) << bad;
    area.word(0) = bad;
    EXPECT_EQ(producer.try_push(), PushResult::kError) << bad;
    EXPECT_LT(producer.current(), n);
  }
}

TEST_P(Corrupt, HeadOutOfRangeIsAnErrorForFlush) {
  const uint32_t n = GetParam();
  GuardedIndices area(n);
  area.indices().reset_head_and_tail();
  ProducerQueue producer(area.indices());
  ConsumerQueue consumer(area.indices());
  ASSERT_EQ(producer.force_push(), PushResult::kPublished);
  for (uint32_t bad : {n, n + 5, kMask, kConsumed, kInvalid - 1}) {
    area.word(1) = bad;
    EXPECT_EQ(consumer.flush(), PopResult::kError) << bad;
    EXPECT_TRUE(consumer.current() < n || consumer.current() == kInvalid);
  }
}

// A consumer that never popped but finds the CONSUMED flag set has no slot
// to follow the chain from.
TEST(CorruptQueue, ConsumedFlagBeforeTheFirstPopIsAnError) {
  GuardedIndices area(3);
  area.indices().reset_head_and_tail();
  ProducerQueue producer(area.indices());
  ConsumerQueue consumer(area.indices());
  ASSERT_EQ(producer.force_push(), PushResult::kPublished);
  area.word(0) |= kConsumed;
  EXPECT_EQ(consumer.pop(), PopResult::kError);
  EXPECT_EQ(consumer.current(), kInvalid);
}

INSTANTIATE_TEST_SUITE_P(Slots, Corrupt, testing::Values(3u, 4u, 5u, 17u));

}  // namespace
}  // namespace rtipc
