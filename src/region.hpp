// The shared memory region: one sealed memfd, mapped read/write. The mapping
// lives as long as the last channel that points into it (shared_ptr).
#pragma once

#include <cstddef>
#include <memory>

#include "fd.hpp"

namespace rtipc {

struct RegionOptions {
  bool lock = false;           // mlock the mapping
  bool lock_required = false;  // a failed mlock fails the setup (else a warning)
};

// Whether fd lives on tmpfs (what memfd_create without MFD_HUGETLB gives).
// Throws Error(-errno) when fstatfs fails.
bool on_tmpfs(int fd);

class Region {
 public:
  // Client side: a new memfd of `size` bytes, sealed against growing and
  // shrinking. Contents are zero.
  static std::shared_ptr<Region> create(size_t size, const RegionOptions& options);

  // Server side: adopts the peer's memfd. Rejects anything that is not a
  // tmpfs memfd (-EBADF: a hugetlbfs one, for instance, whose holes the
  // peer can punch and whose mappings unmap only in huge pages) sealed
  // against shrinking and growing (-EPERM), or is smaller than `size`
  // (-EINVAL), so that the peer can never make an access fault (PROTOCOL.md
  // §11).
  // Maps only the first `size` bytes.
  static std::shared_ptr<Region> adopt(UniqueFd fd, size_t size, const RegionOptions& options);

  ~Region();
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;

  std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  int fd() const { return fd_.get(); }
  bool locked() const { return locked_; }

 private:
  Region(UniqueFd fd, size_t size, const RegionOptions& options);

  UniqueFd fd_;
  std::byte* data_ = nullptr;
  size_t size_ = 0;
  bool locked_ = false;
};

}  // namespace rtipc
