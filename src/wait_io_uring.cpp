// The io_uring backend: poll requests on one ring. io_uring polls are
// edge-triggered. Eventfds get a multishot poll (one completion per new
// count, none for a count nobody adds). Other descriptors get a one-shot
// poll; one that fired is looked at with poll(2) before the next sleep and
// reported again while it holds, else armed again: level-triggered, as in
// the epoll backend.
//
// The ring is single-issuer with deferred task work: poll completions run
// only inside the owner's own io_uring_enter, never as task work that would
// interrupt the thread's other system calls (a spurious EINTR in an
// unrelated epoll_wait, for one). The owner is the thread that created the
// waitset; it alone submits and sleeps. An add or remove from another
// thread, or while the owner sleeps, is queued and the owner kicked (an
// eventfd of its own), so that it arms or cancels the poll at once.
#include "deadline.hpp"
#include "error.hpp"
#include "io_uring_env.hpp"
#include "wait_backend.hpp"

#if RTIPC_HAVE_IO_URING

#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "fd.hpp"

namespace rtipc {
namespace {

constexpr uint64_t kKickToken = 0;
constexpr uint64_t kIgnoreToken = 1;  // completions of poll_remove

class UringBackend final : public WaitBackend {
 public:
  UringBackend() {
    io_uring_params p{};
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    p.cq_entries = 4096;
    const int r = io_uring_queue_init_params(256, &ring_, &p);
    if (r == -EINVAL)
      fail(r, "io_uring_setup: the kernel lacks IORING_SETUP_DEFER_TASKRUN (Linux 6.1+)");
    if (r < 0) fail(r, "io_uring_setup: {}", std::strerror(-r));
    kick_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!kick_) {
      io_uring_queue_exit(&ring_);
      fail_errno("eventfd");
    }
    // What an outer event loop watches: the ring signals it whenever a
    // completion is ready for us (deferred ones included), where the ring's
    // own descriptor would stay quiet until we enter it.
    notify_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!notify_ || io_uring_register_eventfd(&ring_, notify_.get()) < 0) {
      io_uring_queue_exit(&ring_);
      fail(-ENOMEM, "a registered eventfd for the io_uring waitset");
    }
    regs_.push_back({kKickToken, kick_.get(), POLLIN, true, false});
    std::lock_guard lock(mu_);
    arm_all();
    io_uring_submit(&ring_);
  }

  ~UringBackend() override {
    io_uring_queue_exit(&ring_);
    // The kernel's teardown of the ring sends this thread a task-work
    // notification that reads as a signal: absorbed here, it would
    // otherwise make the thread's next blocking call fail with EINTR.
    for (int k = 0; k < 20; ++k)
      if (::poll(nullptr, 0, 10) < 0 && errno == EINTR) break;
  }

  int fd() const override {
    watched_ = true;
    return notify_.get();
  }

  void add(uint64_t token, int fd, uint32_t events, bool edge) override {
    std::lock_guard lock(mu_);
    regs_.push_back({token, fd, events, edge, false});  // tokens only grow: stays sorted
    if (sleeping_ || std::this_thread::get_id() != owner_) return kick();
    arm_all();
    io_uring_submit(&ring_);
  }

  void remove(uint64_t token, int) override {
    std::lock_guard lock(mu_);
    Reg* reg = find(token);
    if (!reg) return;
    const bool armed = reg->armed;
    regs_.erase(regs_.begin() + (reg - regs_.data()));
    if (!armed) return;
    // The poll holds a reference to the file: cancel it now, so that a
    // socket the caller closes next really closes.
    cancels_.push_back(token);
    if (sleeping_ || std::this_thread::get_id() != owner_) return kick();
    submit_cancels();
    io_uring_submit(&ring_);
  }

  int sleep(RawEvent* raw, int max, int timeout_ms) override {
    if (std::this_thread::get_id() != owner_) return -EPERM;
    int held = 0;
    {
      std::lock_guard lock(mu_);
      held = recheck(raw, max);
      if (held > 0) timeout_ms = 0;
      submit_cancels();
      arm_all();
      sleeping_ = true;
    }
    int r;
    io_uring_cqe* cqe = nullptr;
    if (io_uring_cq_ready(&ring_) || timeout_ms == 0) {
      r = io_uring_submit_and_get_events(&ring_);  // runs the deferred completions
    } else if (timeout_ms < 0) {
      r = io_uring_submit_and_wait(&ring_, 1);
    } else {
      __kernel_timespec ts = timespec_of_ms<__kernel_timespec>(timeout_ms);
      r = io_uring_wait_cqes(&ring_, &cqe, 1, &ts, nullptr);  // submits too
    }
    std::lock_guard lock(mu_);
    sleeping_ = false;
    if (watched_) {  // keep the outer loop's descriptor quiet until news
      uint64_t count;
      [[maybe_unused]] ssize_t rd = ::read(notify_.get(), &count, sizeof count);
    }
    if (r < 0 && r != -ETIME && r != -EINTR) return r;
    const int n = held + reap(raw + held, max - held);
    return n == 0 && r == -EINTR ? -EINTR : n;
  }

 private:
  struct Reg {
    uint64_t token;
    int fd;
    uint32_t events;
    bool multishot;
    bool armed;
    bool fired = false;  // one-shot that completed: look before arming again
  };

  // mu_ held. The one-shot registrations that fired last time: those still
  // ready are reported now (and looked at again next time), the others are
  // left to arm_all(). One poll(2) for all, only when there are any.
  int recheck(RawEvent* raw, int max) {
    pollfd pfds[64];
    Reg* regs[64];
    int count = 0;
    for (Reg& reg : regs_) {
      if (!reg.fired || count == 64) continue;
      regs[count] = &reg;
      pfds[count++] = {reg.fd, static_cast<short>(reg.events), 0};
    }
    if (count == 0 || ::poll(pfds, static_cast<nfds_t>(count), 0) < 0) return 0;
    int n = 0;
    for (int i = 0; i < count; ++i) {
      if (pfds[i].revents && n < max) {
        raw[n++] = {regs[i]->token, static_cast<uint32_t>(pfds[i].revents)};  // still fired
      } else {
        regs[i]->fired = false;
      }
    }
    return n;
  }

  Reg* find(uint64_t token) {
    auto it = std::lower_bound(regs_.begin(), regs_.end(), token,
                               [](const Reg& r, uint64_t t) { return r.token < t; });
    return it != regs_.end() && it->token == token ? &*it : nullptr;
  }

  io_uring_sqe* next_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  // mu_ held, sleeping_ false.
  void arm_all() {
    for (Reg& reg : regs_) {
      if (reg.armed || reg.fired) continue;
      io_uring_sqe* sqe = next_sqe();
      if (!sqe) return;  // the next sleep tries again
      if (reg.multishot)
        io_uring_prep_poll_multishot(sqe, reg.fd, reg.events);
      else
        io_uring_prep_poll_add(sqe, reg.fd, reg.events);

      io_uring_sqe_set_data64(sqe, reg.token);
      reg.armed = true;
    }
  }

  void submit_cancels() {
    while (!cancels_.empty()) {
      io_uring_sqe* sqe = next_sqe();
      if (!sqe) return;
      io_uring_prep_poll_remove(sqe, cancels_.back());
      io_uring_sqe_set_data64(sqe, kIgnoreToken);
      cancels_.pop_back();
    }
  }

  void kick() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t w = ::write(kick_.get(), &one, sizeof one);
  }

  // mu_ held. Takes every completion (they live in shared memory: no system
  // call); reports at most max of them, the rest fire again (level) or are
  // found in the consumers' queues (edge).
  int reap(RawEvent* raw, int max) {
    int n = 0;
    unsigned head, seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      const uint64_t token = cqe->user_data;
      if (token == kIgnoreToken) continue;
      Reg* reg = find(token);
      if (!reg) continue;  // removed meanwhile
      if (!(cqe->flags & IORING_CQE_F_MORE)) {
        reg->armed = false;
        reg->fired = !reg->multishot;
      }
      if (token == kKickToken) {
        uint64_t count;
        [[maybe_unused]] ssize_t rd = ::read(kick_.get(), &count, sizeof count);
        continue;
      }
      // -ECANCELED: the task that armed it exited, or the ring ran out of
      // room for a multishot's completions; it is armed again next time.
      if (cqe->res == -ECANCELED) continue;
      const uint32_t revents = cqe->res < 0 ? POLLERR : static_cast<uint32_t>(cqe->res);
      if (n < max) raw[n++] = {token, revents};
    }
    io_uring_cq_advance(&ring_, seen);
    return n;
  }

  io_uring ring_;
  const std::thread::id owner_ = std::this_thread::get_id();
  UniqueFd kick_;
  UniqueFd notify_;
  mutable std::atomic<bool> watched_{false};  // fd() was asked for
  std::mutex mu_;
  bool sleeping_ = false;
  std::vector<Reg> regs_;  // sorted by token
  std::vector<uint64_t> cancels_;
};

}  // namespace

std::unique_ptr<WaitBackend> make_io_uring_backend() {
  if (io_uring_forbidden_by_env()) fail(-ENOTSUP, "RTIPC_NO_IO_URING is set");
  return std::make_unique<UringBackend>();
}

}  // namespace rtipc

#else

namespace rtipc {

std::unique_ptr<WaitBackend> make_io_uring_backend() {
  fail(-ENOTSUP, "librtipc was built without io_uring");
}

}  // namespace rtipc

#endif
