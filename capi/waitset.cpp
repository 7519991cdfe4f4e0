// Waitsets and notifiers: C handles over rtipc::Waitset and rtipc::Notifier.
#include "waitset.hpp"

#include <cstring>

#include "capi.hpp"
#include "notifier.hpp"
#include "sized.hpp"

struct rtipc_waitset {
  std::unique_ptr<rtipc::Waitset> impl;
};

struct rtipc_notifier {
  std::shared_ptr<rtipc::Notifier> impl;
};

static_assert(rtipc::Notifier::Options{}.idle_ms == RTIPC_DEFAULT_NOTIFIER_IDLE_MS);
static_assert(sizeof(rtipc_waitset_event) == sizeof(rtipc::WaitEvent));
static_assert(offsetof(rtipc_waitset_event, ready) == offsetof(rtipc::WaitEvent, ready));
static_assert(RTIPC_READY_MESSAGE == rtipc::kReadyMessage &&
              RTIPC_READY_PEER_GONE == rtipc::kReadyPeerGone && RTIPC_READY_FD == rtipc::kReadyFd);

namespace rtipc::capi {

// The sized-struct rule (sized.hpp): their first layouts, 1.0.0.
template <>
inline constexpr size_t kFirstSize<rtipc_waitset_config> = offsetof(rtipc_waitset_config, spin_ns) +
                                                           sizeof(uint32_t);
template <>
inline constexpr size_t kFirstSize<rtipc_notifier_config> = offsetof(rtipc_notifier_config, cpu) +
                                                            sizeof(uint32_t);

}  // namespace rtipc::capi

namespace {

// The caller's config (NULL: all defaults) as this library knows it.
template <typename T>
T read_config(const T* config, const char* what) {
  if (!config) {
    T c{};
    c.size = sizeof c;
    return c;
  }
  return rtipc::capi::read_sized(config, what).v;
}

}  // namespace

extern "C" {

RTIPC_EXPORT int rtipc_waitset_create(const rtipc_waitset_config* config,
                                      rtipc_waitset** waitset) noexcept {
  return rtipc::capi::guard("rtipc_waitset_create", [&] {
    const rtipc_waitset_config c = read_config(config, "rtipc_waitset_config");
    if (c.backend != RTIPC_WAITSET_EPOLL && c.backend != RTIPC_WAITSET_IO_URING)
      rtipc::fail(-EINVAL, "unknown backend {}", c.backend);
    if (c.flags & ~RTIPC_WAITSET_REQUIRE) rtipc::fail(-EINVAL, "unknown flags {:#x}", c.flags);
    auto ws = std::make_unique<rtipc_waitset>();
    ws->impl = std::make_unique<rtipc::Waitset>(static_cast<rtipc::Waitset::Backend>(c.backend),
                                                c.flags & RTIPC_WAITSET_REQUIRE, c.spin_ns);
    *waitset = ws.release();
    return 0;
  });
}

RTIPC_EXPORT void rtipc_waitset_destroy(rtipc_waitset* waitset) noexcept {
  delete waitset;
}

RTIPC_EXPORT unsigned rtipc_waitset_backend(const rtipc_waitset* waitset) noexcept {
  return static_cast<unsigned>(waitset->impl->backend());
}

RTIPC_EXPORT int rtipc_waitset_fd(const rtipc_waitset* waitset) noexcept {
  return waitset->impl->fd();
}

RTIPC_EXPORT int rtipc_waitset_add_consumer(rtipc_waitset* waitset, rtipc_consumer* consumer,
                                            uint64_t key) noexcept {
  return rtipc::capi::guard("rtipc_waitset_add_consumer", [&] {
    waitset->impl->add_consumer(*consumer->impl, key);
    return 0;
  });
}

RTIPC_EXPORT int rtipc_waitset_add_fd(rtipc_waitset* waitset, int fd, uint32_t events,
                                      uint64_t key) noexcept {
  return rtipc::capi::guard("rtipc_waitset_add_fd", [&] {
    waitset->impl->add_fd(fd, events, key);
    return 0;
  });
}

RTIPC_EXPORT int rtipc_waitset_add_peer(rtipc_waitset* waitset, int pidfd, uint64_t key) noexcept {
  return rtipc::capi::guard("rtipc_waitset_add_peer", [&] {
    waitset->impl->add_peer(pidfd, key);
    return 0;
  });
}

RTIPC_EXPORT int rtipc_waitset_remove_consumer(rtipc_waitset* waitset,
                                               const rtipc_consumer* consumer) noexcept {
  const int r = waitset->impl->remove_consumer(*consumer->impl);
  return r < 0 ? rtipc::capi::report("rtipc_waitset_remove_consumer", r, "not in the waitset") : 0;
}

RTIPC_EXPORT int rtipc_waitset_remove_fd(rtipc_waitset* waitset, int fd) noexcept {
  const int r = waitset->impl->remove_fd(fd);
  return r < 0 ? rtipc::capi::report("rtipc_waitset_remove_fd", r, "not in the waitset") : 0;
}

RTIPC_EXPORT int rtipc_waitset_wait(rtipc_waitset* waitset, rtipc_waitset_event* events,
                                    uint32_t max, int timeout_ms) noexcept {
  const int r = waitset->impl->wait(reinterpret_cast<rtipc::WaitEvent*>(events), max, timeout_ms);
  if (r < 0)
    return rtipc::capi::report("rtipc_waitset_wait", r,
                               r == -EINTR    ? "interrupted by a signal"
                               : r == -EINVAL ? "no room for events"
                               : r == -EPERM
                                   ? "an io_uring waitset waits on the thread that created it"
                                   : "waiting failed",
                               r == -EINTR ? rtipc::LogLevel::kDebug : rtipc::LogLevel::kError);
  return r;
}

RTIPC_EXPORT int rtipc_notifier_create(const rtipc_notifier_config* config,
                                       rtipc_notifier** notifier) noexcept {
  return rtipc::capi::guard("rtipc_notifier_create", [&] {
    const rtipc_notifier_config c = read_config(config, "rtipc_notifier_config");
    if (c.flags & ~(RTIPC_NOTIFIER_REQUIRE | RTIPC_NOTIFIER_PIN_CPU))
      rtipc::fail(-EINVAL, "unknown flags {:#x}", c.flags);
    rtipc::Notifier::Options o;
    if (c.idle_ms) o.idle_ms = c.idle_ms;
    if (c.flags & RTIPC_NOTIFIER_PIN_CPU) {
      if (c.cpu >= CPU_SETSIZE) rtipc::fail(-EINVAL, "no CPU {}", c.cpu);
      o.cpu = static_cast<int>(c.cpu);
    }
    o.require = c.flags & RTIPC_NOTIFIER_REQUIRE;
    auto n = std::make_unique<rtipc_notifier>();
    n->impl = rtipc::Notifier::create(o);
    *notifier = n.release();
    return 0;
  });
}

RTIPC_EXPORT void rtipc_notifier_destroy(rtipc_notifier* notifier) noexcept {
  delete notifier;
}

RTIPC_EXPORT unsigned rtipc_notifier_mode(const rtipc_notifier* notifier) noexcept {
  return notifier->impl->uses_io_uring() ? RTIPC_NOTIFY_IO_URING : RTIPC_NOTIFY_DIRECT;
}

RTIPC_EXPORT int rtipc_producer_set_notifier(rtipc_producer* producer,
                                             rtipc_notifier* notifier) noexcept {
  return rtipc::capi::guard("rtipc_producer_set_notifier", [&] {
    rtipc::Producer& p = *producer->impl;
    if (!p.event_fd()) rtipc::fail(-ENOTSUP, "the channel has no eventfd");
    p.set_notify(nullptr);  // detach first: the old route drains before it goes
    if (notifier) p.set_notify(notifier->impl->attach(*p.event_fd()));
    return 0;
  });
}

RTIPC_EXPORT int rtipc_producer_notify_mode(const rtipc_producer* producer) noexcept {
  const rtipc::Producer& p = *producer->impl;
  if (!p.event_fd())
    return rtipc::capi::report("rtipc_producer_notify_mode", -ENOTSUP,
                               "the channel has no eventfd");
  return p.notify() && p.notify()->uses_io_uring() ? RTIPC_NOTIFY_IO_URING : RTIPC_NOTIFY_DIRECT;
}

}  // extern "C"
