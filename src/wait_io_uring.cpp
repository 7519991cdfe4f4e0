// The io_uring backend: poll requests on one ring. Eventfds get a multishot
// poll (one completion per new count, none for a count nobody adds), other
// descriptors a one-shot poll that is armed again before each sleep while
// registered, which makes them level-triggered as in the epoll backend.
//
// The submission queue has one user at a time: the sleeping thread while it
// sleeps, else whoever holds mu_. An add or remove from another thread while
// one sleeps is queued and the sleeper kicked (an eventfd of its own), so
// that it arms or cancels the poll at once.
#include "error.hpp"
#include "io_uring_env.hpp"
#include "wait_backend.hpp"

#if RTIPC_HAVE_IO_URING

#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
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
    p.flags = IORING_SETUP_CQSIZE;
    p.cq_entries = 4096;
    const int r = io_uring_queue_init_params(256, &ring_, &p);
    if (r < 0) fail(r, "io_uring_setup: {}", std::strerror(-r));
    kick_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!kick_) {
      io_uring_queue_exit(&ring_);
      fail_errno("eventfd");
    }
    regs_.push_back({kKickToken, kick_.get(), POLLIN, true, false});
    std::lock_guard lock(mu_);
    arm_all();
    io_uring_submit(&ring_);
  }

  ~UringBackend() override { io_uring_queue_exit(&ring_); }

  int fd() const override { return ring_.ring_fd; }

  void add(uint64_t token, int fd, uint32_t events, bool edge) override {
    std::lock_guard lock(mu_);
    regs_.push_back({token, fd, events, edge, false});  // tokens only grow: stays sorted
    if (sleeping_) return kick();
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
    if (sleeping_) return kick();
    submit_cancels();
    io_uring_submit(&ring_);
  }

  int sleep(RawEvent* raw, int max, int timeout_ms) override {
    {
      std::lock_guard lock(mu_);
      submit_cancels();
      arm_all();
      sleeping_ = true;
    }
    int r;
    io_uring_cqe* cqe = nullptr;
    if (io_uring_cq_ready(&ring_) || timeout_ms == 0) {
      r = io_uring_submit(&ring_);
    } else if (timeout_ms < 0) {
      r = io_uring_submit_and_wait(&ring_, 1);
    } else {
      __kernel_timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1'000'000LL};
      r = io_uring_wait_cqes(&ring_, &cqe, 1, &ts, nullptr);  // submits too
    }
    std::lock_guard lock(mu_);
    sleeping_ = false;
    if (r < 0 && r != -ETIME && r != -EINTR) return r;
    const int n = reap(raw, max);
    return n == 0 && r == -EINTR ? -EINTR : n;
  }

 private:
  struct Reg {
    uint64_t token;
    int fd;
    uint32_t events;
    bool multishot;
    bool armed;
  };

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
      if (reg.armed) continue;
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
      if (!(cqe->flags & IORING_CQE_F_MORE)) reg->armed = false;
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
  UniqueFd kick_;
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
