#include "page.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "queue.hpp"

namespace rtipc_tool {
namespace {

// A read-only mapping of a whole file, unmapped on destruction.
struct Mapping {
  void* data = MAP_FAILED;
  size_t size = 0;
  ~Mapping() {
    if (data != MAP_FAILED) ::munmap(data, size);
  }
};

// Opens /proc/PID/fd/FD read-only and maps `size` bytes of it (the whole file
// when size is 0); checks the inode when ino is not 0.
int map_fd(pid_t pid, int fd, size_t size, uint64_t ino, Mapping* m) {
  const std::string path = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
  const int f = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f < 0) return -errno;
  struct stat st;
  int r = 0;
  if (::fstat(f, &st) < 0) {
    r = -errno;
  } else if (ino && st.st_ino != ino) {
    r = -ESTALE;
  } else {
    if (size == 0) size = size_t(st.st_size);
    // Never map past the end: an access there would raise SIGBUS.
    if (size == 0 || uint64_t(st.st_size) < size) {
      r = -EPROTO;
    } else {
      m->data = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, f, 0);
      m->size = size;
      if (m->data == MAP_FAILED) r = -errno;
    }
  }
  ::close(f);
  return r;
}

// The seqlock's read side: a copy taken while `seq` stayed even and unchanged.
bool copy_record(const rtipc_stats_record* src, rtipc_stats_record* dst) {
  auto* seq = const_cast<uint32_t*>(&src->seq);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const uint32_t before = std::atomic_ref<uint32_t>(*seq).load(std::memory_order_acquire);
    if (before & 1) continue;
    std::memcpy(static_cast<void*>(dst), src, sizeof *dst);
    // Counters as single atomic loads: each one whole.
    auto* c = const_cast<rtipc_stats_counters*>(&src->counters);
    for (uint64_t* f : {&c->produced, &c->discarded, &c->full, &c->consumed, &c->gaps, &c->waits,
                        &c->wakeups, &c->last_ns}) {
      const size_t off = size_t(reinterpret_cast<std::byte*>(f) - reinterpret_cast<std::byte*>(c));
      const uint64_t v = std::atomic_ref<uint64_t>(*f).load(std::memory_order_relaxed);
      std::memcpy(reinterpret_cast<std::byte*>(&dst->counters) + off, &v, sizeof v);
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (std::atomic_ref<uint32_t>(*seq).load(std::memory_order_relaxed) == before) return true;
  }
  return false;
}

}  // namespace

int read_page(pid_t pid, int fd, PageSnapshot* out) {
  Mapping m;
  if (const int r = map_fd(pid, fd, 0, 0, &m); r < 0) return r;
  if (m.size < RTIPC_STATS_HEADER_SIZE) return -EPROTO;
  const auto* h = static_cast<const rtipc_stats_header*>(m.data);
  if (std::memcmp(h->magic, RTIPC_STATS_MAGIC, sizeof h->magic) != 0) return -EPROTO;
  std::atomic_thread_fence(std::memory_order_acquire);
  out->header = *h;
  const rtipc_stats_header& hd = out->header;
  if (hd.version != RTIPC_STATS_VERSION || hd.record_size < sizeof(rtipc_stats_record) ||
      hd.pid != pid)
    return -EPROTO;
  const uint32_t used =
      std::atomic_ref<uint32_t>(const_cast<uint32_t&>(h->used)).load(std::memory_order_acquire);
  if (uint64_t(hd.header_size) + uint64_t(used) * hd.record_size > m.size) return -EPROTO;
  for (uint32_t i = 0; i < used; ++i) {
    const auto* src = reinterpret_cast<const rtipc_stats_record*>(
        static_cast<const std::byte*>(m.data) + hd.header_size + size_t(i) * hd.record_size);
    rtipc_stats_record copy;
    if (copy_record(src, &copy) && copy.kind != RTIPC_STATS_FREE) out->records.push_back(copy);
  }
  return 0;
}

int queue_depth(pid_t pid, const rtipc_stats_record& ch) {
  if (ch.region_fd < 0) return -ENOENT;
  const uint64_t index_bytes = (2 + uint64_t(ch.slots)) * 4;
  if (ch.offset + index_bytes > ch.region_size) return -EPROTO;
  Mapping m;
  if (const int r = map_fd(pid, ch.region_fd, ch.region_size, ch.region_ino, &m); r < 0) return r;
  auto* base = reinterpret_cast<uint32_t*>(static_cast<std::byte*>(m.data) + ch.offset);
  return rtipc::pending_messages(rtipc::QueueIndices(base, ch.slots));
}

}  // namespace rtipc_tool
