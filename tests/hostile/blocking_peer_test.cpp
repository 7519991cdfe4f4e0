// Issue 18, item 1: a peer that shares our eventfd's open file description
// clears O_NONBLOCK, keeps the counter where our next write (full) or read
// (empty) would wait, and moves it by one count at a time, for seconds. It
// stops now and then, leaving the counter so, and we check that our end
// still makes progress: a write(2) or read(2) of ours that it caught would
// wait until it moves again. Two processes, both roles, both directions.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "core_pair.hpp"
#include "eventfd.hpp"

namespace rtipc {
namespace {

constexpr uint64_t kFullCounter = 0xfffffffffffffffe;
constexpr int kCycles = 20;
constexpr int kToggleMs = 100;
// How long a stop may last before our end counts as caught: far more than
// the microseconds a push or a wait(0) takes.
constexpr int kCaughtMs = 2000;

int64_t now_ms() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

void set_nonblock(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
}

bool write_count(int fd, uint64_t n) {
  return ::write(fd, &n, sizeof n) == sizeof n;
}
bool read_count(int fd) {
  uint64_t n;
  return ::read(fd, &n, sizeof n) == sizeof n;
}

// Whether a thread of process `pid` sleeps where an eventfd read or write
// waits (the peer sees this in /proc, as any process of the same user
// may): then the peer has caught it, and holds still.
bool someone_waits_on_an_eventfd(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return false;
  bool found = false;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(dir + "/" + e->d_name + "/wchan");
    std::string where;
    in >> where;
    if (where == "do_wait_intr_irq") found = true;
  }
  ::closedir(d);
  return found;
}

// The peer's side. `keep_full`: it keeps the counter full and moves it down
// and up by one (against our writes); else it keeps it empty and moves it
// up and down by one (against our reads). Its own non-blocking steps set
// O_NONBLOCK for the moment they take; the rest of the time the flag is
// clear. After each toggling phase it stops, with the counter where it
// wants it, says 'h' on `held` and waits for 'r' on `resume`. It stops
// early once it sees a thread of ours wait on the eventfd: caught.
int toggling_peer(int fd, bool keep_full, test::Pipe& held, test::Pipe& resume) {
  const pid_t us = ::getppid();
  set_nonblock(fd, true);
  if (keep_full && !write_count(fd, kFullCounter)) return 10;
  held.put('f');  // filled: our side may start
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    const int64_t end = now_ms() + kToggleMs;
    while (now_ms() < end) {
      set_nonblock(fd, false);
      // Cannot wait: the counter holds counts (full) or room (empty).
      if (keep_full ? !read_count(fd) : !write_count(fd, 1)) return 11;
      set_nonblock(fd, true);
      if (keep_full)
        write_count(fd, 1);  // EAGAIN when our write refilled it
      else
        read_count(fd);  // EAGAIN when our read took it
      set_nonblock(fd, false);
      if (someone_waits_on_an_eventfd(us)) break;
    }
    set_nonblock(fd, true);
    if (keep_full)
      write_count(fd, 1);
    else
      while (read_count(fd)) {
      }
    set_nonblock(fd, false);
    held.put('h');
    if (resume.get(30000) != 'r') return 12;
  }
  // One last move, which frees a write or read of ours caught in the last stop.
  set_nonblock(fd, true);
  if (keep_full ? !read_count(fd) : !write_count(fd, 1)) return 13;
  return 0;
}

// Runs `step` on a thread of ours in a loop while the peer toggles; after
// each toggling phase, while the peer stands still, counts how many of
// those stops the thread made no progress through. Returns that count.
int caught_stops(test::Pipe& held, test::Pipe& resume, const std::function<void()>& step) {
  if (held.get(30000) != 'f') {
    ADD_FAILURE() << "the peer did not start";
    return -1;
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> steps{0};
  std::thread worker([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      step();
      steps.fetch_add(1, std::memory_order_relaxed);
    }
  });
  int caught = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    if (held.get(30000) != 'h') {
      ADD_FAILURE() << "the peer did not stop in cycle " << cycle;
      break;
    }
    const uint64_t before = steps.load();
    const int64_t give_up = now_ms() + kCaughtMs;
    while (steps.load() < before + 100 && now_ms() < give_up) std::this_thread::yield();
    if (steps.load() < before + 100) ++caught;
    resume.put('r');  // its next move frees a caught write or read
  }
  stop = true;
  worker.join();
  return caught;
}

// RTIPC_NO_KERNEL_SIGNAL=1 BLOCKING_PEER_FALLBACK=1 runs the produce test against
// the poll(2)+write(2) fallback (the code before the fix), which a peer
// wins: it fails there, showing the residual risk.
bool skip_without_ring() {
  return std::getenv("BLOCKING_PEER_FALLBACK") == nullptr;
}

class BlockingPeer : public testing::TestWithParam<PeerRole> {
 protected:
  void SetUp() override {
    ::alarm(120);  // a watchdog: a hang is a failure, never a stuck run
  }
  void TearDown() override { ::alarm(0); }
};

TEST_P(BlockingPeer, CannotHoldOurProduceWithAFullCounter) {
  test::Pipe held, resume;
  CorePair pair(GetParam(), false, [&](Group& g) {
    auto c = g.take_consumer(0);
    return toggling_peer(c->eventfd(), true, held, resume);
  });
  auto p = pair.group().take_producer(0);
  if (!EventFd::signals_never_wait() && skip_without_ring())
    GTEST_SKIP() << "no AIO here: a peer can hold the poll(2)+write(2) fallback "
                    "(the residual risk in rtipc.h)";
  const int caught = caught_stops(held, resume, [&] { p->push(true); });
  EXPECT_EQ(caught, 0) << "our produce was held in " << caught << " of " << kCycles << " stops";
  EXPECT_EQ(pair.finish(), 0);
}

// The consumer's take never reads(2) a counter it has not seen hold a
// count (preadv2(RWF_NOWAIT)).
TEST_P(BlockingPeer, CannotHoldOurWaitWithAnEmptyCounter) {
  test::Pipe held, resume;
  CorePair pair(GetParam(), true, [&](Group& g) {
    auto p = g.take_producer(0);
    return toggling_peer(p->eventfd(), false, held, resume);
  });
  auto c = pair.group().take_consumer(0);
  const int caught = caught_stops(held, resume, [&] { c->wait(0); });
  EXPECT_EQ(caught, 0) << "our wait was held in " << caught << " of " << kCycles << " stops";
  EXPECT_EQ(pair.finish(), 0);
}

INSTANTIATE_TEST_SUITE_P(Roles, BlockingPeer, testing::Values(PeerRole::kClient, PeerRole::kServer),
                         role_name);

}  // namespace
}  // namespace rtipc
