#include "notifier.hpp"

#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>
#include <system_error>
#include <thread>

#include "deadline.hpp"
#include "error.hpp"
#include "fork_generation.hpp"
#include "io_uring_env.hpp"
#include "log.hpp"

#if RTIPC_HAVE_IO_URING
#include <liburing.h>
#endif

namespace rtipc {

#if RTIPC_HAVE_IO_URING

namespace {

std::string sys_text(const char* what, int code) {
  return std::string(what) + ": " + std::strerror(-code);
}

// Runs fn on a thread of its own that ends at once. The kernel ties a ring
// to the thread that created it and, when the ring is destroyed, notifies
// that thread as if by a signal (a spurious EINTR in whatever blocking call
// it makes next). A thread that is gone gets nothing; the poller does all
// the ring's work, so no producer thread needs that tie.
template <typename F>
int on_own_thread(F&& fn) {
  int r = -EAGAIN;
  try {
    std::thread t([&] { r = fn(); });
    t.join();
  } catch (const std::system_error&) {
    return -EAGAIN;
  }
  return r;
}

}  // namespace

// The notifier's own ring: it only owns the poller thread, which the
// producers' rings share.
struct Notifier::Ring {
  io_uring ring;
  bool live = false;
  ~Ring() {
    if (live) io_uring_queue_exit(&ring);
  }
};

// What every queued write adds to the counter; the poller reads it here.
const uint64_t kOne = 1;

// A producer's ring, on the notifier's poller, with the producer's eventfd
// as registered file 0.
struct Notifier::RouteRing {
  io_uring ring;
  bool live = false;

  uint64_t generation = fork_generation();

  ~RouteRing() {
    if (!live) return;
    // In a forked child the ring is the parent's: only our mapping and
    // descriptor go, and nothing is submitted.
    if (generation == fork_generation()) drain();
    io_uring_queue_exit(&ring);
  }

  // Queued writes reach the eventfd before the ring goes (rtipc.h): the
  // poller issues each write as it takes it from the queue. Bounded (a
  // poller that does not come back must not hold a destroy for long).
  void drain() {
    io_uring_submit(&ring);
    const int64_t give_up = monotonic_ns() + kDrainNs;
    while (io_uring_sq_ready(&ring) && monotonic_ns() < give_up) sched_yield();
  }
  static constexpr int64_t kDrainNs = 100'000'000;

  static void prep_write(io_uring_sqe* sqe) {
    io_uring_prep_write(sqe, 0, &kOne, sizeof kOne, 0);
    // RWF_NOWAIT: where the peer cleared O_NONBLOCK on the shared file, the
    // write fails with -EAGAIN instead of waiting in a kernel worker for a
    // full counter to drain; a full counter already guarantees the wake-up.
    // Success posts no completion.
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS;
    sqe->rw_flags = RWF_NOWAIT;
  }

  // Completions are failed writes only, in shared memory: no system call.
  // A write fails on a full counter, which already guarantees the wake-up,
  // or where the peer cleared O_NONBLOCK on the shared file, which costs
  // that peer its own wake-ups and us nothing.
  void reap() {
    if (const unsigned ready = io_uring_cq_ready(&ring)) io_uring_cq_advance(&ring, ready);
  }

  // Sets up a ring on the poller of `primary` for efd. Returns 0 or -errno
  // with *why.
  int setup(const io_uring& primary, uint32_t idle_ms, int efd, std::string* why) {
    io_uring_params p{};
    p.flags = IORING_SETUP_SQPOLL | IORING_SETUP_ATTACH_WQ;
    p.wq_fd = static_cast<uint32_t>(primary.ring_fd);
    p.sq_thread_idle = idle_ms;
    int r = io_uring_queue_init_params(64, &ring, &p);
    if (r < 0) return *why = sys_text("io_uring_setup(SQPOLL, ATTACH_WQ)", r), r;
    live = true;
    if (!(p.features & IORING_FEAT_CQE_SKIP))
      return *why = "the kernel lacks IOSQE_CQE_SKIP_SUCCESS (Linux 5.17+)", -EOPNOTSUPP;
    r = io_uring_register_files(&ring, &efd, 1);
    if (r < 0) return *why = sys_text("io_uring_register_files", r), r;
    return 0;
  }
};

namespace {

// Sets up the poller and checks, with a private eventfd made as channels'
// are, that the kernel writes it through a ring the way signal() will.
// Returns 0 or -errno with *why.
int setup_poller(Notifier::Ring* owner, const Notifier::Options& o, std::string* why) {
  io_uring_params p{};
  p.flags = IORING_SETUP_SQPOLL;
  p.sq_thread_idle = o.idle_ms;
  if (o.cpu >= 0) {
    p.flags |= IORING_SETUP_SQ_AFF;
    p.sq_thread_cpu = static_cast<uint32_t>(o.cpu);
  }
  int r = io_uring_queue_init_params(4, &owner->ring, &p);
  if (r < 0) return *why = sys_text("io_uring_setup(SQPOLL)", r), r;
  owner->live = true;

  UniqueFd probe(::eventfd(0, EFD_CLOEXEC | EFD_SEMAPHORE | EFD_NONBLOCK));
  if (!probe) return *why = sys_text("eventfd", -errno), -errno;
  Notifier::RouteRing probe_route;
  if ((r = probe_route.setup(owner->ring, o.idle_ms, probe.get(), why)) < 0) return r;
  io_uring_sqe* sqe = io_uring_get_sqe(&probe_route.ring);
  Notifier::RouteRing::prep_write(sqe);
  sqe->flags &= ~IOSQE_CQE_SKIP_SUCCESS;  // the probe wants the result
  io_uring_submit(&probe_route.ring);
  io_uring_cqe* cqe = nullptr;
  __kernel_timespec ts{1, 0};
  if ((r = io_uring_wait_cqe_timeout(&probe_route.ring, &cqe, &ts)) < 0)
    return *why = sys_text("probe write", r), r;
  const int res = cqe->res;
  io_uring_cqe_seen(&probe_route.ring, cqe);
  if (res != sizeof kOne)
    return *why = sys_text(
               "the kernel cannot write an eventfd through io_uring without "
               "blocking (RWF_NOWAIT)",
               res < 0 ? res : -EIO),
           res < 0 ? res : -EIO;
  return 0;
}

}  // namespace

std::shared_ptr<Notifier> Notifier::create(const Options& o) {
  std::shared_ptr<Notifier> n(new Notifier);
  n->idle_ms_ = o.idle_ms;
  int code = -ENOTSUP;
  std::string reason;
  if (io_uring_forbidden_by_env()) {
    reason = "RTIPC_NO_IO_URING is set";
  } else {
    auto ring = std::make_unique<Ring>();
    code = on_own_thread([&] { return setup_poller(ring.get(), o, &reason); });
    if (code == 0) {
      n->ring_ = std::move(ring);
      return n;
    }
  }
  if (o.require) fail(code, "io_uring notifier: {}", reason);
  log(LogLevel::kWarning, "io_uring notifier unavailable ({}); producers write(2) their eventfds",
      reason);
  return n;
}

Notifier::~Notifier() = default;

std::shared_ptr<Notifier::Route> Notifier::attach(const EventFd& efd) {
  if (!uses_io_uring()) return std::shared_ptr<Route>(new Route(shared_from_this(), nullptr));
  auto ring = std::make_unique<RouteRing>();
  std::string why;
  if (const int r =
          on_own_thread([&] { return ring->setup(ring_->ring, idle_ms_, efd.fd(), &why); });
      r < 0)
    fail(r, "attaching to the notifier: {}", why);
  return std::shared_ptr<Route>(new Route(shared_from_this(), std::move(ring)));
}

int Notifier::Route::signal(const EventFd& efd) {
  if (!ring_) return efd.signal();
  if (generation_ != fork_generation()) {
    // A forked child: the ring is the parent's.
    ++direct_signals_;
    return efd.signal();
  }
  io_uring* ring = &ring_->ring;
  ring_->reap();
  io_uring_sqe* sqe = io_uring_get_sqe(ring);
  if (!sqe) {  // the poller is behind: never lose the wake-up
    ++direct_signals_;
    return efd.signal();
  }
  RouteRing::prep_write(sqe);
  // No system call while the poller is awake; one io_uring_enter to wake it
  // once it has slept (after idle_ms without work).
  io_uring_submit(ring);
  return 0;
}

#else  // !RTIPC_HAVE_IO_URING

struct Notifier::Ring {};
struct Notifier::RouteRing {};

std::shared_ptr<Notifier> Notifier::create(const Options& o) {
  std::shared_ptr<Notifier> n(new Notifier);
  const char* reason = "librtipc was built without io_uring";
  if (o.require) fail(-ENOTSUP, "io_uring notifier: {}", reason);
  log(LogLevel::kWarning, "io_uring notifier unavailable ({}); producers write(2) their eventfds",
      reason);
  return n;
}

Notifier::~Notifier() = default;

std::shared_ptr<Notifier::Route> Notifier::attach(const EventFd&) {
  return std::shared_ptr<Route>(new Route(shared_from_this(), nullptr));
}

int Notifier::Route::signal(const EventFd& efd) {
  return efd.signal();
}

#endif

Notifier::Notifier() : generation_(fork_generation()) {}

bool Notifier::uses_io_uring() const {
  return ring_ != nullptr && generation_ == fork_generation();
}

Notifier::Route::Route(std::shared_ptr<Notifier> notifier, std::unique_ptr<RouteRing> ring)
    : notifier_(std::move(notifier)), ring_(std::move(ring)), generation_(fork_generation()) {}

Notifier::Route::~Route() = default;

bool Notifier::Route::uses_io_uring() const {
  return ring_ != nullptr && generation_ == fork_generation();
}

}  // namespace rtipc
