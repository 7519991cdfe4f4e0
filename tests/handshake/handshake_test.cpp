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

// The PROTOCOL.md §9 group, as the client holds it.
struct ExampleConfig {
  rtipc_channel_config produced[1] = {channel(16, 0, true, "rpc command")};
  rtipc_channel_config consumed[2] = {channel(12, 0, true, "rpc response"),
                                      channel(8, 10, true, "rpc event")};
  rtipc_group_config config{};
  ExampleConfig() {
    config.producers = produced;
    config.producer_count = 1;
    config.consumers = consumed;
    config.consumer_count = 2;
  }
};

// A richer group: mixed eventfd flags, info and no info, group info.
struct MixedConfig {
  rtipc_channel_config produced[2] = {channel(100, 5, false, "alpha"), channel(1, 0, true)};
  rtipc_channel_config consumed[3] = {channel(64, 1, true, "beta\0x"), channel(4096, 2, false),
                                      channel(7, 30, true, "gamma")};
  rtipc_group_config config{};
  MixedConfig() {
    config.producers = produced;
    config.producer_count = 2;
    config.consumers = consumed;
    config.consumer_count = 3;
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
  ASSERT_EQ(rtipc_server_create(path.c_str(), 0, 0, &server), 0);
  ExampleConfig ex;
  const pid_t child = test::spawn([&] { return client_exchange(path, ex.config, 7); });
  rtipc_group* group = nullptr;
  ASSERT_EQ(rtipc_server_accept(server, 10000, nullptr, nullptr, 0, &group), 0);
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
  uint32_t flags = 99;
  rtipc_peer peer{};
  int verdict = 1;
};

int record_filter(const rtipc_group_config* p, const rtipc_peer* peer, void* user) {
  auto* seen = static_cast<Seen*>(user);
  ++seen->calls;
  for (uint32_t i = 0; i < p->producer_count; ++i) {
    seen->producers.push_back(p->producers[i]);
    seen->producer_info.emplace_back(static_cast<const char*>(p->producers[i].info),
                                     p->producers[i].info_size);
  }
  for (uint32_t i = 0; i < p->consumer_count; ++i) {
    seen->consumers.push_back(p->consumers[i]);
    seen->consumer_info.emplace_back(static_cast<const char*>(p->consumers[i].info),
                                     p->consumers[i].info_size);
  }
  seen->group_info.assign(static_cast<const char*>(p->info), p->info_size);
  seen->flags = p->flags;
  seen->peer = *peer;
  return seen->verdict;
}

void expect_same_channel(const rtipc_channel_config& seen, const std::string& seen_info,
                         const rtipc_channel_config& sent) {
  EXPECT_EQ(seen.msg_size, sent.msg_size);
  EXPECT_EQ(seen.add_msgs, sent.add_msgs);
  EXPECT_EQ(seen.flags, sent.flags);
  EXPECT_EQ(seen.info_size, sent.info_size);
  EXPECT_EQ(seen_info,
            std::string(static_cast<const char*>(sent.info ? sent.info : ""), sent.info_size));
  EXPECT_EQ(seen.info == nullptr, sent.info_size == 0);
}

TEST_F(Handshake, FilterSeesTheProposalInTheServersTerms) {
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), 0, 0, &server), 0);
  MixedConfig mixed;
  const pid_t child = test::spawn([&] { return client_exchange(path, mixed.config, 42); });
  Seen seen;
  rtipc_group* group = nullptr;
  ASSERT_EQ(rtipc_server_accept(server, 10000, record_filter, &seen, 0, &group), 0);
  ASSERT_EQ(seen.calls, 1);
  ASSERT_EQ(seen.producers.size(), 3u);  // the client's consumers
  ASSERT_EQ(seen.consumers.size(), 2u);
  for (int i = 0; i < 3; ++i)
    expect_same_channel(seen.producers[i], seen.producer_info[i], mixed.consumed[i]);
  for (int i = 0; i < 2; ++i)
    expect_same_channel(seen.consumers[i], seen.consumer_info[i], mixed.produced[i]);
  EXPECT_EQ(seen.group_info, "group-info");
  EXPECT_EQ(seen.flags, 0u);
  EXPECT_EQ(seen.peer.pid, child);
  EXPECT_EQ(seen.peer.uid, ::getuid());
  EXPECT_EQ(seen.peer.gid, ::getgid());

  // The group the server built matches too, and every channel carries data.
  size_t size;
  ASSERT_EQ(rtipc_group_info(group, &size) != nullptr, true);
  EXPECT_EQ(std::string(static_cast<const char*>(rtipc_group_info(group, &size)), size),
            "group-info");
  for (uint32_t i = 0; i < 3; ++i) {
    rtipc_channel_config c;
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
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), 0, 0, &server), 0);
  ExampleConfig ex;
  const pid_t child = test::spawn([&] {
    rtipc_group* g = nullptr;
    const int r = rtipc_client_connect(path.c_str(), &ex.config, 5000, &g);
    return r == -RTIPC_EREJECTED && g == nullptr ? 0 : 1;
  });
  Seen seen;
  seen.verdict = 0;
  test::LogCapture log;
  const int fds_before = test::open_fd_count();
  rtipc_group* group = nullptr;
  EXPECT_EQ(rtipc_server_accept(server, 10000, record_filter, &seen, 0, &group), -RTIPC_EREJECTED);
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
  ASSERT_EQ(rtipc_server_create(path.c_str(), 0, 0, &server), 0);
  ExampleConfig ex;
  for (uint8_t i = 0; i < 5; ++i) {
    const pid_t child = test::spawn([&] { return client_exchange(path, ex.config, i * 10); });
    rtipc_group* group = nullptr;
    ASSERT_EQ(rtipc_server_accept(server, 10000, nullptr, nullptr, 0, &group), 0);
    server_exchange(group, i * 10);
    EXPECT_EQ(test::reap(child), 0) << "client " << int(i);
    rtipc_group_destroy(group);
  }
  rtipc_server_destroy(server);
}

TEST_F(Handshake, ClientsConnectingAtOnce) {
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), 0, 0, &server), 0);
  constexpr int kClients = 8;
  std::vector<pid_t> children;
  for (int i = 0; i < kClients; ++i) {
    children.push_back(test::spawn([&, i] {
      // One producer whose message says who we are.
      rtipc_channel_config c = channel(sizeof(int), 0, true);
      rtipc_group_config config{};
      config.producers = &c;
      config.producer_count = 1;
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
    ASSERT_EQ(rtipc_server_accept(server, 10000, nullptr, nullptr, 0, &group), 0);
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
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), 0, 0, &server), 0);
  ExampleConfig ex;
  test::Pipe ready;
  std::vector<pid_t> children;
  for (int i = 0; i < 3; ++i) {
    children.push_back(test::spawn([&] {
      ::close(rtipc_server_fd(server));  // inherited: it would keep the queue alive
      ready.put();
      rtipc_group* g = nullptr;
      const int r = rtipc_client_connect(path.c_str(), &ex.config, -1, &g);
      // Pending when the server went: reset or hung up on. Too late: gone.
      return r == -ECONNRESET || r == -RTIPC_EREJECTED || r == -ENOENT || r == -ECONNREFUSED ? 0
                                                                                             : 1;
    }));
  }
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
  ASSERT_EQ(rtipc_server_create(path.c_str(), 0, 0, &server), 0);
  const pid_t child = test::spawn([&] { return client_exchange(path, ex.config, 1); });
  rtipc_group* group = nullptr;
  ASSERT_EQ(rtipc_server_accept(server, 10000, nullptr, nullptr, 0, &group), 0);
  server_exchange(group, 1);
  EXPECT_EQ(test::reap(child), 0);
  rtipc_group_destroy(group);
  rtipc_server_destroy(server);
  struct stat st;
  EXPECT_NE(::lstat(path.c_str(), &st), 0);  // removed by destroy
}

TEST_F(Handshake, LiveServerKeepsItsPath) {
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), 0, 0600, &server), 0);
  struct stat st;
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  rtipc_server* second = nullptr;
  {
    test::LogCapture quiet(RTIPC_LOG_NONE);
    EXPECT_EQ(rtipc_server_create(path.c_str(), 0, 0, &second), -EADDRINUSE);
  }
  EXPECT_EQ(second, nullptr);
  // The first still serves, and its next client is a real one (the probe
  // connection of the failed create is skipped).
  ExampleConfig ex;
  const pid_t child = test::spawn([&] { return client_exchange(path, ex.config, 3); });
  rtipc_group* group = nullptr;
  ASSERT_EQ(rtipc_server_accept(server, 10000, nullptr, nullptr, 0, &group), 0);
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
    EXPECT_EQ(rtipc_server_create(path.c_str(), 0, 0, &server), -EEXIST);
    EXPECT_EQ(rtipc_server_create(std::string(200, 'x').c_str(), 0, 0, &server), -ENAMETOOLONG);
    EXPECT_EQ(rtipc_server_create(dir.path("nodir/s").c_str(), 0, 0, &server), -ENOENT);
  }
  struct stat st;
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, 8);
}

TEST_F(Handshake, DestroyLeavesAReplacementAlone) {
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), 0, 0, &server), 0);
  ASSERT_EQ(::unlink(path.c_str()), 0);
  FILE* f = std::fopen(path.c_str(), "w");  // someone else's file now
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  rtipc_server_destroy(server);
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0);
}

TEST_F(Handshake, AcceptTimesOutWithoutAClient) {
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), 0, 0, &server), 0);
  rtipc_group* group = nullptr;
  EXPECT_EQ(rtipc_server_accept(server, 0, nullptr, nullptr, 0, &group), -ETIMEDOUT);
  EXPECT_EQ(rtipc_server_accept(server, 50, nullptr, nullptr, 0, &group), -ETIMEDOUT);
  EXPECT_EQ(group, nullptr);
  pollfd p = {rtipc_server_fd(server), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0);
  rtipc_server_destroy(server);
}

TEST_F(Handshake, ClientTimesOutWhenTheServerNeverAnswers) {
  rtipc_server* server;
  ASSERT_EQ(rtipc_server_create(path.c_str(), 0, 0, &server), 0);
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
  rtipc_group* group = nullptr;
  ASSERT_EQ(rtipc_server_accept_socket(sv[0], 5000, record_filter, &seen, 0, &group), 0);
  EXPECT_EQ(seen.peer.pid, ::getpid());  // socketpair: the creator's credentials
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
    rtipc_group_config config{};
    config.producers = channels.data();
    config.producer_count = count;
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    const pid_t child = test::spawn([&] {
      rtipc_group* g = nullptr;
      return rtipc_server_accept_socket(sv[0], 5000, nullptr, nullptr, 0, &g) == 0 &&
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
