#include "stats.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include "fd.hpp"
#include "log.hpp"

namespace rtipc {
namespace {

constexpr size_t kPageSize =
    RTIPC_STATS_HEADER_SIZE + size_t{RTIPC_STATS_CAPACITY} * RTIPC_STATS_RECORD_SIZE;

// The process's page. Made on the first record and gone with the last one,
// so that a process with no group holds nothing of it; a forked child that
// adds a record makes its own (the inherited one stays mapped for the
// channels it inherited, which keep counting there).
struct Page {
  std::mutex mutex;
  rtipc_stats_header* header = nullptr;
  int fd = -1;
  pid_t pid = 0;
  bool failed = false;
  uint64_t serial = 0;
  uint32_t live = 0;  // records in use

  rtipc_stats_record* record(uint32_t i) const {
    return reinterpret_cast<rtipc_stats_record*>(reinterpret_cast<std::byte*>(header) +
                                                 RTIPC_STATS_HEADER_SIZE +
                                                 size_t{i} * RTIPC_STATS_RECORD_SIZE);
  }

  // With the mutex held. False when no page can be had.
  bool ready() {
    const pid_t me = ::getpid();
    if (header && pid == me) return true;
    if (failed && pid == me) return false;
    if (fd >= 0 && pid != me) ::close(fd);  // the parent's: readers must find only ours
    header = nullptr, fd = -1, pid = me, failed = true, live = 0;
    UniqueFd memfd(::memfd_create(RTIPC_STATS_MEMFD_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!memfd || ::ftruncate(memfd.get(), off_t(kPageSize)) < 0) {
      log(LogLevel::kWarning, "statistics page: {}; counting nothing", std::strerror(errno));
      return false;
    }
    (void)::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
    void* p = ::mmap(nullptr, kPageSize, PROT_READ | PROT_WRITE, MAP_SHARED, memfd.get(), 0);
    if (p == MAP_FAILED) {
      log(LogLevel::kWarning, "statistics page: mmap: {}; counting nothing", std::strerror(errno));
      return false;
    }
    header = static_cast<rtipc_stats_header*>(p);
    header->version = RTIPC_STATS_VERSION;
    header->header_size = RTIPC_STATS_HEADER_SIZE;
    header->record_size = RTIPC_STATS_RECORD_SIZE;
    header->capacity = RTIPC_STATS_CAPACITY;
    header->pid = me;
    // The magic last: a reader that sees it sees the rest.
    std::atomic_thread_fence(std::memory_order_release);
    std::memcpy(header->magic, RTIPC_STATS_MAGIC, sizeof header->magic);
    fd = memfd.release();
    failed = false;
    return true;
  }

  // With the mutex held, after the last record of this process went.
  void release() {
    ::munmap(header, kPageSize);
    ::close(fd);
    header = nullptr, fd = -1;
  }

  void bump_generation() {
    std::atomic_ref<uint64_t> g(header->generation);
    g.store(g.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
};

Page& page() {
  // Never destroyed (channels may outlive static destructors) and never on
  // the heap (a one-time allocation would look like a leak to an allocation
  // counter).
  alignas(Page) static std::byte storage[sizeof(Page)];
  static Page* p = new (storage) Page;
  return *p;
}

// The seqlock's write side.
void write_locked(rtipc_stats_record& r, const std::function<void(rtipc_stats_record&)>& change) {
  std::atomic_ref<uint32_t> seq(r.seq);
  const uint32_t s = seq.load(std::memory_order_relaxed);
  seq.store(s + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  change(r);
  seq.store(s + 2, std::memory_order_release);
}

}  // namespace

bool stats_enabled() {
  const char* env = std::getenv("RTIPC_STATS");
  return !(env && std::strcmp(env, "0") == 0);
}

uint64_t stats_next_serial() {
  Page& p = page();
  std::lock_guard lock(p.mutex);
  return ++p.serial;
}

StatsRecord StatsRecord::add(const std::function<void(rtipc_stats_record&)>& fill) {
  Page& p = page();
  std::lock_guard lock(p.mutex);
  if (!p.ready()) return {};
  rtipc_stats_header& h = *p.header;
  uint32_t i = 0;
  while (i < h.used &&
         std::atomic_ref<uint32_t>(p.record(i)->kind).load(std::memory_order_relaxed) !=
             RTIPC_STATS_FREE)
    ++i;
  if (i == h.capacity) {
    std::atomic_ref<uint64_t>(h.lost).fetch_add(1, std::memory_order_relaxed);
    return {};
  }
  rtipc_stats_record* r = p.record(i);
  write_locked(*r, [&](rtipc_stats_record& rec) {
    const uint32_t seq = rec.seq;
    std::memset(&rec, 0, sizeof rec);
    rec.seq = seq;
    rec.region_fd = -1;
    fill(rec);
  });
  if (i == h.used) std::atomic_ref<uint32_t>(h.used).store(i + 1, std::memory_order_release);
  p.bump_generation();
  ++p.live;
  return StatsRecord(r, p.pid);
}

bool StatsRecord::mine() const {
  return record_ && owner_ == ::getpid();
}

void StatsRecord::update(const std::function<void(rtipc_stats_record&)>& change) {
  if (!mine()) return;
  Page& p = page();
  std::lock_guard lock(p.mutex);
  write_locked(*record_, change);
  if (p.header && p.pid == ::getpid()) p.bump_generation();
}

StatsRecord::~StatsRecord() {
  if (!mine()) return;
  Page& p = page();
  std::lock_guard lock(p.mutex);
  write_locked(*record_, [](rtipc_stats_record& rec) {
    const uint32_t seq = rec.seq;
    std::memset(&rec, 0, sizeof rec);
    rec.seq = seq;
  });
  if (p.header && p.pid == owner_) {
    p.bump_generation();
    if (--p.live == 0) p.release();
  }
}

StatsRecord::StatsRecord(StatsRecord&& other) noexcept
    : record_(other.record_), owner_(other.owner_) {
  other.record_ = nullptr;
}

StatsRecord& StatsRecord::operator=(StatsRecord&& other) noexcept {
  if (this != &other) {
    StatsRecord gone(std::move(*this));
    record_ = other.record_;
    owner_ = other.owner_;
    other.record_ = nullptr;
  }
  return *this;
}

void stats_copy_info(rtipc_stats_record& r, std::span<const std::byte> info) {
  r.info_size = static_cast<uint32_t>(info.size());
  if (info.empty()) return;  // data() may be null: no memcpy from it
  std::memcpy(r.info, info.data(), std::min(info.size(), sizeof r.info));
}

void stats_copy_path(rtipc_stats_record& r, const std::string& path) {
  const size_t n = std::min(path.size(), sizeof r.socket_path - 1);
  std::memcpy(r.socket_path, path.data(), n);
  r.socket_path[n] = '\0';
}

}  // namespace rtipc
