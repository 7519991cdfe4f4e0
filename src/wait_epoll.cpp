// The epoll backend: eventfds edge-triggered (a count that nobody takes
// wakes nobody twice, so stale and flooded counters cost nothing), the rest
// level-triggered.
#include <sys/epoll.h>

#include <cerrno>

#include "error.hpp"
#include "fd.hpp"
#include "wait_backend.hpp"

namespace rtipc {
namespace {

class EpollBackend final : public WaitBackend {
 public:
  EpollBackend() : ep_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!ep_) fail_errno("epoll_create1");
  }

  int fd() const override { return ep_.get(); }

  void add(uint64_t token, int fd, uint32_t events, bool edge) override {
    epoll_event ev{};
    ev.events = events | (edge ? EPOLLET : 0u);
    ev.data.u64 = token;
    if (::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) fail_errno("epoll_ctl(ADD)");
  }

  void remove(uint64_t, int fd) override {
    // A descriptor closed already left the set by itself.
    ::epoll_ctl(ep_.get(), EPOLL_CTL_DEL, fd, nullptr);
  }

  int sleep(RawEvent* raw, int max, int timeout_ms) override {
    epoll_event evs[64];
    if (max > 64) max = 64;
    const int n = ::epoll_wait(ep_.get(), evs, max, timeout_ms);
    if (n < 0) return -errno;
    for (int i = 0; i < n; ++i) raw[i] = {evs[i].data.u64, evs[i].events};
    return n;
  }

 private:
  UniqueFd ep_;
};

}  // namespace

std::unique_ptr<WaitBackend> make_epoll_backend() {
  return std::make_unique<EpollBackend>();
}

}  // namespace rtipc
