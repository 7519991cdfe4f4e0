// The protocol-2 queue (docs/protocol.md §7): a wait-free single-producer
// single-consumer ring whose indices live in shared memory.
//
// Thread rules: a ProducerQueue is used by one thread at a time, and so is a
// ConsumerQueue; the two sides may run concurrently in different threads or
// processes. Nothing here allocates, locks or makes a system call after
// construction.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <memory>

namespace rtipc {

inline constexpr uint32_t kInvalid = 0xFFFFFFFF;
inline constexpr uint32_t kConsumed = 0x80000000;
inline constexpr uint32_t kFirst = 0x40000000;
inline constexpr uint32_t kMask = 0x3FFFFFFF;

// Values: rtipc.h's RTIPC_PUBLISHED... and RTIPC_NOTHING_PRODUCED...
// (capi/channel.cpp checks that they agree); kError is never returned there.
enum class PushResult { kPublished = 0, kDiscarded = 1, kFull = 2, kError = -1 };
enum class PopResult { kNothingProduced = 0, kNoNew = 1, kNew = 2, kNewAfterGap = 3, kError = -1 };

// The index area of one channel: tail, head, chain[n], each a 32-bit atomic.
class QueueIndices {
 public:
  QueueIndices(uint32_t* base, uint32_t slots) : base_(base), slots_(slots) {}

  std::atomic_ref<uint32_t> tail() const { return std::atomic_ref<uint32_t>(base_[0]); }
  std::atomic_ref<uint32_t> head() const { return std::atomic_ref<uint32_t>(base_[1]); }
  std::atomic_ref<uint32_t> chain(uint32_t i) const {
    return std::atomic_ref<uint32_t>(base_[2 + i]);
  }
  uint32_t slots() const { return slots_; }

  // The state of a region the client has just created (docs/protocol.md §6.4).
  void reset_head_and_tail() const;

 private:
  uint32_t* base_;
  uint32_t slots_;
};

// How many published messages the consumer has not taken yet (the one it
// holds does not count), from the shared indices alone: any thread, either
// side, no write. A snapshot: it may be stale by the time it returns.
// -EPROTO when the indices are corrupt.
int pending_messages(const QueueIndices& q);

// How often flush() retries while the producer overruns it before it takes
// the next message as pop() would (rtipc.h promises the number).
inline constexpr int kMaxFlushRetries = 4;

class ProducerQueue {
 public:
  // Takes the producer role: writes chain[i] = (i + 1) mod n.
  explicit ProducerQueue(QueueIndices indices);

  uint32_t current() const { return c_; }  // the slot being written
  uint32_t slots() const { return q_.slots(); }

  // kError: the shared indices are corrupt. A force_push that fails has
  // published already, so from then on every push fails.
  PushResult force_push();
  PushResult try_push();

 private:
  PushResult first_push();
  void publish();
  void link_released_overrun(uint32_t next);
  PushResult overrun(uint32_t t);
  bool next_slot(uint32_t* next) const;

  QueueIndices q_;
  std::unique_ptr<uint32_t[]> chain_;  // private copy, L in the protocol text
  uint32_t newest_ = kInvalid;         // h: newest published slot
  uint32_t c_ = 0;                     // slot being written
  uint32_t overrun_ = kInvalid;        // o: lost to an overrun, still held by the consumer
};

class ConsumerQueue {
 public:
  explicit ConsumerQueue(QueueIndices indices) : q_(indices) {}

  uint32_t current() const { return cur_; }  // kInvalid until the first pop
  uint32_t slots() const { return q_.slots(); }

  // Whether pop() would find anything (a new message or an error) now.
  // Reads shared memory only.
  bool has_news() const;

  PopResult pop();  // the next message in order
  // The newest message, dropping older ones. Finding nothing new writes no
  // shared memory (as pop). Wait-free: after kMaxFlushRetries failed
  // attempts (the producer overran it each time) it returns pop().
  PopResult flush();

 private:
  PopResult take_moved_tail(uint32_t t);

  QueueIndices q_;
  uint32_t cur_ = kInvalid;
};

}  // namespace rtipc
