// Producer-side notification through an io_uring with a kernel submission
// poller (IORING_SETUP_SQPOLL): the eventfd count a push adds is queued to
// the ring's submission queue, and the kernel thread writes it, so that the
// push itself makes no system call while the poller is awake. The peer still
// sees a plain eventfd count: the wire is unchanged.
//
// Where io_uring is not built, forbidden (RTIPC_NO_IO_URING) or refused by
// the kernel, a Notifier is in direct mode: its producers write(2) their
// eventfds as if they had none.
//
// Thread rules: a Notifier is immutable once created, and each Route has its
// own ring, so producers attached to one Notifier may push (attach, detach)
// from different threads at once, each producer from one thread at a time.
// A ring is not usable in a child forked after it was created (its memory
// is shared with the parent): there the notifier and its routes are in
// direct mode, for the child only, and leave the parent's rings alone.
#pragma once

#include <cstdint>
#include <memory>

#include "eventfd.hpp"

namespace rtipc {

class Notifier : public std::enable_shared_from_this<Notifier> {
 public:
  struct Options {
    uint32_t idle_ms = 1000;  // the poller sleeps after this long without work
    int cpu = -1;             // pin the poller to this CPU; -1: anywhere
    bool require = false;     // throw instead of falling back to direct mode
  };
  // Throws Error only with options.require (-ENOTSUP where io_uring is not
  // built or forbidden, else the kernel's -errno); otherwise falls back to
  // direct mode and logs one warning that says why.
  static std::shared_ptr<Notifier> create(const Options& options);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // False in a child forked after creation.
  bool uses_io_uring() const;

  struct RouteRing;

  // One producer's route to its eventfd through this notifier: its ring,
  // which holds the eventfd itself (never a descriptor number that could be
  // reused), and the notifier. Detaches on destruction, after the poller
  // has taken every queued write.
  class Route {
   public:
    ~Route();
    Route(const Route&) = delete;
    Route& operator=(const Route&) = delete;
    // False in a child forked after the route was made.
    bool uses_io_uring() const;
    // The hot path: queues one count for `efd` (the eventfd this route was
    // made for). Writes it directly (EventFd::signal) in direct mode, in a
    // forked child, or when the ring's submission queue is full. Returns 0
    // or -errno of a direct write.
    int signal(const EventFd& efd);
    // How many signals took the direct way although the route has a ring.
    uint64_t direct_signals() const { return direct_signals_; }

   private:
    friend class Notifier;
    Route(std::shared_ptr<Notifier> notifier, std::unique_ptr<RouteRing> ring);
    std::shared_ptr<Notifier> notifier_;
    std::unique_ptr<RouteRing> ring_;  // null in direct mode
    uint64_t generation_;              // fork_generation() when made
    uint64_t direct_signals_ = 0;
  };

  // Sets up efd's ring (a few system calls). Throws Error with the kernel's
  // -errno (-EMFILE, -ENOMEM...).
  std::shared_ptr<Route> attach(const EventFd& efd);

  // The io_uring itself (opaque; defined by notifier.cpp).
  struct Ring;

 private:
  Notifier();

  std::unique_ptr<Ring> ring_;  // owns the poller thread; null in direct mode
  uint64_t generation_;         // fork_generation() when made
  uint32_t idle_ms_ = 0;
};

}  // namespace rtipc
