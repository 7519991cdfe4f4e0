// Failing allocations: malloc (and so operator new, which calls it) fails on
// its Nth call inside one setup call, for N = 1, 2, ... until the call gets
// through. Every failure must return -ENOMEM, leave no descriptor and no
// allocation behind, and the next attempt must work. Covers group creation,
// the server-side build from a request, taking channels out, client connect
// and server accept.
//
// Sanitizers bring their own allocator, which this one would fight: there
// the tests are skipped.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

#include "../support/alloc_hook.hpp"
#include "pair.hpp"

namespace {
// 0: never fail; else the allocation number (from arming) that fails.
std::atomic<uint64_t> fail_at{0};
std::atomic<uint64_t> calls{0};
}  // namespace

bool alloc_hook::admit() {
  const uint64_t target = fail_at.load(std::memory_order_relaxed);
  return target == 0 || calls.fetch_add(1, std::memory_order_relaxed) + 1 != target;
}

namespace reliability {
namespace {

struct Outcome {
  int failures = 0;  // allocation points that failed the call
  bool ok = false;   // the call got through in the end
};

// Runs `call` with the Nth allocation failing, N = 1, 2, ..., until it
// returns 0. `undo` releases what a successful call made.
Outcome fail_each_allocation(const std::function<int()>& call, const std::function<void()>& undo,
                             int max_points = 2000) {
  Outcome out;
  for (int n = 1; n <= max_points; ++n) {
    const int fds_before = test::open_fd_count();
    const int64_t live_before = alloc_hook::live_blocks();
    calls = 0;
    fail_at = static_cast<uint64_t>(n);
    const int r = call();
    fail_at = 0;
    const bool hit = calls.load() >= static_cast<uint64_t>(n);  // the failing one was reached
    if (r == 0) {
      out.ok = true;
      EXPECT_FALSE(hit) << "allocation " << n << " failed, yet the call succeeded";
      undo();
      return out;
    }
    ++out.failures;
    EXPECT_EQ(r, -ENOMEM) << "allocation " << n;
    EXPECT_EQ(test::open_fd_count(), fds_before) << "allocation " << n;
    EXPECT_EQ(alloc_hook::live_blocks(), live_before) << "allocation " << n << " leaked memory";
    if (::testing::Test::HasFailure()) return out;
  }
  return out;
}

class AllocFail : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!alloc_hook::kAllocHook) GTEST_SKIP() << "sanitizer build: its allocator is not replaced";
    rtipc_set_log(nullptr, nullptr, RTIPC_LOG_NONE);
    // rtipc_last_error()'s string grows on a thread's first failure and then
    // keeps its buffer: let it grow now, so that it does not count as a leak.
    rtipc_group_config bad = RTIPC_GROUP_CONFIG_INIT;
    bad.producer_count = 1;
    rtipc_group* g = nullptr;
    ASSERT_LT(rtipc_group_create(&bad, &g), 0);
    config_.producers = {test::channel(16, 1, true), test::channel(8, 0, false)};
    config_.consumers = {test::channel(32, 2, true)};
    config_.flags = RTIPC_GROUP_PRODUCER_CACHE;  // its aligned buffer too
  }
  void TearDown() override { rtipc_set_log(nullptr, nullptr, RTIPC_LOG_NONE); }

  Config config_;
};

void report(const char* what, const Outcome& o) {
  ::testing::Test::RecordProperty(std::string(what) + "_failure_points", o.failures);
  std::printf("%s: %d allocation failure points\n", what, o.failures);
}

TEST_F(AllocFail, GroupCreate) {
  const rtipc_group_config c = config_.get();
  rtipc_group* g = nullptr;
  const Outcome o = fail_each_allocation([&] { return rtipc_group_create(&c, &g); },
                                         [&] { rtipc_group_destroy(g); });
  EXPECT_TRUE(o.ok);
  EXPECT_GT(o.failures, 0);
  report("group_create", o);
}

TEST_F(AllocFail, GroupFromRequestAndTakingChannels) {
  const rtipc_group_config c = config_.get();
  rtipc_group* client = nullptr;
  ASSERT_EQ(rtipc_group_create(&c, &client), 0);
  std::vector<char> request(static_cast<size_t>(rtipc_group_request(client, nullptr, 0)));
  rtipc_group_request(client, request.data(), request.size());
  int fds[3];
  ASSERT_EQ(rtipc_group_fds(client, fds, 3), 3);

  rtipc_group* server = nullptr;
  int dups[3];
  const Outcome o = fail_each_allocation(
      [&] {
        for (int i = 0; i < 3; ++i) dups[i] = ::fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
        // Counted as the caller's: from_request owns and closes them.
        return rtipc_group_from_request(request.data(), request.size(), dups, 3, nullptr, &server);
      },
      [] {});
  EXPECT_TRUE(o.ok);
  EXPECT_GT(o.failures, 0);
  report("group_from_request", o);
  ASSERT_NE(server, nullptr);

  rtipc_producer* p = nullptr;
  rtipc_consumer* k = nullptr;
  report("take_producer",
         fail_each_allocation([&] { return rtipc_group_take_producer(client, 0, &p); }, [] {}));
  report("take_consumer",
         fail_each_allocation([&] { return rtipc_group_take_consumer(server, 0, &k); }, [] {}));
  ASSERT_NE(p, nullptr);
  ASSERT_NE(k, nullptr);
  // What came out works.
  std::memset(rtipc_producer_msg(p), 0x5A, 16);
  ASSERT_EQ(rtipc_produce(p, RTIPC_PRODUCE_TRY), RTIPC_PUBLISHED);
  ASSERT_EQ(rtipc_consume(k, RTIPC_CONSUME_NEXT), RTIPC_NEW);
  EXPECT_EQ(static_cast<const unsigned char*>(rtipc_consumer_msg(k))[15], 0x5A);
  rtipc_producer_destroy(p);
  rtipc_consumer_destroy(k);
  rtipc_group_destroy(client);
  rtipc_group_destroy(server);
}

TEST_F(AllocFail, ClientConnect) {
  test::TempDir dir;
  const std::string path = dir.path("alloc.sock");
  test::Pipe ready;
  // A server that accepts whoever comes, until killed. Forked while the
  // allocator is disarmed, so it never fails.
  const pid_t child = test::spawn([&] {
    rtipc_server* server = nullptr;
    if (rtipc_server_create(path.c_str(), nullptr, &server) != 0) return 1;
    ready.put();
    for (;;) {
      rtipc_group* g = nullptr;
      if (rtipc_server_accept(server, 20000, &g) == 0) rtipc_group_destroy(g);
    }
  });
  ASSERT_EQ(ready.get(), 'x');
  const rtipc_group_config c = config_.get();
  rtipc_group* g = nullptr;
  const Outcome o = fail_each_allocation(
      [&] { return rtipc_client_connect(path.c_str(), &c, 10000, &g); }, [] {});
  EXPECT_TRUE(o.ok);
  EXPECT_GT(o.failures, 0);
  report("client_connect", o);
  if (g) {
    EXPECT_EQ(rtipc_group_peer_pid(g), child);
    EXPECT_GE(rtipc_group_peer_fd(g), 0);
    rtipc_group_destroy(g);
  }
  ::kill(child, SIGKILL);
  test::reap(child);
}

TEST_F(AllocFail, ServerAccept) {
  test::TempDir dir;
  const std::string path = dir.path("alloc.sock");
  rtipc_server* server = nullptr;
  ASSERT_EQ(rtipc_server_create(path.c_str(), nullptr, &server), 0);
  test::Pipe quit;
  const Config theirs = config_.mirrored();
  // A client that tries again after every rejection, until it gets in.
  const pid_t child = test::spawn([&] {
    const rtipc_group_config c = theirs.get();
    for (int attempt = 0; attempt < 2000; ++attempt) {
      rtipc_group* g = nullptr;
      if (rtipc_client_connect(path.c_str(), &c, 10000, &g) == 0) {
        quit.get(20000);
        rtipc_group_destroy(g);
        return 0;
      }
    }
    return 1;
  });
  rtipc_group* g = nullptr;
  const Outcome o =
      fail_each_allocation([&] { return rtipc_server_accept(server, 10000, &g); }, [] {});
  EXPECT_TRUE(o.ok);
  EXPECT_GT(o.failures, 0);
  report("server_accept", o);
  if (g) {
    EXPECT_EQ(rtipc_group_peer_pid(g), child);
    rtipc_group_destroy(g);
  }
  quit.put();
  EXPECT_EQ(test::reap(child), 0);
  rtipc_server_destroy(server);
}

}  // namespace
}  // namespace reliability
