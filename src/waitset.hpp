// One place to block on many channels: consumers, plain descriptors and
// peers' pidfds, each under the caller's 64-bit key.
//
// wait() looks at the consumers' queues first (shared memory only), spins
// on them for spin_ns if asked, and only then sleeps in the kernel. A
// producer publishes before it signals, so a message is either seen by that
// look or wakes the sleep: no lost wake-up. Eventfds are watched
// edge-triggered and never read: a stale or flooded counter costs nothing.
//
// Thread rules: wait() runs on one thread at a time, the thread that also
// consumes the waitset's consumers (a queue's "news" depends on what its
// consumer has taken). add_*() and remove_*() may run on any thread, also
// while another waits; once remove_*() returns, the waitset never touches
// that consumer or descriptor again (a wait running meanwhile may still
// report its key).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "channel.hpp"
#include "fd.hpp"
#include "wait_backend.hpp"

namespace rtipc {

// Bits of WaitEvent::ready; the values of RTIPC_READY_*.
inline constexpr uint32_t kReadyMessage = 0x1;
inline constexpr uint32_t kReadyPeerGone = 0x2;
inline constexpr uint32_t kReadyFd = 0x4;

// Laid out as struct rtipc_waitset_event.
struct WaitEvent {
  uint64_t key;
  uint32_t ready;    // kReady*
  uint32_t revents;  // poll(2) bits of a descriptor or pidfd, else 0
};

class Waitset {
 public:
  enum class Backend : uint32_t { kEpoll = 0, kIoUring = 1 };

  // Throws Error. Asked for io_uring where it is unavailable, falls back to
  // epoll with one warning, or throws (-ENOTSUP, -errno) when `require`.
  Waitset(Backend backend, bool require, uint32_t spin_ns);
  Waitset(const Waitset&) = delete;
  Waitset& operator=(const Waitset&) = delete;

  Backend backend() const { return kind_; }
  int fd() const { return backend_->fd(); }

  // Throws Error(-EEXIST) for a consumer or descriptor already there,
  // Error(-ENOTSUP) for a consumer without eventfd, -errno.
  void add_consumer(const Consumer& consumer, uint64_t key);
  void add_fd(int fd, uint32_t events, uint64_t key);
  void add_peer(int pidfd, uint64_t key);
  // 0, or -ENOENT when it is not there.
  int remove_consumer(const Consumer& consumer);
  int remove_fd(int fd);

  // Fills up to max events and returns their count (>= 1), 0 on timeout,
  // -EINTR when a signal handler ran, -errno.
  int wait(WaitEvent* out, uint32_t max, int timeout_ms);

 private:
  enum class Kind { kConsumer, kFd, kPeer };
  struct Entry {
    uint64_t id;
    Kind kind;
    uint64_t key;
    const Consumer* consumer;  // kConsumer
    int fd;                    // kConsumer: its eventfd; else the caller's descriptor
    UniqueFd pidfd;            // kConsumer: our copy of its peer's pidfd, if known
    uint32_t pending = 0;      // revents that fired and are not reported yet
    bool peer_gone = false;    // kConsumer: its peer has exited (for good)
  };

  void add(Entry entry, uint32_t events);
  Entry* find(uint64_t id);
  void note(const RawEvent* raw, int n);
  bool anything_ready();
  int collect(WaitEvent* out, uint32_t max);

  Backend kind_;
  std::unique_ptr<WaitBackend> backend_;
  uint32_t spin_ns_;
  std::mutex mu_;
  std::vector<Entry> entries_;  // sorted by id
  uint64_t next_id_ = 1;
  size_t next_start_ = 0;  // where collect() starts, so that nobody starves
};

}  // namespace rtipc
