// Only tmpfs memfds are adopted: the filesystem test, and a hugetlb memfd
// refused before it is mapped (issue 8, item 10).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "fd.hpp"
#include "local_group.hpp"
#include "region.hpp"

namespace rtipc {
namespace {

using namespace test_core;

TEST(Tmpfs, TheFilesystemTestTellsMemfdsFromOtherFiles) {
  UniqueFd memfd(::memfd_create("t", MFD_CLOEXEC));
  ASSERT_TRUE(memfd);
  EXPECT_TRUE(on_tmpfs(memfd.get()));
  UniqueFd exe(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(exe);
  EXPECT_FALSE(on_tmpfs(exe.get()));
}

TEST(Tmpfs, HugetlbMemfdIsRefusedBeforeMapping) {
  UniqueFd fd(::memfd_create("huge", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB));
  if (!fd) GTEST_SKIP() << "memfd_create(MFD_HUGETLB): " << std::strerror(errno);
  const long huge = 2 << 20;
  if (::ftruncate(fd.get(), huge) < 0)
    GTEST_SKIP() << "ftruncate of a hugetlb memfd: " << std::strerror(errno);
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
    GTEST_SKIP() << "sealing a hugetlb memfd: " << std::strerror(errno);
  std::string what;
  EXPECT_EQ(error_code([&] { Region::adopt(std::move(fd), 4096, {}); }, &what), -EBADF);
  EXPECT_NE(what.find("tmpfs"), std::string::npos) << what;
}

}  // namespace
}  // namespace rtipc
