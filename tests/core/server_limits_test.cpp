// Server limits, checked before anything is mapped: each limit names itself,
// what a request costs the server, the hard limits, and the order against
// the filter (issue 8, item 2).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "limits.hpp"
#include "local_group.hpp"
#include "server.hpp"

namespace rtipc {
namespace {

using namespace test_core;

TEST(Limits, EachLimitNamesItselfWithE2big) {
  const ServerLimits limits;  // the defaults
  std::string what;
  EXPECT_EQ(
      error_code([&] { check_limits(plan_group(spec_with(8, {channel(8, 0)})), {}, {64}); }, &what),
      -E2BIG);
  EXPECT_NE(what.find("min_cacheline"), std::string::npos) << what;
  EXPECT_EQ(error_code(
                [&] {
                  check_limits(plan_group(spec_with(64, std::vector(65, channel(8, 0)))), {},
                               limits);
                },
                &what),
            -E2BIG);
  EXPECT_NE(what.find("max_channels: 65 channels exceed 64"), std::string::npos) << what;
  EXPECT_EQ(
      error_code([&] { check_limits(plan_group(spec_with(64, {channel(8, 4094)})), {}, limits); },
                 &what),
      -E2BIG);
  EXPECT_NE(what.find("max_slots: 4097 slots (channel 0) exceed 4096"), std::string::npos) << what;
  // 3 channels of 4096 slots of 8 KiB: 96 MiB of region.
  EXPECT_EQ(error_code(
                [&] {
                  check_limits(plan_group(spec_with(64, {}, std::vector(3, channel(8192, 4093)))),
                               {}, limits);
                },
                &what),
            -E2BIG);
  EXPECT_NE(what.find("max_region_size"), std::string::npos) << what;
  // 20 MiB the server writes, within a 64 MiB region.
  EXPECT_EQ(error_code(
                [&] { check_limits(plan_group(spec_with(64, {channel(5120, 4093)})), {}, limits); },
                &what),
            -E2BIG);
  EXPECT_NE(what.find("max_private_size"), std::string::npos) << what;
  // The same channel, produced by the client: the server only reads it.
  EXPECT_EQ(error_code([&] {
              check_limits(plan_group(spec_with(64, {}, {channel(5120, 4093)})), {}, limits);
            }),
            0);
}

TEST(Limits, PrivateCostCountsProducerPagesChainsCachesAndLocks) {
  // One client-produced channel of 1 page (index area of 64 B) and one
  // server-produced channel: its index area and 16 slots of 4 KiB.
  const GroupPlan plan = plan_group(spec_with(64, {channel(4096, 13)}, {channel(4096, 0)}));
  const std::vector<ChannelLayout>& layout = plan.layout;
  const size_t region = plan.region_size;
  GroupOptions plain;
  const ServerCost cost = server_cost(plan, plain);
  EXPECT_EQ(cost.region_size, region);
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t produced_pages = ((region + page - 1) / page - layout[1].offset / page) * page;
  EXPECT_EQ(cost.private_size, produced_pages + page /* consumer's index */ + 16 * 4);
  GroupOptions cached;
  cached.producer_cache = true;
  EXPECT_EQ(server_cost(plan, cached).private_size, cost.private_size + 4096);
  GroupOptions locked;
  locked.region.lock = true;
  EXPECT_EQ(server_cost(plan, locked).private_size, (region + page - 1) / page * page + 16 * 4);
}

TEST(Limits, BeyondTheHardLimitsIsEinval) {
  ServerLimits l;
  EXPECT_EQ(error_code([&] { validate_limits(l); }), 0);
  EXPECT_EQ(error_code([&] { validate_limits(hard_limits()); }), 0);
  l.max_channels = kMaxChannels + 1;
  EXPECT_EQ(error_code([&] { validate_limits(l); }), -EINVAL);
  l = {};
  l.min_cacheline = 48;
  EXPECT_EQ(error_code([&] { validate_limits(l); }), -EINVAL);
  l = {};
  l.max_region_size = kMaxRegionSize + 1;
  EXPECT_EQ(error_code([&] { validate_limits(l); }), -EINVAL);
}

TEST(Limits, CheckedBeforeTheFilterWhichSeesTheCost) {
  GroupSpec spec = spec_with(16, {channel(8, 0, true)});
  auto client = Group::create(spec, {});
  int filter_calls = 0;
  ServerOptions options;
  options.filter = [&](const Proposal& p) {
    ++filter_calls;
    EXPECT_EQ(p.region_size, client->region_size());
    EXPECT_EQ(p.spec.cacheline, 16u);
    EXPECT_EQ(p.peer.pid, 0);  // unknown without a socket
    EXPECT_EQ(p.peer.uid, static_cast<uid_t>(-1));
    return true;
  };
  auto dup_fds = [&] {
    std::vector<UniqueFd> fds;
    for (int fd : client->fds()) fds.emplace_back(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    return fds;
  };
  options.limits.min_cacheline = 64;
  EXPECT_EQ(error_code([&] { group_from_request(client->request(), dup_fds(), options); }), -E2BIG);
  EXPECT_EQ(filter_calls, 0);
  options.limits.min_cacheline = 16;
  auto server = group_from_request(client->request(), dup_fds(), options);
  EXPECT_EQ(filter_calls, 1);
  EXPECT_EQ(server->cacheline(), 16u);
}

}  // namespace
}  // namespace rtipc
