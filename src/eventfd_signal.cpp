#include "eventfd_signal.hpp"

#include <linux/aio_abi.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "env.hpp"
#include "fd.hpp"
#include "fork_generation.hpp"
#include "log.hpp"

namespace rtipc {
namespace {

// Completions wait in the context's ring until taken; taking them every
// kReapEvery signals keeps a ring of kEvents from ever filling.
constexpr unsigned kEvents = 64;
constexpr unsigned kReapEvery = 16;

class ThreadContext {
 public:
  ~ThreadContext() {
    if (ctx_) ::syscall(SYS_io_destroy, ctx_);
  }

  int open(std::string* why) {
    if (::syscall(SYS_io_setup, kEvents, &ctx_) != 0) {
      ctx_ = 0;
      return *why = std::string("io_setup: ") + std::strerror(errno), -errno;
    }
    source_.reset(::memfd_create("librtipc-signal-source", MFD_CLOEXEC));
    if (!source_) return *why = std::string("memfd_create: ") + std::strerror(errno), -errno;
    return 0;
  }

  // In a forked child: the context is the parent's; our memfd copy is ours.
  void forget_inherited() { ctx_ = 0; }

  int signal(int fd) {
    iocb cb{};
    cb.aio_lio_opcode = IOCB_CMD_PREAD;
    cb.aio_fildes = static_cast<uint32_t>(source_.get());
    cb.aio_buf = reinterpret_cast<uintptr_t>(&sink_);
    cb.aio_nbytes = 0;  // completes at once; its completion adds the count
    cb.aio_flags = IOCB_FLAG_RESFD;
    cb.aio_resfd = static_cast<uint32_t>(fd);
    iocb* list[1] = {&cb};
    if (++since_reap_ >= kReapEvery) reap();
    long r;
    do {
      r = ::syscall(SYS_io_submit, ctx_, 1, list);
    } while (r < 0 && errno == EINTR);
    if (r == 1) return 0;
    return r < 0 ? -errno : -EIO;
  }

 private:
  void reap() {
    io_event events[kEvents];
    timespec now{0, 0};
    while (::syscall(SYS_io_getevents, ctx_, 0, kEvents, events, &now) == long{kEvents}) {
    }
    since_reap_ = 0;
  }

  aio_context_t ctx_ = 0;
  UniqueFd source_;
  unsigned since_reap_ = 0;
  char sink_ = 0;
};

thread_local std::unique_ptr<ThreadContext> t_context;
thread_local uint64_t t_tried_generation = ~uint64_t{0};

ThreadContext* thread_context() {
  const uint64_t generation = fork_generation();
  if (t_tried_generation == generation) return t_context.get();
  // First use on this thread, or the first in a forked child: the parent's
  // context is not ours (AIO contexts are not inherited), so forget it.
  if (t_context) t_context->forget_inherited();
  t_tried_generation = generation;
  t_context.reset();
  if (env_switch_on("RTIPC_NO_KERNEL_SIGNAL")) return nullptr;
  std::unique_ptr<ThreadContext> c(new (std::nothrow) ThreadContext);
  std::string why = "out of memory";
  if (!c || c->open(&why) < 0) {
    log(LogLevel::kInfo,
        "eventfd signals on this thread use write(2) ({}); a peer that "
        "clears O_NONBLOCK can hold them",
        why);
    return nullptr;
  }
  t_context = std::move(c);
  return t_context.get();
}

}  // namespace

bool kernel_signal_available() {
  return thread_context() != nullptr;
}

int kernel_signal(int fd) {
  ThreadContext* c = thread_context();
  return c ? c->signal(fd) : -ENOTSUP;
}

}  // namespace rtipc
