// The handshake through the C API, server and client in separate processes:
// acceptance, the filter and what it sees, several clients, missing, stale
// and live servers, timeouts, and the socketpair variants.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstring>
#include <string>
#include <vector>

#include "helpers.hpp"

namespace {

using test::channel;

// The docs/protocol.md §9 group, as the client holds it.
struct ExampleConfig {
  rtipc_channel_config produced[1] = {channel(16, 0, true, "rpc command")};
  rtipc_channel_config consumed[2] = {channel(12, 0, true, "rpc response"),
                                      channel(8, 10, true, "rpc event")};
  rtipc_group_config config = test::group_config(produced, 1, consumed, 2);
};

// A richer group: mixed eventfd flags, info and no info, group info.
struct MixedConfig {
  rtipc_channel_config produced[2] = {channel(100, 5, false, "alpha"), channel(1, 0, true)};
  rtipc_channel_config consumed[3] = {channel(64, 1, true, "beta\0x"), channel(4096, 2, false),
                                      channel(7, 30, true, "gamma")};
  rtipc_group_config config = test::group_config(produced, 2, consumed, 3);
  MixedConfig() {
    config.info = "group-info";
    config.info_size = 10;
  }
};

class Handshake : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir.ok());
    path = dir.path("server.sock");
  }
  test::TempDir dir;
  std::string path;
};

// Client child: connects with config, then writes `tag` into every producer
// and expects `tag + 1` on every consumer. Exit code 0 means all went well.
int client_exchange(const std::string& path, const rtipc_group_config& config, uint8_t tag) {
  rtipc_group* group = nullptr;
  if (rtipc_client_connect(path.c_str(), &config, 5000, &group) != 0) return 10;
  for (uint32_t i = 0; i < rtipc_group_producer_count(group); ++i) {
    rtipc_producer* p;
    if (rtipc_group_take_producer(group, i, &p) != 0) return 11;
    std::memset(rtipc_producer_msg(p), tag, rtipc_producer_msg_size(p));
    if (rtipc_produce(p, RTIPC_PRODUCE_FORCE) != RTIPC_PUBLISHED) return 12;
    rtipc_producer_destroy(p);
  }
  for (uint32_t i = 0; i < rtipc_group_consumer_count(group); ++i) {
    rtipc_consumer* c;
    if (rtipc_group_take_consumer(group, i, &c) != 0) return 13;
    // Without an eventfd, wait() spins and then says so: poll consume.
    int r;
    while ((r = rtipc_consume(c, RTIPC_CONSUME_NEXT)) == RTIPC_NOTHING_PRODUCED) {
      if (rtipc_consumer_fd(c) >= 0 && rtipc_consumer_wait(c, 5000) != 1) return 14;
    }
    if (r != RTIPC_NEW) return 15;
    const auto* msg = static_cast<const uint8_t*>(rtipc_consumer_msg(c));
    for (size_t b = 0; b < rtipc_consumer_msg_size(c); ++b)
      if (msg[b] != uint8_t(tag + 1)) return 16;
    rtipc_consumer_destroy(c);
  }
  rtipc_group_destroy(group);
  return 0;
}

// Server side of client_exchange: answers each tag with tag + 1.
void server_exchange(rtipc_group* group, uint8_t tag) {
  for (uint32_t i = 0; i < rtipc_group_consumer_count(group); ++i) {
    rtipc_consumer* c;
    ASSERT_EQ(rtipc_group_take_consumer(group, i, &c), 0);
    int r;
    while ((r = rtipc_consume(c, RTIPC_CONSUME_NEXT)) == RTIPC_NOTHING_PRODUCED) {
      if (rtipc_consumer_fd(c) >= 0) {
        ASSERT_EQ(rtipc_consumer_wait(c, 5000), 1);
      }
    }
    ASSERT_EQ(r, RTIPC_NEW);
    const auto* msg = static_cast<const uint8_t*>(rtipc_consumer_msg(c));
    for (size_t b = 0; b < rtipc_consumer_msg_size(c); ++b) ASSERT_EQ(msg[b], tag);
    rtipc_consumer_destroy(c);
  }
  for (uint32_t i = 0; i < rtipc_group_producer_count(group); ++i) {
    rtipc_producer* p;
    ASSERT_EQ(rtipc_group_take_producer(group, i, &p), 0);
    std::memset(rtipc_producer_msg(p), tag + 1, rtipc_producer_msg_size(p));
    ASSERT_EQ(rtipc_produce(p, RTIPC_PRODUCE_FORCE), RTIPC_PUBLISHED);
    rtipc_producer_destroy(p);
  }
}

TEST_F(Handshake, AcceptsAndCarriesMessagesBothWays) {
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), nullptr, &server), 0);
  ExampleConfig ex;
  const pid_t child = test::spawn([&] { return client_exchange(path, ex.config, 7); });
  rtipc_group* group = nullptr;
  ASSERT_EQ(rtipc_server_accept(server, 10000, &group), 0);
  EXPECT_EQ(rtipc_group_producer_count(group), 2u);  // the client's consumers
  EXPECT_EQ(rtipc_group_consumer_count(group), 1u);
  server_exchange(group, 7);
  EXPECT_EQ(test::reap(child), 0);
  rtipc_group_destroy(group);
  rtipc_server_destroy(server);
}

struct Seen {
  int calls = 0;
  std::vector<rtipc_channel_config> producers, consumers;
  std::vector<std::string> producer_info, consumer_info;
  std::string group_info;
  uint64_t region_size = 0;
  uint32_t cacheline = 0;
  int past_the_end = 0;  // what the config getters say for an index past the end
  int32_t pid = -1;
  uint32_t uid = 0, gid = 0;
  int verdict = 1;
};

// The proposal's channels, copied out through `get` (info bytes too: they
// live only during the call).
void record_channels(const rtipc_proposal* p, uint32_t count,
                     int (*get)(const rtipc_proposal*, uint32_t, rtipc_channel_config*),
                     std::vector<rtipc_channel_config>* configs, std::vector<std::string>* infos) {
  for (uint32_t i = 0; i < count; ++i) {
    rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
    if (get(p, i, &c) != 0) c.msg_size = 0;  // shows up as a mismatch
    configs->push_back(c);
    infos->emplace_back(static_cast<const char*>(c.info ? c.info : ""), c.info_size);
  }
}

int record_filter(const rtipc_proposal* p, void* user) {
  auto* seen = static_cast<Seen*>(user);
  ++seen->calls;
  const uint32_t produced = rtipc_proposal_producer_count(p);
  const uint32_t consumed = rtipc_proposal_consumer_count(p);
  record_channels(p, produced, rtipc_proposal_producer_config, &seen->producers,
                  &seen->producer_info);
  record_channels(p, consumed, rtipc_proposal_consumer_config, &seen->consumers,
                  &seen->consumer_info);
  rtipc_channel_config none = RTIPC_CHANNEL_CONFIG_INIT;
  seen->past_the_end = rtipc_proposal_producer_config(p, produced, &none) == -EINVAL &&
                       rtipc_proposal_consumer_config(p, consumed, &none) == -EINVAL;
  size_t info_size = 0;
  const void* info = rtipc_proposal_info(p, &info_size);
  seen->group_info.assign(static_cast<const char*>(info ? info : ""), info_size);
  seen->region_size = rtipc_proposal_region_size(p);
  seen->cacheline = rtipc_proposal_cacheline(p);
  seen->pid = rtipc_proposal_peer_pid(p);
  seen->uid = rtipc_proposal_peer_uid(p);
  seen->gid = rtipc_proposal_peer_gid(p);
  return seen->verdict;
}

void expect_same_channel(const rtipc_channel_config& seen, const std::string& seen_info,
                         const rtipc_channel_config& sent) {
  EXPECT_EQ(seen.size, sizeof(rtipc_channel_config));
  EXPECT_EQ(seen.msg_size, sent.msg_size);
  EXPECT_EQ(seen.add_msgs, sent.add_msgs);
  EXPECT_EQ(seen.flags, sent.flags);
  EXPECT_EQ(seen.info_size, sent.info_size);
  EXPECT_EQ(seen_info,
            std::string(static_cast<const char*>(sent.info ? sent.info : ""), sent.info_size));
  EXPECT_EQ(seen.info == nullptr, sent.info_size == 0);
}

TEST_F(Handshake, FilterSeesTheProposalInTheServersTerms) {
  Seen seen;
  const rtipc_server_config config = test::server_config(record_filter, &seen);
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), &config, &server), 0);
  MixedConfig mixed;
  const pid_t child = test::spawn([&] { return client_exchange(path, mixed.config, 42); });
  rtipc_group* group = nullptr;
  ASSERT_EQ(rtipc_server_accept(server, 10000, &group), 0);
  ASSERT_EQ(seen.calls, 1);
  ASSERT_EQ(seen.producers.size(), 3u);  // the client's consumers
  ASSERT_EQ(seen.consumers.size(), 2u);
  for (int i = 0; i < 3; ++i)
    expect_same_channel(seen.producers[i], seen.producer_info[i], mixed.consumed[i]);
  for (int i = 0; i < 2; ++i)
    expect_same_channel(seen.consumers[i], seen.consumer_info[i], mixed.produced[i]);
  EXPECT_TRUE(seen.past_the_end);
  EXPECT_EQ(seen.group_info, "group-info");
  EXPECT_EQ(seen.cacheline, rtipc_default_cacheline());
  EXPECT_EQ(seen.region_size, rtipc_group_region_size(group));
  EXPECT_EQ(seen.pid, child);
  EXPECT_EQ(seen.uid, ::getuid());
  EXPECT_EQ(seen.gid, ::getgid());

  // The group the server built matches too, and every channel carries data.
  size_t size;
  ASSERT_EQ(rtipc_group_info(group, &size) != nullptr, true);
  EXPECT_EQ(std::string(static_cast<const char*>(rtipc_group_info(group, &size)), size),
            "group-info");
  EXPECT_EQ(rtipc_group_cacheline(group), seen.cacheline);
  for (uint32_t i = 0; i < 3; ++i) {
    rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
    ASSERT_EQ(rtipc_group_producer_config(group, i, &c), 0);
    expect_same_channel(c, std::string(static_cast<const char*>(c.info ? c.info : ""), c.info_size),
                        mixed.consumed[i]);
  }
  server_exchange(group, 42);
  EXPECT_EQ(test::reap(child), 0);
  rtipc_group_destroy(group);
  rtipc_server_destroy(server);
}

TEST_F(Handshake, FilterRejectionIsDistinctFromNoServer) {
  Seen seen;
  seen.verdict = 0;
  const rtipc_server_config config = test::server_config(record_filter, &seen);
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), &config, &server), 0);
  ExampleConfig ex;
  const pid_t child = test::spawn([&] {
    rtipc_group* g = nullptr;
    const int r = rtipc_client_connect(path.c_str(), &ex.config, 5000, &g);
    return r == -RTIPC_EREJECTED && g == nullptr ? 0 : 1;
  });
  test::LogCapture log;
  const int fds_before = test::open_fd_count();
  rtipc_group* group = nullptr;
  EXPECT_EQ(rtipc_server_accept(server, 10000, &group), -RTIPC_EREJECTED);
  EXPECT_EQ(test::open_fd_count(), fds_before);
  EXPECT_EQ(seen.calls, 1);
  EXPECT_NE(log.all().find("rejected by the filter"), std::string::npos) << log.all();
  EXPECT_EQ(test::reap(child), 0);
  rtipc_server_destroy(server);

  // Now nobody is there: a different error.
  test::LogCapture quiet(RTIPC_LOG_NONE);
  rtipc_group* g = nullptr;
  EXPECT_EQ(rtipc_client_connect(path.c_str(), &ex.config, 1000, &g), -ENOENT);
  EXPECT_EQ(rtipc_client_connect(dir.path("never").c_str(), &ex.config, 1000, &g), -ENOENT);
}

TEST_F(Handshake, ClientsOneAfterAnother) {
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), nullptr, &server), 0);
  ExampleConfig ex;
  for (uint8_t i = 0; i < 5; ++i) {
    const pid_t child = test::spawn([&] { return client_exchange(path, ex.config, i * 10); });
    rtipc_group* group = nullptr;
    ASSERT_EQ(rtipc_server_accept(server, 10000, &group), 0);
    server_exchange(group, i * 10);
    EXPECT_EQ(test::reap(child), 0) << "client " << int(i);
    rtipc_group_destroy(group);
  }
  rtipc_server_destroy(server);
}

TEST_F(Handshake, ClientsConnectingAtOnce) {
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), nullptr, &server), 0);
  constexpr int kClients = 8;
  std::vector<pid_t> children;
  for (int i = 0; i < kClients; ++i) {
    children.push_back(test::spawn([&, i] {
      // One producer whose message says who we are.
      const rtipc_channel_config c = channel(sizeof(int), 0, true);
      const rtipc_group_config config = test::group_config(&c, 1);
      rtipc_group* g = nullptr;
      if (rtipc_client_connect(path.c_str(), &config, 10000, &g) != 0) return 1;
      rtipc_producer* p;
      if (rtipc_group_take_producer(g, 0, &p) != 0) return 2;
      std::memcpy(rtipc_producer_msg(p), &i, sizeof i);
      rtipc_produce(p, RTIPC_PRODUCE_FORCE);
      rtipc_producer_destroy(p);
      rtipc_group_destroy(g);
      return 0;
    }));
  }
  std::vector<bool> heard(kClients, false);
  for (int n = 0; n < kClients; ++n) {
    rtipc_group* group = nullptr;
    ASSERT_EQ(rtipc_server_accept(server, 10000, &group), 0);
    rtipc_consumer* c;
    ASSERT_EQ(rtipc_group_take_consumer(group, 0, &c), 0);
    ASSERT_EQ(rtipc_consumer_wait(c, 10000), 1);
    ASSERT_EQ(rtipc_consume(c, RTIPC_CONSUME_NEXT), RTIPC_NEW);
    int who;
    std::memcpy(&who, rtipc_consumer_msg(c), sizeof who);
    ASSERT_TRUE(who >= 0 && who < kClients);
    EXPECT_FALSE(heard[who]);
    heard[who] = true;
    rtipc_consumer_destroy(c);
    rtipc_group_destroy(group);
  }
  for (pid_t child : children) EXPECT_EQ(test::reap(child), 0);
  rtipc_server_destroy(server);
}

TEST_F(Handshake, DestroyedServerFailsPendingClients) {
  ExampleConfig ex;
  test::Pipe go, ready;
  std::vector<pid_t> children;
  // Forked before the server exists: a child holding a copy of the
  // listening socket would keep the queue alive.
  for (int i = 0; i < 3; ++i) {
    children.push_back(test::spawn([&] {
      if (go.get() == -1) return 2;
      ready.put();
      rtipc_group* g = nullptr;
      const int r = rtipc_client_connect(path.c_str(), &ex.config, -1, &g);
      // Pending when the server went: reset or hung up on. Too late: gone.
      return r == -ECONNRESET || r == -RTIPC_EREJECTED || r == -ENOENT || r == -ECONNREFUSED ? 0
                                                                                             : 1;
    }));
  }
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), nullptr, &server), 0);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(go.put());
  for (int i = 0; i < 3; ++i) ASSERT_NE(ready.get(), -1);
  pollfd p = {rtipc_server_fd(server), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);  // at least one is queued
  rtipc_server_destroy(server);
  for (pid_t child : children) EXPECT_EQ(test::reap(child), 0);  // and none hangs
}

TEST_F(Handshake, StaleSocketFileIsReplaced) {
  {
    int s = ::socket(AF_UNIX, SOCK_SEQPACKET, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(s);  // the file stays behind, nobody listens
  }
  ExampleConfig ex;
  rtipc_group* g = nullptr;
  {
    test::LogCapture quiet(RTIPC_LOG_NONE);
    EXPECT_EQ(rtipc_client_connect(path.c_str(), &ex.config, 1000, &g), -ECONNREFUSED);
  }

  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), nullptr, &server), 0);
  const pid_t child = test::spawn([&] { return client_exchange(path, ex.config, 1); });
  rtipc_group* group = nullptr;
  ASSERT_EQ(rtipc_server_accept(server, 10000, &group), 0);
  server_exchange(group, 1);
  EXPECT_EQ(test::reap(child), 0);
  rtipc_group_destroy(group);
  rtipc_server_destroy(server);
  struct stat st;
  EXPECT_NE(::lstat(path.c_str(), &st), 0);  // removed by destroy
}

TEST_F(Handshake, LiveServerKeepsItsPath) {
  rtipc_server* server;
  rtipc_server_config config = test::server_config();
  config.socket_mode = 0600;
  ASSERT_EQ(rtipc_server_create(path.c_str(), &config, &server), 0);
  struct stat st;
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  rtipc_server* second = nullptr;
  {
    test::LogCapture quiet(RTIPC_LOG_NONE);
    EXPECT_EQ(rtipc_server_create(path.c_str(), nullptr, &second), -EADDRINUSE);
  }
  EXPECT_EQ(second, nullptr);
  // The first still serves, and its next client is a real one (the probe
  // connection of the failed create is skipped).
  ExampleConfig ex;
  const pid_t child = test::spawn([&] { return client_exchange(path, ex.config, 3); });
  rtipc_group* group = nullptr;
  ASSERT_EQ(rtipc_server_accept(server, 10000, &group), 0);
  server_exchange(group, 3);
  EXPECT_EQ(test::reap(child), 0);
  rtipc_group_destroy(group);
  rtipc_server_destroy(server);
}

TEST_F(Handshake, NeverReplacesAFileThatIsNotASocket) {
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("precious", f);
  std::fclose(f);
  rtipc_server* server = nullptr;
  {
    test::LogCapture quiet(RTIPC_LOG_NONE);
    EXPECT_EQ(rtipc_server_create(path.c_str(), nullptr, &server), -EEXIST);
    EXPECT_EQ(rtipc_server_create(std::string(200, 'x').c_str(), nullptr, &server), -ENAMETOOLONG);
    EXPECT_EQ(rtipc_server_create(dir.path("nodir/s").c_str(), nullptr, &server), -ENOENT);
  }
  struct stat st;
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, 8);
}

TEST_F(Handshake, DestroyLeavesAReplacementAlone) {
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), nullptr, &server), 0);
  ASSERT_EQ(::unlink(path.c_str()), 0);
  FILE* f = std::fopen(path.c_str(), "w");  // someone else's file now
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  rtipc_server_destroy(server);
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0);
}

int count_filter_calls(const rtipc_proposal*, void* user) {
  ++*static_cast<int*>(user);
  return 1;
}

// A server refuses a group beyond its limits before its filter sees it, and
// the defaults (64 channels, 4096 slots a channel) hold when none are set.
TEST_F(Handshake, ServerLimitsRefuseBeforeTheFilter) {
  struct Case {
    const char* name;
    uint32_t channels, add_msgs, msg_size, cacheline;  // the client's group
    uint32_t max_channels, max_slots, min_cacheline;   // the server's limits
    uint64_t max_region_size;
    int expected;  // what accept returns
  };
  const Case cases[] = {
      {"as many channels as the default allows", 64, 0, 8, 0, 0, 0, 0, 0, 0},
      {"one channel more than the default", 65, 0, 8, 0, 0, 0, 0, 0, -E2BIG},
      {"as many slots as the default allows", 1, 4093, 8, 0, 0, 0, 0, 0, 0},
      {"one slot more than the default", 1, 4094, 8, 0, 0, 0, 0, 0, -E2BIG},
      {"more channels than a raised limit", 3, 0, 8, 0, 2, 0, 0, 0, -E2BIG},
      {"within a raised limit", 65, 0, 8, 0, 65, 0, 0, 0, 0},
      {"more slots than the limit", 1, 6, 8, 0, 0, 8, 0, 0, -E2BIG},
      {"a larger region than the limit", 1, 0, 4096, 0, 0, 0, 0, 8192, -E2BIG},
      {"a smaller cache line than the minimum", 1, 0, 8, 64, 0, 0, 128, 0, -E2BIG},
      {"the minimum cache line", 1, 0, 8, 128, 0, 0, 128, 0, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    int calls = 0;
    rtipc_server_config config = test::server_config(count_filter_calls, &calls);
    config.max_channels = c.max_channels;
    config.max_slots = c.max_slots;
    config.min_cacheline = c.min_cacheline;
    config.max_region_size = c.max_region_size;
    rtipc_server* server;
    ASSERT_EQ(rtipc_server_create(path.c_str(), &config, &server), 0);
    const std::vector<rtipc_channel_config> channels(c.channels,
                                                     channel(c.msg_size, c.add_msgs, false));
    rtipc_group_config group_config = test::group_config(channels.data(), c.channels);
    group_config.cacheline = c.cacheline;
    const pid_t child = test::spawn([&] {
      rtipc_group* g = nullptr;
      const int r = rtipc_client_connect(path.c_str(), &group_config, 10000, &g);
      rtipc_group_destroy(g);
      // The reason reaches the client (docs/protocol.md §5).
      return r == c.expected ? 0 : 1;
    });
    rtipc_group* group = nullptr;
    EXPECT_EQ(rtipc_server_accept(server, 10000, &group), c.expected) << rtipc_last_error();
    EXPECT_EQ(calls, c.expected == 0 ? 1 : 0);
    EXPECT_EQ(test::reap(child), 0);
    rtipc_group_destroy(group);
    rtipc_server_destroy(server);
  }
}

TEST_F(Handshake, AcceptTimesOutWithoutAClient) {
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), nullptr, &server), 0);
  rtipc_group* group = nullptr;
  EXPECT_EQ(rtipc_server_accept(server, 0, &group), -ETIMEDOUT);
  EXPECT_EQ(rtipc_server_accept(server, 50, &group), -ETIMEDOUT);
  EXPECT_EQ(group, nullptr);
  pollfd p = {rtipc_server_fd(server), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0);
  rtipc_server_destroy(server);
}

TEST_F(Handshake, ClientTimesOutWhenTheServerNeverAnswers) {
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), nullptr, &server), 0);
  ExampleConfig ex;
  rtipc_group* g = nullptr;
  test::LogCapture quiet(RTIPC_LOG_NONE);
  EXPECT_EQ(rtipc_client_connect(path.c_str(), &ex.config, 50, &g), -ETIMEDOUT);
  EXPECT_EQ(g, nullptr);
  rtipc_server_destroy(server);
}

TEST(HandshakeSocket, WorksOnASocketPair) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  ExampleConfig ex;
  const pid_t child = test::spawn([&] {
    ::close(sv[0]);
    rtipc_group* g = nullptr;
    if (rtipc_client_connect_socket(sv[1], &ex.config, 5000, &g) != 0) return 1;
    // The socket is still ours.
    if (::fcntl(sv[1], F_GETFD) < 0) return 2;
    rtipc_group_destroy(g);
    return 0;
  });
  ::close(sv[1]);
  Seen seen;
  const rtipc_server_config config = test::server_config(record_filter, &seen);
  rtipc_group* group = nullptr;
  ASSERT_EQ(rtipc_server_accept_socket(sv[0], &config, 5000, &group), 0);
  EXPECT_EQ(seen.pid, ::getpid());  // socketpair: the creator's credentials
  EXPECT_GE(::fcntl(sv[0], F_GETFD), 0);
  EXPECT_EQ(test::reap(child), 0);
  rtipc_group_destroy(group);
  ::close(sv[0]);
}

}  // namespace

namespace {

TEST(HandshakeSocket, AsManyEventfdsAsOneMessageCarries) {
  for (uint32_t count : {252u, 253u}) {
    std::vector<rtipc_channel_config> channels(count, test::channel(8, 0, true));
    const rtipc_group_config config = test::group_config(channels.data(), count);
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    const pid_t child = test::spawn([&] {
      // More channels than the default limit of 64 allows.
      const rtipc_server_config big = test::unlimited_server_config();
      rtipc_group* g = nullptr;
      return rtipc_server_accept_socket(sv[0], &big, 5000, &g) == 0 &&
                     rtipc_group_consumer_count(g) == count
                 ? 0
                 : 1;
    });
    rtipc_group* g = nullptr;
    test::LogCapture quiet(RTIPC_LOG_NONE);
    const int r = rtipc_client_connect_socket(sv[1], &config, 5000, &g);
    if (count == 252) {
      EXPECT_EQ(r, 0);
      EXPECT_EQ(test::reap(child), 0);
    } else {
      // 1 memfd + 253 eventfds: more than the kernel passes at once.
      EXPECT_EQ(r, -EINVAL);
      EXPECT_NE(std::string(rtipc_last_error()).find("253"), std::string::npos);
      ::kill(child, SIGKILL);
      test::reap(child);
    }
    rtipc_group_destroy(g);
    ::close(sv[0]);
    ::close(sv[1]);
  }
}

}  // namespace
