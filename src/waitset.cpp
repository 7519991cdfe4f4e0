#include "waitset.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "deadline.hpp"
#include "error.hpp"
#include "log.hpp"

namespace rtipc {
namespace {

// Each entry has up to two registrations: its descriptor, and a consumer's
// peer pidfd.
constexpr uint64_t token_of(uint64_t id, bool pidfd) {
  return id << 1 | (pidfd ? 1 : 0);
}

std::unique_ptr<WaitBackend> make_backend(Waitset::Backend* kind, bool require) {
  if (*kind == Waitset::Backend::kIoUring) {
    try {
      return make_io_uring_backend();
    } catch (const Error& e) {
      if (require) throw;
      log(LogLevel::kWarning, "waitset: io_uring backend unavailable ({}); using epoll", e.what());
      *kind = Waitset::Backend::kEpoll;
    }
  }
  return make_epoll_backend();
}

}  // namespace

Waitset::Waitset(Backend backend, bool require, uint32_t spin_ns)
    : kind_(backend), backend_(make_backend(&kind_, require)), spin_ns_(spin_ns) {}

Waitset::Entry* Waitset::find(uint64_t id) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), id,
                             [](const Entry& e, uint64_t i) { return e.id < i; });
  return it != entries_.end() && it->id == id ? &*it : nullptr;
}

void Waitset::add(Entry entry, uint32_t events) {
  std::lock_guard lock(mu_);
  for (const Entry& e : entries_) {
    if (entry.kind == Kind::kConsumer ? e.consumer == entry.consumer
                                      : e.kind != Kind::kConsumer && e.fd == entry.fd)
      fail(-EEXIST, "already in the waitset");
  }
  entry.id = next_id_++;
  entries_.reserve(entries_.size() + 1);  // nothing below may throw after the kernel knows
  backend_->add(token_of(entry.id, false), entry.fd, events, entry.kind == Kind::kConsumer);
  if (entry.pidfd) {
    try {
      backend_->add(token_of(entry.id, true), entry.pidfd.get(), POLLIN, false);
    } catch (...) {
      backend_->remove(token_of(entry.id, false), entry.fd);
      throw;
    }
  }
  entries_.push_back(std::move(entry));
}

void Waitset::add_consumer(const Consumer& consumer, uint64_t key) {
  if (consumer.eventfd() < 0) fail(-ENOTSUP, "a consumer without eventfd cannot wake a waitset");
  Entry e{0, Kind::kConsumer, key, &consumer, consumer.eventfd(), UniqueFd(), 0, false};
  // Our own copy of the pidfd: the group and its other consumers share one,
  // and a set cannot hold one descriptor twice.
  if (consumer.peer_fd() >= 0) {
    e.pidfd.reset(::fcntl(consumer.peer_fd(), F_DUPFD_CLOEXEC, 0));
    if (!e.pidfd) fail_errno("dup of the peer's pidfd");
  }
  add(std::move(e), POLLIN);
}

void Waitset::add_fd(int fd, uint32_t events, uint64_t key) {
  if (fd < 0 || events == 0) fail(-EINVAL, "a descriptor >= 0 and some events, please");
  // epoll refuses files that are always ready; io_uring would report them
  // on every wait. Both backends refuse them alike.
  struct stat st;
  if (::fstat(fd, &st) != 0) fail_errno("fstat");
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
    fail(-EPERM, "descriptor {} is a regular file or directory, which cannot be polled", fd);
  add(Entry{0, Kind::kFd, key, nullptr, fd, UniqueFd(), 0, false}, events);
}

void Waitset::add_peer(int pidfd, uint64_t key) {
  if (pidfd < 0) fail(-EINVAL, "no pidfd");
  add(Entry{0, Kind::kPeer, key, nullptr, pidfd, UniqueFd(), 0, false}, POLLIN);
}

int Waitset::remove_consumer(const Consumer& consumer) {
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->kind != Kind::kConsumer || it->consumer != &consumer) continue;
    backend_->remove(token_of(it->id, false), it->fd);
    if (it->pidfd) backend_->remove(token_of(it->id, true), it->pidfd.get());
    entries_.erase(it);
    return 0;
  }
  return -ENOENT;
}

int Waitset::remove_fd(int fd) {
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->kind == Kind::kConsumer || it->fd != fd) continue;
    backend_->remove(token_of(it->id, false), it->fd);
    entries_.erase(it);
    return 0;
  }
  return -ENOENT;
}

// mu_ held.
void Waitset::note(const RawEvent* raw, int n) {
  for (int i = 0; i < n; ++i) {
    Entry* e = find(raw[i].token >> 1);
    if (!e) continue;  // removed while we slept
    if (e->kind == Kind::kConsumer) {
      // The eventfd's edge only ends the sleep: the queue says what is there.
      if (raw[i].token & 1) e->peer_gone = true;
    } else {
      e->pending |= raw[i].revents;
    }
  }
}

bool Waitset::anything_ready() {
  std::lock_guard lock(mu_);
  for (const Entry& e : entries_)
    if (e.pending || e.peer_gone || (e.kind == Kind::kConsumer && e.consumer->has_news()))
      return true;
  return false;
}

// mu_ held. One pass over the entries from next_start_, so that with a small
// max every ready entry gets its turn.
int Waitset::collect(WaitEvent* out, uint32_t max) {
  uint32_t n = 0;
  const size_t count = entries_.size();
  for (size_t k = 0; k < count; ++k) {
    Entry& e = entries_[(next_start_ + k) % count];
    uint32_t ready = 0, revents = 0;
    if (e.kind == Kind::kConsumer) {
      // What the peer published before it went is reported with it.
      if (e.consumer->has_news()) ready |= kReadyMessage;
      if (e.peer_gone) ready |= kReadyPeerGone;
    } else if (e.pending) {
      ready = e.kind == Kind::kPeer ? kReadyPeerGone : kReadyFd;
      revents = e.pending;
    }
    if (!ready) continue;
    if (n == max) {
      next_start_ = (next_start_ + k) % count;
      break;
    }
    e.pending = 0;  // level-triggered: fires again while it holds
    out[n++] = {e.key, ready, revents};
  }
  if (n < max && count) next_start_ = (next_start_ + 1) % count;
  // Whatever did not fit stays noted for the next wait.
  return static_cast<int>(n);
}

int Waitset::wait(WaitEvent* out, uint32_t max, int timeout_ms) {
  if (!out || max == 0) return -EINVAL;
  const int64_t start = monotonic_ns();
  const Deadline deadline(timeout_ms, start);
  // Never spin past the caller's timeout.
  if (spin_ns_ > 0)
    spin_until(deadline.cap_ns(start + spin_ns_), [this] { return anything_ready(); });
  RawEvent raw[64];
  for (;;) {
    // Something there already: look at the kernel's side without sleeping,
    // so that descriptors are reported beside busy consumers.
    const int wait_ms = anything_ready() ? 0 : deadline.poll_ms();
    const int r = backend_->sleep(raw, 64, wait_ms);
    if (r < 0) return r;  // -EINTR included
    std::lock_guard lock(mu_);
    note(raw, r);
    const int n = collect(out, max);
    if (n > 0) return n;
    if (deadline.expired()) return 0;
  }
}

}  // namespace rtipc
