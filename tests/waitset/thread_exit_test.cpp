// A thread that produces and then ends: its eventfd count still lands.
// The count used to be written by an io_uring kernel worker, and the end
// of the thread's ring cancelled the write if the worker had not run yet
// (on a loaded machine, the last produce's wake-up: a waitset that never
// woke). Now the kernel adds it inside the produce (src/eventfd_signal.hpp).
// Here the counter is full and blocking when the thread produces, which
// held the worker's write back until after the thread had ended.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <cstdint>
#include <thread>

#include "support.hpp"

namespace {

using wstest::LocalPairs;
using wstest::push;

// The counter, as the kernel shows it (a read in semaphore mode takes 1).
uint64_t eventfd_count(int fd) {
  std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd));
  std::string key;
  while (in >> key)
    if (key == "eventfd-count:") {
      std::string hex;
      in >> hex;
      return std::stoull(hex, nullptr, 16);
    }
  return 0;
}

TEST(ThreadExit, LastWakeUpOfAnEndingThreadLands) {
  LocalPairs p(1);
  const int efd = rtipc_consumer_fd(p.consumers[0]);
  ASSERT_GE(efd, 0);
  // A full, blocking counter: the producer's write waits in the worker.
  const int flags = ::fcntl(efd, F_GETFL);
  ASSERT_EQ(::fcntl(efd, F_SETFL, flags & ~O_NONBLOCK), 0);
  const uint64_t full = 0xfffffffffffffffeULL;
  ASSERT_EQ(::write(efd, &full, sizeof full), static_cast<ssize_t>(sizeof full));

  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    EXPECT_GE(push(p.producers[0], 1), 0);
    pushed = true;
  });  // ends here: its ring goes with it
  while (!pushed) std::this_thread::yield();
  // Not a timing assertion: room for the thread to end (and, before the
  // fix, to cancel the write) before the counter has space again.
  ::usleep(50000);
  uint64_t v = 0;  // semaphore mode: takes one count
  ASSERT_EQ(::read(efd, &v, sizeof v), static_cast<ssize_t>(sizeof v));
  producer.join();
  EXPECT_EQ(eventfd_count(efd), full) << "the produce's wake-up was lost with its thread";
}

}  // namespace
