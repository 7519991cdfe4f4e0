#include "region.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "log.hpp"

namespace rtipc {
namespace {

constexpr int kRequiredSeals = F_SEAL_SHRINK | F_SEAL_GROW;

}  // namespace

bool on_tmpfs(int fd) {
  struct statfs fs;
  if (::fstatfs(fd, &fs) < 0) fail_errno("fstatfs of the memfd");
  return fs.f_type == TMPFS_MAGIC;
}

std::shared_ptr<Region> Region::create(size_t size, const RegionOptions& options) {
  if (size == 0) fail(-EINVAL, "a channel group needs at least one channel");
  UniqueFd fd(::memfd_create("rtipc", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) fail_errno("memfd_create");
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) < 0) fail_errno("ftruncate of the memfd");
  if (::fcntl(fd.get(), F_ADD_SEALS, kRequiredSeals | F_SEAL_SEAL) < 0)
    fail_errno("sealing the memfd");
  return std::shared_ptr<Region>(new Region(std::move(fd), size, options));
}

std::shared_ptr<Region> Region::adopt(UniqueFd fd, size_t size, const RegionOptions& options) {
  int seals = ::fcntl(fd.get(), F_GET_SEALS);
  if (seals < 0) fail(-EBADF, "the shared-memory descriptor is not a memfd (it cannot be sealed)");
  if ((seals & kRequiredSeals) != kRequiredSeals)
    fail(-EPERM, "the memfd is not sealed against shrinking and growing (seals {:#x})", seals);
  if (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))
    fail(-EPERM, "the memfd is sealed against writing (seals {:#x})", seals);
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) fail_errno("fstat of the memfd");
  if (!S_ISREG(st.st_mode)) fail(-EBADF, "the shared-memory descriptor is not a memfd");
  // Seals alone let hugetlbfs through: there the peer can still punch
  // holes (a SIGBUS for us) and munmap of our length fails.
  if (!on_tmpfs(fd.get()))
    fail(-EBADF, "the shared-memory descriptor is not a tmpfs memfd (a hugetlbfs one?)");
  if (static_cast<size_t>(st.st_size) < size)
    fail(-EINVAL, "the memfd holds {} bytes, the layout needs {}", st.st_size, size);
  if (size == 0) fail(-EINVAL, "a channel group needs at least one channel");
  return std::shared_ptr<Region>(new Region(std::move(fd), size, options));
}

Region::Region(UniqueFd fd, size_t size, const RegionOptions& options)
    : fd_(std::move(fd)), size_(size) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
  if (p == MAP_FAILED) fail_errno("mmap of the shared region");
  data_ = static_cast<std::byte*>(p);
  if (options.lock) {
    if (::mlock(data_, size_) == 0) {
      locked_ = true;
    } else {
      int err = errno;
      if (options.lock_required) {
        if (::munmap(data_, size_) < 0)
          log(LogLevel::kError, "munmap of the shared region: {}", std::strerror(errno));
        fail(-err, "mlock of {} bytes: {}", size_, std::strerror(err));
      }
      log(LogLevel::kWarning, "mlock of {} bytes failed ({}), continuing unlocked", size_,
          std::strerror(err));
    }
  }
}

Region::~Region() {
  // Cannot fail for a tmpfs mapping of our own length; if it ever does, the
  // mapping leaks, and that must not pass unseen.
  if (::munmap(data_, size_) < 0)
    log(LogLevel::kError, "munmap of the shared region ({} bytes): {}", size_,
        std::strerror(errno));
}

}  // namespace rtipc
