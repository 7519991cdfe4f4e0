#include "notifier.hpp"

#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include "error.hpp"
#include "io_uring_env.hpp"
#include "log.hpp"

#if RTIPC_HAVE_IO_URING
#include <liburing.h>
#endif

namespace rtipc {

#if RTIPC_HAVE_IO_URING

namespace {

// What every queued write adds to the counter; the poller reads it from here.
const uint64_t kOne = 1;

void prep_signal(io_uring_sqe* sqe, int index) {
  io_uring_prep_write(sqe, index, &kOne, sizeof kOne, 0);
  // A fixed file: the ring holds the eventfd, so a producer destroyed before
  // the poller ran cannot make it write to whatever reuses the number.
  // RWF_NOWAIT: a counter that is full (or a peer that cleared O_NONBLOCK)
  // fails the write with -EAGAIN instead of parking it in a kernel worker;
  // a full counter already guarantees the wake-up. Success posts nothing.
  sqe->flags |= IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS;
  sqe->rw_flags = RWF_NOWAIT;
}

}  // namespace

struct Notifier::Ring {
  io_uring ring;
  bool live = false;  // ring set up
  std::vector<bool> used = std::vector<bool>(kMaxProducers);

  ~Ring() {
    if (live) io_uring_queue_exit(&ring);
  }

  // Drops completions: only failed writes post one, and a failed write (a
  // full counter) needs nothing. Shared memory only.
  void reap() {
    if (const unsigned ready = io_uring_cq_ready(&ring)) io_uring_cq_advance(&ring, ready);
  }
};

namespace {

// Sets up the ring and checks, with a private blocking eventfd, that the
// kernel writes an eventfd through it the way signal() will: fixed file,
// RWF_NOWAIT, no completion on success. Returns 0 or -errno with *why.
int setup_ring(Notifier::Ring* owner, const Notifier::Options& o, std::string* why) {
  io_uring* ring = &owner->ring;
  io_uring_params p{};
  p.flags = IORING_SETUP_SQPOLL;
  p.sq_thread_idle = o.idle_ms;
  if (o.cpu >= 0) {
    p.flags |= IORING_SETUP_SQ_AFF;
    p.sq_thread_cpu = static_cast<uint32_t>(o.cpu);
  }
  int r = io_uring_queue_init_params(256, ring, &p);
  if (r < 0) {
    *why = std::string("io_uring_setup(SQPOLL): ") + std::strerror(-r);
    return r;
  }
  owner->live = true;
  auto fail_with = [&](int code, const std::string& text) {
    *why = text;
    return code;
  };
  if (!(p.features & IORING_FEAT_CQE_SKIP))
    return fail_with(-EOPNOTSUPP, "the kernel lacks IOSQE_CQE_SKIP_SUCCESS (Linux 5.17+)");
  std::vector<int> table(Notifier::kMaxProducers, -1);
  r = io_uring_register_files(ring, table.data(), static_cast<unsigned>(table.size()));
  if (r < 0) return fail_with(r, std::string("registering files: ") + std::strerror(-r));

  UniqueFd probe(::eventfd(0, EFD_CLOEXEC));  // blocking on purpose
  if (!probe) return fail_with(-errno, std::string("eventfd: ") + std::strerror(errno));
  int fd = probe.get();
  r = io_uring_register_files_update(ring, 0, &fd, 1);
  if (r < 0) return fail_with(r, std::string("registering a file: ") + std::strerror(-r));
  io_uring_sqe* sqe = io_uring_get_sqe(ring);
  prep_signal(sqe, 0);
  sqe->flags &= ~IOSQE_CQE_SKIP_SUCCESS;  // the probe wants to see the result
  io_uring_submit(ring);
  io_uring_cqe* cqe = nullptr;
  __kernel_timespec ts{1, 0};
  r = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
  if (r < 0) return fail_with(r, std::string("probe write: ") + std::strerror(-r));
  const int res = cqe->res;
  io_uring_cqe_seen(ring, cqe);
  uint64_t count = 0;
  if (res != sizeof kOne || ::read(probe.get(), &count, sizeof count) != sizeof count ||
      count != 1)
    return fail_with(res < 0 ? res : -EIO,
                     std::string("the kernel cannot write an eventfd without blocking "
                                 "through io_uring (Linux 6.8+): ") +
                         std::strerror(res < 0 ? -res : EIO));
  fd = -1;
  io_uring_register_files_update(ring, 0, &fd, 1);
  return 0;
}

}  // namespace

std::shared_ptr<Notifier> Notifier::create(const Options& o) {
  std::shared_ptr<Notifier> n(new Notifier);
  int code = -ENOTSUP;
  if (io_uring_forbidden_by_env()) {
    n->reason_ = "RTIPC_NO_IO_URING is set";
  } else {
    auto ring = std::make_unique<Ring>();
    code = setup_ring(ring.get(), o, &n->reason_);
    if (code == 0) {
      n->ring_ = std::move(ring);
      return n;
    }
  }
  if (o.require) fail(code, "io_uring notifier: {}", n->reason_);
  log(LogLevel::kWarning, "io_uring notifier unavailable ({}); producers write(2) their eventfds",
      n->reason_);
  return n;
}

Notifier::~Notifier() = default;

std::shared_ptr<Notifier::Slot> Notifier::attach(const EventFd& efd) {
  if (!ring_) return std::shared_ptr<Slot>(new Slot(shared_from_this(), -1));
  int index = -1;
  for (uint32_t i = 0; i < kMaxProducers && index < 0; ++i)
    if (!ring_->used[i]) index = static_cast<int>(i);
  if (index < 0) fail(-ENOSPC, "the notifier serves {} producers already", kMaxProducers);
  int fd = efd.fd();
  const int r = io_uring_register_files_update(&ring_->ring, static_cast<unsigned>(index), &fd, 1);
  if (r < 0) fail(r, "registering an eventfd with the notifier: {}", std::strerror(-r));
  ring_->used[static_cast<size_t>(index)] = true;
  return std::shared_ptr<Slot>(new Slot(shared_from_this(), index));
}

void Notifier::detach(int index) {
  io_uring* ring = &ring_->ring;
  // Writes still queued for this slot must reach the poller before the slot
  // is emptied (they would fail with -EBADF, losing a wake-up) or refilled
  // (they would signal another producer's eventfd).
  for (int tries = 0; io_uring_sq_ready(ring) && tries < 100000; ++tries) {
    io_uring_submit(ring);
    sched_yield();
  }
  int fd = -1;
  io_uring_register_files_update(ring, static_cast<unsigned>(index), &fd, 1);
  ring_->used[static_cast<size_t>(index)] = false;
  ring_->reap();
}

int Notifier::Slot::signal(const EventFd& efd) {
  if (index_ < 0) return efd.signal();
  io_uring* ring = &notifier_->ring_->ring;
  notifier_->ring_->reap();
  io_uring_sqe* sqe = io_uring_get_sqe(ring);
  if (!sqe) return efd.signal();  // the poller is behind: never lose the wake-up
  prep_signal(sqe, index_);
  // No system call while the poller is awake; one io_uring_enter to wake it
  // once it has slept (after idle_ms without work).
  io_uring_submit(ring);
  return 0;
}

Notifier::Slot::~Slot() {
  if (index_ >= 0) notifier_->detach(index_);
}

#else  // !RTIPC_HAVE_IO_URING

struct Notifier::Ring {};

std::shared_ptr<Notifier> Notifier::create(const Options& o) {
  std::shared_ptr<Notifier> n(new Notifier);
  n->reason_ = "librtipc was built without io_uring";
  if (o.require) fail(-ENOTSUP, "io_uring notifier: {}", n->reason_);
  log(LogLevel::kWarning, "io_uring notifier unavailable ({}); producers write(2) their eventfds",
      n->reason_);
  return n;
}

Notifier::~Notifier() = default;

std::shared_ptr<Notifier::Slot> Notifier::attach(const EventFd&) {
  return std::shared_ptr<Slot>(new Slot(shared_from_this(), -1));
}

void Notifier::detach(int) {}

int Notifier::Slot::signal(const EventFd& efd) { return efd.signal(); }

Notifier::Slot::~Slot() = default;

#endif

}  // namespace rtipc
