// Writes and reads of an eventfd count that a peer cannot block (issue 18,
// item 1), through a private io_uring of the calling thread.
//
// The peer shares the eventfd's open file description, and with it
// O_NONBLOCK, which it may clear at any time. A check of the flag or the
// counter before a write(2)/read(2) leaves a window that the peer can win;
// pwritev2(RWF_NOWAIT) is refused for eventfds; an io_uring write with
// RWF_NOWAIT issued on our thread reads the flag in io_uring and again in
// the eventfd (no write_iter), and a toggling peer wins that window too
// (tests/hostile/blocking_peer_test.cpp caught it in 4 and 9 of 20
// stops). So every write (and every read where RWF_NOWAIT is refused) is
// queued with IOSQE_ASYNC: a kernel worker runs it, and if the peer makes
// it block, the worker waits, never our thread. The signal then waits up
// to 10 ms for the worker (more than a loaded machine takes to run it), so
// that the count is there when produce returns wherever the peer lets it
// be; a write the peer blocks costs that wait once (later signals find it
// in flight), and again each time the peer lets one through and blocks the
// next: a hostile peer can delay a produce by 10 ms, never hold it.
//
// Every signal adds one count, as a write(2) of 1 would (C and Rust
// consumers take one count per message): up to kMaxWritesInFlight queued
// writes of one eventfd may be in flight; beyond that (a peer that blocks
// them) the counts are owed and added, as one write of their sum,
// by the next signal that finds room. So a peer cannot pile up requests.
// One read at most is in flight.
//
// The ring belongs to the thread (thread_local, made on first use, closed
// when the thread ends, once its writes have landed or after 1 s): the kernel tells every thread
// that submitted to a ring, as if by a signal, when the ring is closed, which would interrupt that
// thread's next blocking call with a spurious EINTR. With IORING_SETUP_DEFER_TASKRUN no completion
// does that either. A forked child makes a ring of its own (an inherited one is shared memory with
// the parent). Linux 6.1+; elsewhere the caller falls back to poll(2) and write(2).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace rtipc {

// One eventfd's requests in flight, shared with the rings that hold them
// (so that a request outliving its EventFd finds it still there).
struct EventFdIo {
  explicit EventFdIo(int fd) : fd(fd) {}
  const int fd;
  std::atomic<uint32_t> writes_in_flight{0};
  std::atomic<uint64_t> owed{0};          // counts signalled but not yet queued
  std::atomic<uint64_t> read_ring{0};     // the ring with our read in flight; 0: none
  std::atomic<uint32_t> counts_taken{0};  // by reads that completed
  std::atomic<int> error{0};              // of a request that failed, reported once
};

// Whether this thread has (or can now set up) its ring; *why (unless
// null) says why not.
bool thread_ring_available(std::string* why);

inline constexpr uint32_t kMaxWritesInFlight = 8;

// Adds one count: queues a write of it (and of what is owed), or owes it
// while kMaxWritesInFlight writes are in flight. One io_uring_enter(2) that
// never waits (two when it must first collect completions). Returns 0, or -errno of
// the submission or of an earlier write that failed other than on a full
// counter. Only after thread_ring_available().
int thread_ring_signal(const std::shared_ptr<EventFdIo>& io);

// Before the eventfd goes: queues what is owed and waits, up to
// timeout_ms, for this thread's writes of io to land (a peer that blocks
// them costs that long once). Nothing where this thread has no ring.
void thread_ring_flush(const std::shared_ptr<EventFdIo>& io, int timeout_ms);

// Returns 1 when a read queued earlier has taken a count since the last
// call (else 0), and queues the next read unless one is in flight. Never
// waits. -errno as thread_ring_signal.
int thread_ring_take(const std::shared_ptr<EventFdIo>& io);

}  // namespace rtipc
