// LATEST finds nothing new without writing to a read-only index area
// (issue 8, item 5).
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include "queue.hpp"

namespace rtipc {
namespace {

TEST(Latest, ReadOnlyIndexAreaDoesNotFaultWhenNothingIsNew) {
  EXPECT_EXIT(
      {
        const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
        void* mem =
            ::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        QueueIndices q(static_cast<uint32_t*>(mem), 4);
        q.reset_head_and_tail();
        ProducerQueue producer(q);
        ConsumerQueue consumer(q);
        ::mprotect(mem, page, PROT_READ);
        if (consumer.flush() != PopResult::kNothingProduced) ::_exit(1);
        ::mprotect(mem, page, PROT_READ | PROT_WRITE);
        producer.force_push();
        producer.force_push();
        if (consumer.flush() != PopResult::kNewAfterGap) ::_exit(2);
        ::mprotect(mem, page, PROT_READ);
        if (consumer.flush() != PopResult::kNoNew) ::_exit(3);  // a write would SIGSEGV
        if (consumer.pop() != PopResult::kNoNew) ::_exit(4);
        ::_exit(0);
      },
      testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace rtipc
