// The two ends of a channel as a process holds them: the queue, the slots it
// indexes, the optional eventfd and the channel's info bytes.
//
// Thread rules: one thread at a time per Producer or Consumer. Different
// channels may be used from different threads at once; they share nothing
// but the reference-counted mapping. The getters (sizes, msg_align, info,
// eventfd, peer_alive, pending) may run on any thread meanwhile.
#pragma once

#include <cerrno>
#include <cstddef>
#include <memory>
#include <vector>

#include "eventfd.hpp"
#include "layout.hpp"
#include "notifier.hpp"
#include "peer.hpp"
#include "queue.hpp"
#include "region.hpp"
#include "stats.hpp"
#include "wait_backend.hpp"

namespace rtipc {

class Channel {
 public:
  size_t msg_size() const { return layout_.msg_size; }
  uint32_t slots() const { return layout_.slots; }
  // What msg() is aligned to: the layout's cache line, which the client
  // chose (a server can refuse small ones with ServerLimits::min_cacheline).
  size_t msg_align() const { return layout_.cacheline; }
  const std::vector<std::byte>& info() const { return info_; }
  int eventfd() const { return eventfd_ ? eventfd_->fd() : -1; }
  const EventFd* event_fd() const { return eventfd_.get(); }

  // The process at the other end, shared with the group; null when no
  // handshake told us. Set once, before the channel leaves its group.
  void set_peer(std::shared_ptr<Peer> peer) { peer_ = std::move(peer); }
  // 1 while the peer runs, 0 once it has exited, -ENOTSUP when unknown.
  int peer_alive() const { return peer_ ? peer_->alive() : -ENOTSUP; }
  // The peer's pidfd (owned by the peer), or -1.
  int peer_fd() const { return peer_ ? peer_->fd() : -1; }

  // How many published messages the consumer has not taken yet (the one it
  // holds does not count): a snapshot from shared memory, no write, no
  // system call. -EPROTO when the indices are corrupt.
  int pending() const { return pending_messages(indices()); }

  // The channel's record in the statistics page (stats.hpp); the hot path
  // counts into it when there is one.
  void attach_stats(StatsRecord record) {
    stats_ = std::move(record);
    counters_ = stats_.counters();
  }
  StatsRecord& stats() { return stats_; }

 protected:
  Channel(std::shared_ptr<Region> region, const ChannelLayout& layout,
          std::shared_ptr<EventFd> eventfd, std::vector<std::byte> info);

  std::byte* slot(uint32_t i) const { return region_->data() + layout_.slot_offset(i); }
  QueueIndices indices() const;

  std::shared_ptr<Region> region_;
  ChannelLayout layout_;
  std::shared_ptr<EventFd> eventfd_;
  std::vector<std::byte> info_;
  std::shared_ptr<Peer> peer_;
  StatsRecord stats_;
  rtipc_stats_counters* counters_ = nullptr;  // null: not counted
};

class Producer : public Channel {
 public:
  // Takes the producer role (writes the chain). With `cache`, the
  // application writes a private buffer that push() copies into the slot, so
  // the peer never sees a half-written message.
  Producer(std::shared_ptr<Region> region, const ChannelLayout& layout,
           std::shared_ptr<EventFd> eventfd, std::vector<std::byte> info, bool cache);

  // Where the next message goes; changes with every successful push.
  void* msg() const { return cache_ ? cache_.get() : slot(queue_.current()); }

  // Publishes msg(). Signals the eventfd (a system call) after a push that
  // published, whether or not it discarded.
  PushResult push(bool force);

  // Routes the eventfd signal of push() through a notifier's route (an
  // io_uring poller) instead of write(2); null restores the direct write.
  void set_notify(std::shared_ptr<Notifier::Route> route) { notify_ = std::move(route); }
  const Notifier::Route* notify() const { return notify_.get(); }

 private:
  // Aligned like a slot (msg_align()), as the C API promises for
  // rtipc_producer_msg().
  struct AlignedDelete {
    size_t align;
    void operator()(std::byte* p) const;
  };

  ProducerQueue queue_;
  std::unique_ptr<std::byte[], AlignedDelete> cache_;
  std::shared_ptr<Notifier::Route> notify_;
};

class Consumer : public Channel {
 public:
  Consumer(std::shared_ptr<Region> region, const ChannelLayout& layout,
           std::shared_ptr<EventFd> eventfd, std::vector<std::byte> info);

  // The slot the consumer holds, or null before the first message.
  const void* msg() const {
    return queue_.current() == kInvalid ? nullptr : slot(queue_.current());
  }

  PopResult pop(bool latest) {
    const PopResult r = latest ? queue_.flush() : queue_.pop();
    if (counters_) count_pop(*counters_, r);
    return r;
  }

  // Whether pop() would find something now; shared memory only (a waitset
  // looks at its consumers' queues before it sleeps).
  bool has_news() const { return queue_.has_news(); }

  // Blocks until pop() would find something new, or timeout_ms passes (-1:
  // forever), or the peer exits, or a signal handler runs. Spins up to
  // spin_ns() first (never past the timeout). Then sleeps in an epoll
  // backend of its own (the waitset's, wait_backend.hpp) holding the
  // eventfd edge-triggered (a new count wakes it, a counter the peer keeps
  // full does not) and the peer's pidfd. Takes
  // stale eventfd counts, up to 4096 on entry and one per wake-up, so a
  // flooded counter costs O(1) system calls per call. Returns 1 when a message is there, 0
  // on timeout, -EPIPE when the peer has exited and nothing new is left,
  // -EINTR, -errno on failure (-ENOTSUP without an eventfd). The first call
  // creates the backend (one descriptor, kept until destruction); later
  // calls allocate nothing.
  int wait(int timeout_ms);

  // How long wait() spins before it sleeps (rtipc_consumer_set_spin); 0:
  // it sleeps at once.
  void set_spin_ns(long spin_ns) { spin_ns_ = spin_ns; }
  long spin_ns() const { return spin_ns_; }

 private:
  int open_sleeper();

  ConsumerQueue queue_;
  std::unique_ptr<WaitBackend> sleeper_;  // made by the first wait()
  long spin_ns_ = 0;
};

}  // namespace rtipc
