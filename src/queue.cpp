// Memory orders, in one place:
// - A slot's bytes travel from producer to consumer with the index that names
//   it: chain[h] = c and head = c are release stores, the consumer reads
//   chain[cur] and head with acquire. Moving the tail is a release RMW on the
//   producer side, since a consumer may learn a slot from the tail alone.
// - A slot travels back from consumer to producer when the consumer moves or
//   flags the tail: its RMWs on tail are release, and every producer read of
//   tail is acquire, so the consumer's reads of a slot happen before the
//   producer writes it again.
// - Everything else is ordered by those: relaxed.
#include "queue.hpp"

#include <algorithm>

namespace rtipc {

void QueueIndices::reset_head_and_tail() const {
  tail().store(kInvalid, std::memory_order_relaxed);  // published by the handshake
  head().store(kInvalid, std::memory_order_relaxed);
}

ProducerQueue::ProducerQueue(QueueIndices indices)
    : q_(indices), chain_(new uint32_t[indices.slots()]) {
  const uint32_t n = q_.slots();
  for (uint32_t i = 0; i < n; ++i) {
    chain_[i] = (i + 1) % n;
    // Before any push the consumer never reads chain: relaxed.
    q_.chain(i).store(chain_[i], std::memory_order_relaxed);
  }
}

void ProducerQueue::publish() {
  // Relaxed: ordered before the release stores below, which are what make c
  // reachable for the consumer.
  q_.chain(c_).store(kInvalid, std::memory_order_relaxed);
  chain_[c_] = kInvalid;
  // Head before the link (the protocol text has the reverse): a consumer
  // that reaches c through the chain then never finds head behind it, so a
  // flush cannot move it back onto a slot it released (docs/protocol-notes.md).
  q_.head().store(c_, std::memory_order_release);
  q_.chain(newest_).store(c_, std::memory_order_release);
  chain_[newest_] = c_;
  newest_ = c_;
}

PushResult ProducerQueue::first_push() {
  const uint32_t next = chain_[c_];
  q_.chain(c_).store(kInvalid, std::memory_order_relaxed);
  chain_[c_] = kInvalid;
  newest_ = c_;
  // Head before tail (the protocol text has the reverse; the order is ours to
  // pick): a consumer that sees a tail can then always trust head.
  q_.head().store(c_, std::memory_order_release);
  q_.tail().store(c_ | kFirst, std::memory_order_release);
  c_ = next;
  return PushResult::kPublished;
}

// The consumer has let go of the slot we lost to an overrun: put it back in
// the ring right after the message just published and write it next.
void ProducerQueue::link_released_overrun(uint32_t next) {
  // Relaxed: the consumer no longer reads chain[o]; publish() orders it.
  q_.chain(overrun_).store(next, std::memory_order_relaxed);
  chain_[overrun_] = next;
  c_ = overrun_;
  overrun_ = kInvalid;
}

// Full, and the consumer holds the oldest slot x: drop the message after x and
// reuse its slot, parking x until the consumer lets go of it.
PushResult ProducerQueue::overrun(uint32_t t) {
  const uint32_t x = t & kMask;
  const uint32_t nc = chain_[x];
  if (nc >= q_.slots()) return PushResult::kError;  // see next_slot()
  const uint32_t nt = chain_[nc];
  bool moved = q_.tail().compare_exchange_strong(t, nt, std::memory_order_acq_rel,
                                                 std::memory_order_acquire);
  // A consumer whose flush CASes the tail onto the slot it holds (the
  // protocol text's flush; ours never does) only clears kFirst: it still
  // holds x. Once at most, since nothing sets kFirst again.
  if (!moved && (t & kMask) == x) {
    moved = q_.tail().compare_exchange_strong(t, nt, std::memory_order_acq_rel,
                                              std::memory_order_acquire);
  }
  if (moved) {
    overrun_ = x;
    c_ = nc;
    return PushResult::kDiscarded;
  }
  c_ = x;  // the consumer moved on and released x in between
  return PushResult::kPublished;
}

// A valid peer never lets c_ reach newest_, whose private link is INVALID. A
// corrupt tail can (it makes us publish and then fail, or hands us a slot we
// hold already); from then on every push fails here instead of indexing with
// INVALID.
bool ProducerQueue::next_slot(uint32_t* next) const {
  *next = chain_[c_];
  return *next < q_.slots();
}

PushResult ProducerQueue::force_push() {
  if (newest_ == kInvalid) return first_push();
  uint32_t next;
  if (!next_slot(&next)) return PushResult::kError;
  publish();

  uint32_t t = q_.tail().load(std::memory_order_acquire);
  const uint32_t oldest = t & kMask;
  if (oldest >= q_.slots()) return PushResult::kError;

  if (overrun_ != kInvalid) {
    if (!(t & kConsumed)) {
      if (q_.tail().compare_exchange_strong(t, chain_[oldest], std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
        c_ = oldest;
        return PushResult::kDiscarded;
      }
    }
    link_released_overrun(next);
    return PushResult::kPublished;
  }
  if (next != oldest) {
    c_ = next;
    return PushResult::kPublished;
  }
  if (!(t & kConsumed)) {
    uint32_t expected = t;
    if (q_.tail().compare_exchange_strong(expected, chain_[oldest], std::memory_order_acq_rel,
                                          std::memory_order_acquire)) {
      c_ = next;
      return PushResult::kDiscarded;
    }
    // The consumer claimed the oldest slot just now (and may even have moved
    // on; overrun() notices that).
    t |= kConsumed;
  }
  return overrun(t);
}

PushResult ProducerQueue::try_push() {
  if (newest_ == kInvalid) return first_push();
  uint32_t next;
  if (!next_slot(&next)) return PushResult::kError;
  const uint32_t t = q_.tail().load(std::memory_order_acquire);
  const uint32_t oldest = t & kMask;
  if (oldest >= q_.slots()) return PushResult::kError;

  if (overrun_ != kInvalid) {
    if (!(t & kConsumed)) return PushResult::kFull;
    publish();
    link_released_overrun(next);
    return PushResult::kPublished;
  }
  if (next == oldest) return PushResult::kFull;
  publish();
  c_ = next;
  return PushResult::kPublished;
}

// t: a tail value without kConsumed that our fetch_or has just flagged. The
// producer put it there (first push, or it dropped messages), so we take it.
PopResult ConsumerQueue::take_moved_tail(uint32_t t) {
  const uint32_t slot = t & kMask;
  if (slot >= q_.slots()) return PopResult::kError;
  cur_ = slot;
  return (t & kFirst) ? PopResult::kNew : PopResult::kNewAfterGap;
}

bool ConsumerQueue::has_news() const {
  // Acquire: a caller that sees news goes on to pop, which re-reads anyway;
  // acquire keeps a waiter from acting on a stale view after a wake-up.
  const uint32_t t = q_.tail().load(std::memory_order_acquire);
  if (t == kInvalid) return false;
  if (!(t & kConsumed) || cur_ == kInvalid) return true;
  return q_.chain(cur_).load(std::memory_order_acquire) != kInvalid;
}

PopResult ConsumerQueue::pop() {
  // A plain load first, so that polling an idle queue writes nothing and
  // keeps the cache line shared. Relaxed: every value that leads to reading
  // a slot is re-read below with acquire.
  uint32_t t = q_.tail().load(std::memory_order_relaxed);
  if (t == kInvalid) return PopResult::kNothingProduced;
  if (!(t & kConsumed)) {
    t = q_.tail().fetch_or(kConsumed, std::memory_order_acq_rel);
    if (t == kInvalid) return PopResult::kNothingProduced;
    if (!(t & kConsumed)) return take_moved_tail(t);
  }
  // The tail is flagged, so we hold cur_ (only the consumer sets the flag).
  if (cur_ == kInvalid) return PopResult::kError;
  const uint32_t x = q_.chain(cur_).load(std::memory_order_acquire);
  if (x == kInvalid) return PopResult::kNoNew;
  if (x >= q_.slots()) return PopResult::kError;
  if (q_.tail().compare_exchange_strong(t, x | kConsumed, std::memory_order_acq_rel,
                                        std::memory_order_relaxed)) {
    cur_ = x;
    return PopResult::kNew;
  }
  // The producer moved the tail past us: messages were dropped.
  t = q_.tail().fetch_or(kConsumed, std::memory_order_acq_rel);
  if (t == kInvalid || (t & kConsumed)) return PopResult::kError;  // only we set the flag
  PopResult r = take_moved_tail(t);
  return r == PopResult::kError ? r : PopResult::kNewAfterGap;
}

PopResult ConsumerQueue::flush() {
  for (int attempt = 0; attempt <= kMaxFlushRetries; ++attempt) {
    // Load first, as pop() does: with nothing new, nothing is written (a
    // read-only mapping would fault, and a write steals the cache line).
    uint32_t t = q_.tail().load(std::memory_order_acquire);
    if (t == kInvalid) return PopResult::kNothingProduced;
    if (!(t & kConsumed)) {
      t = q_.tail().fetch_or(kConsumed, std::memory_order_acq_rel);
      if (t == kInvalid) return PopResult::kNothingProduced;
    }
    const uint32_t oldest = t & kMask;
    if (oldest >= q_.slots()) return PopResult::kError;

    uint32_t target;
    bool gap;
    if (t & kConsumed) {
      // We hold cur_. Look at the chain before head: a producer that links
      // before it stores head (the protocol text's order) can leave head one
      // message behind cur_, and jumping "to head" would go backwards.
      if (cur_ == kInvalid) return PopResult::kError;
      const uint32_t next = q_.chain(cur_).load(std::memory_order_acquire);
      if (next == kInvalid) return PopResult::kNoNew;
      if (next >= q_.slots()) return PopResult::kError;
      // cur_ was fully published before next was linked, so head >= cur_.
      target = q_.head().load(std::memory_order_acquire);
      if (target >= q_.slots()) return PopResult::kError;
      if (target == cur_) target = next;
      gap = target != next;
    } else {
      // The producer put this tail there (first push, or it dropped
      // messages) and our fetch_or took it; head was stored before it,
      // except by a producer that stores the first tail before the first
      // head.
      target = q_.head().load(std::memory_order_acquire);
      if (target == kInvalid) return take_moved_tail(t);
      if (target >= q_.slots()) return PopResult::kError;
      // A CAS to the same slot would only clear kFirst, and overrun() reads
      // any change of a flagged tail as the consumer letting go of the
      // slot: it would write the slot we read.
      if (target == oldest) return take_moved_tail(t);
      gap = true;
    }
    uint32_t expected = t | kConsumed;
    if (q_.tail().compare_exchange_strong(expected, target | kConsumed, std::memory_order_acq_rel,
                                          std::memory_order_relaxed)) {
      cur_ = target;
      return gap ? PopResult::kNewAfterGap : PopResult::kNew;
    }
    // The producer overran us meanwhile and moved the tail: round again.
  }
  // Overrun on every attempt: the next message in order, which reports the
  // gap the overruns made.
  return pop();
}

constexpr int kPendingAttempts = 16;

int pending_messages(const QueueIndices& q) {
  const uint32_t n = q.slots();
  // A walk that races the producer can meet a link it is rewriting and go
  // round the ring; a corrupt chain does so every time. So a cycle is only
  // an error when every attempt finds one with tail and head unchanged
  // (a producer that laps the ring between two reads brings them back to
  // the same values: more attempts, each a fresh look, make that unlikely).
  bool stable_cycle = true;
  for (int attempt = 0; attempt < kPendingAttempts; ++attempt) {
    const uint32_t t = q.tail().load(std::memory_order_acquire);
    if (t == kInvalid) return 0;
    const uint32_t h = q.head().load(std::memory_order_acquire);
    uint32_t s = t & kMask;
    if (s >= n) return -EPROTO;
    // An unflagged tail is a message the consumer has not taken.
    int count = (t & kConsumed) ? 0 : 1;
    for (uint32_t steps = 0;; ++steps) {
      const uint32_t next = q.chain(s).load(std::memory_order_acquire);
      // No queue holds more than n - 1 messages, whatever a racing walk saw.
      if (next == kInvalid) return std::min(count, static_cast<int>(n - 1));
      if (next >= n) return -EPROTO;
      if (steps >= n) break;  // more links than slots
      ++count;
      s = next;
    }
    stable_cycle = stable_cycle && q.tail().load(std::memory_order_acquire) == t &&
                   q.head().load(std::memory_order_acquire) == h;
  }
  // Lapped every time: the queue is as full as it gets.
  return stable_cycle ? -EPROTO : static_cast<int>(n - 1);
}

}  // namespace rtipc
