#include "eventfd_ring.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <new>

#include "deadline.hpp"
#include "fork_generation.hpp"
#include "io_uring_env.hpp"
#include "log.hpp"

#if RTIPC_HAVE_IO_URING
#include <liburing.h>
#endif

namespace rtipc {

#if RTIPC_HAVE_IO_URING

namespace {

// What a write adds (kCounts[n] adds n), and where a read puts what it
// took (semaphore mode: always 1, never looked at). Static: a request
// still in flight when its thread ends must not use freed memory.
constexpr unsigned kMaxCountsPerWrite = 64;
constexpr auto kCounts = [] {
  std::array<uint64_t, kMaxCountsPerWrite + 1> a{};
  for (unsigned i = 0; i <= kMaxCountsPerWrite; ++i) a[i] = i;
  return a;
}();
uint64_t read_sink;

constexpr unsigned kEntries = 64;               // requests in flight per thread, all eventfds
constexpr int64_t kVisibleWaitNs = 10'000'000;  // see the header
constexpr int64_t kExitWaitNs = 1'000'000'000;  // ~ThreadRing

std::atomic<uint64_t> next_ring_id{1};

bool harmless(int res) {
  return res >= 0 || res == -EAGAIN || res == -EINTR || res == -ECANCELED;
}

class ThreadRing {
 public:
  ~ThreadRing() {
    if (!live_) return;
    // Closing the ring cancels what the workers have not done yet: on a
    // loaded machine that can be the write of the last produce (more than
    // kVisibleWaitNs late), a lost wake-up. Let them land first; a peer
    // that blocks one delays the thread's end by kExitWaitNs, once.
    const auto end = std::chrono::steady_clock::now() + std::chrono::nanoseconds(kExitWaitNs);
    while (writes_in_flight_ > 0) {
      const int64_t left = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               end - std::chrono::steady_clock::now())
                               .count();
      if (left <= 0) break;
      __kernel_timespec ts{left / 1'000'000'000, left % 1'000'000'000};
      io_uring_cqe* cqe = nullptr;
      io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
      collect();
    }
    io_uring_queue_exit(&ring_);
  }

  // Returns 0 or -errno with *why.
  int open(std::string* why) {
    io_uring_params p{};
    // Completions wait until this thread asks for them (get_events):
    // otherwise the kernel posts them as task work that interrupts the
    // thread's next blocking call.
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    if (const int r = io_uring_queue_init_params(kEntries, &ring_, &p); r < 0) {
      *why = std::string("io_uring_setup(DEFER_TASKRUN, Linux 6.1+): ") + std::strerror(-r);
      return r;
    }
    live_ = true;
    if (const int r = io_uring_register_files_sparse(&ring_, kEntries); r < 0) {
      *why = std::string("io_uring_register_files_sparse: ") + std::strerror(-r);
      return r;
    }
    for (unsigned i = 0; i < kEntries; ++i) free_[i] = static_cast<uint16_t>(i);
    free_count_ = kEntries;
    return 0;
  }

  uint64_t id() const { return id_; }

  // Waits up to timeout_ns until io has no write in flight.
  void wait_for_writes(const EventFdIo& io, int64_t timeout_ns) {
    __kernel_timespec ts{0, timeout_ns};
    while (io.writes_in_flight.load() > 0) {
      io_uring_cqe* cqe = nullptr;
      const int r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
      collect();
      if (r == -ETIME) return;
    }
  }

  // Waits up to timeout_ms for a completion (posting it). False on timeout.
  bool wait(int timeout_ms) {
    __kernel_timespec ts = timespec_of_ms<__kernel_timespec>(timeout_ms);
    io_uring_cqe* cqe = nullptr;
    const int r = io_uring_wait_cqe_timeout(&ring_, &cqe, &ts);
    collect();
    return r == 0;
  }

  // Posts what completed (one io_uring_enter that never waits) and takes it.
  void reap() {
    io_uring_get_events(&ring_);
    collect();
  }

  // Takes the completions already posted: no system call.
  void collect() {
    io_uring_cqe* cqe;
    while (io_uring_peek_cqe(&ring_, &cqe) == 0) {
      Entry& e = entries_[cqe->user_data];
      File& f = files_[e.file];
      const int res = cqe->res;
      uint64_t mine = id_;
      if (e.write) {
        f.io->writes_in_flight.fetch_sub(1);
        --writes_in_flight_;
      } else {
        f.io->read_ring.compare_exchange_strong(mine, 0);
        if (res == sizeof read_sink) f.io->counts_taken.fetch_add(1);
      }
      if (!harmless(res)) {
        int none = 0;
        f.io->error.compare_exchange_strong(none, res);
      }
      --f.in_flight;
      free_[free_count_++] = static_cast<uint16_t>(cqe->user_data);
      io_uring_cqe_seen(&ring_, cqe);
    }
  }

  // write: the number of counts to add (1..kMaxCountsPerWrite); 0: a read.
  int queue(const std::shared_ptr<EventFdIo>& io, unsigned write) {
    if (free_count_ == 0) reap();
    if (free_count_ == 0) return -EBUSY;  // 64 requests stuck
    const int file = file_of(io);
    if (file < 0) return file;
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe) return -EBUSY;
    const uint16_t slot = free_[--free_count_];
    if (write)
      io_uring_prep_write(sqe, file, &kCounts[write], sizeof kCounts[write], 0);
    else
      io_uring_prep_read(sqe, file, &read_sink, sizeof read_sink, 0);
    // IOSQE_ASYNC: never issued on this thread (see the header).
    // IOSQE_FIXED_FILE: the worker looks the file up when it runs, which
    // for a descriptor number could be after the number was closed and
    // reused (by a memfd, say); the registered table holds the file.
    sqe->flags |= IOSQE_ASYNC | IOSQE_FIXED_FILE;
    sqe->user_data = slot;
    // Submits and posts what completed, in one io_uring_enter that never
    // waits; collect() below takes it.
    int r;
    do {
      r = io_uring_submit_and_get_events(&ring_);
    } while (r == -EINTR);
    if (r < 0) {
      free_[free_count_++] = slot;
      return r;
    }
    entries_[slot] = {static_cast<uint16_t>(file), write != 0};
    ++files_[file].in_flight;
    if (write) {
      io->writes_in_flight.fetch_add(1);
      ++writes_in_flight_;
    } else
      io->read_ring.store(id_);
    collect();
    return 0;
  }

 private:
  struct Entry {
    uint16_t file = 0;
    bool write = false;
  };
  struct File {
    std::shared_ptr<EventFdIo> io;  // null: the table slot is free
    unsigned in_flight = 0;
  };

  // io's slot in the registered file table, registering it (one system
  // call) on first use; frees the slots of eventfds that are gone first.
  // -errno on failure.
  int file_of(const std::shared_ptr<EventFdIo>& io) {
    int free_slot = -1;
    for (unsigned i = 0; i < kEntries; ++i) {
      File& f = files_[i];
      if (f.io == io) return static_cast<int>(i);
      // Only the table holds it: its EventFd is gone.
      if (f.io && f.io.use_count() == 1 && f.in_flight == 0) {
        int none = -1;
        io_uring_register_files_update(&ring_, i, &none, 1);
        f.io.reset();
      }
      if (!f.io && free_slot < 0) free_slot = static_cast<int>(i);
    }
    if (free_slot < 0) return -EBUSY;
    int fd = io->fd;  // open: we run inside one of its EventFd's calls
    const int r = io_uring_register_files_update(&ring_, static_cast<unsigned>(free_slot), &fd, 1);
    if (r < 0) return r;
    files_[free_slot].io = io;
    return free_slot;
  }

  io_uring ring_;
  bool live_ = false;
  const uint64_t id_ = next_ring_id.fetch_add(1);
  std::array<Entry, kEntries> entries_;
  std::array<File, kEntries> files_;
  std::array<uint16_t, kEntries> free_;
  unsigned free_count_ = 0;
  unsigned writes_in_flight_ = 0;  // of every eventfd
};

thread_local std::unique_ptr<ThreadRing> t_ring;
thread_local uint64_t t_tried_generation = ~uint64_t{0};
thread_local std::string t_why;

ThreadRing* thread_ring() {
  const uint64_t generation = fork_generation();
  if (t_tried_generation == generation) return t_ring.get();
  // First use on this thread, or the first in a forked child, whose copy
  // is the parent's ring: only our own mapping and descriptor are dropped.
  t_tried_generation = generation;
  t_ring.reset();
  if (io_uring_forbidden_by_env()) {
    t_why = "RTIPC_NO_IO_URING is set";
    return nullptr;
  }
  std::unique_ptr<ThreadRing> ring(new (std::nothrow) ThreadRing);
  if (!ring) {
    t_why = "out of memory";
    return nullptr;
  }
  if (ring->open(&t_why) < 0) {
    log(LogLevel::kInfo,
        "no io_uring for eventfd writes on this thread ({}); a peer that "
        "clears O_NONBLOCK can hold them",
        t_why);
    return nullptr;
  }
  t_ring = std::move(ring);
  return t_ring.get();
}

int pending_error(EventFdIo& io) {
  return io.error.exchange(0);
}

}  // namespace

bool thread_ring_available(std::string* why) {
  if (thread_ring()) return true;
  if (why) *why = t_why;
  return false;
}

int thread_ring_signal(const std::shared_ptr<EventFdIo>& io) {
  ThreadRing* ring = thread_ring();
  if (!ring) return -ENOTSUP;
  io->owed.fetch_add(1);
  if (io->writes_in_flight.load() >= kMaxWritesInFlight) ring->reap();
  if (const int e = pending_error(*io)) return e;
  // Writes in flight land when the counter has room; while it is full the
  // consumer has counts. Ours waits for room among them.
  if (io->writes_in_flight.load() >= kMaxWritesInFlight) return 0;
  uint64_t n = io->owed.exchange(0);
  if (n == 0) return 0;
  if (n > kMaxCountsPerWrite) {
    io->owed.fetch_add(n - kMaxCountsPerWrite);
    n = kMaxCountsPerWrite;
  }
  const uint32_t before = io->writes_in_flight.load();
  const int r = ring->queue(io, static_cast<unsigned>(n));
  if (r < 0) {
    io->owed.fetch_add(n);
    return r;
  }
  // Wait a little for the worker, so that the count is there when produce
  // returns wherever the peer lets it be; a write the peer blocks costs
  // this once, as later signals find it still in flight.
  if (before == 0) ring->wait_for_writes(*io, kVisibleWaitNs);
  return 0;
}

void thread_ring_flush(const std::shared_ptr<EventFdIo>& io, int timeout_ms) {
  if (t_tried_generation != fork_generation() || !t_ring) return;
  ThreadRing* ring = t_ring.get();
  // Slices of 10 ms at most: counts owed for lack of room are queued again.
  for (const Deadline deadline(timeout_ms); !deadline.expired();) {
    ring->reap();
    while (io->owed.load() > 0 && io->writes_in_flight.load() < kMaxWritesInFlight) {
      io->owed.fetch_sub(1);  // signal() adds it back
      if (thread_ring_signal(io) < 0) return;
    }
    if (io->owed.load() == 0 && io->writes_in_flight.load() == 0) return;
    ring->wait(std::min(10, deadline.poll_ms()));
  }
}

int thread_ring_take(const std::shared_ptr<EventFdIo>& io) {
  ThreadRing* ring = thread_ring();
  if (!ring) return -ENOTSUP;
  if (io->read_ring.load() == ring->id()) ring->reap();
  uint32_t n = io->counts_taken.load();
  while (n > 0 && !io->counts_taken.compare_exchange_weak(n, n - 1)) {
  }
  const int took = n > 0 ? 1 : 0;
  if (const int e = pending_error(*io)) return e;
  if (io->read_ring.load() != ring->id())
    if (const int r = ring->queue(io, 0); r < 0) return r;
  return took;
}

#else  // !RTIPC_HAVE_IO_URING

bool thread_ring_available(std::string* why) {
  if (why) *why = "librtipc was built without io_uring";
  return false;
}
int thread_ring_signal(const std::shared_ptr<EventFdIo>&) {
  return -ENOTSUP;
}
void thread_ring_flush(const std::shared_ptr<EventFdIo>&, int) {}
int thread_ring_take(const std::shared_ptr<EventFdIo>&) {
  return -ENOTSUP;
}

#endif

}  // namespace rtipc
