// What the waitset tests share: channel pairs in one process, a forked
// producing peer joined by the real handshake, the backends and producer
// modes under test, and whether this kernel lets us use io_uring.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "rtipc/rtipc.h"

namespace wstest {

// Whether the library under test was built with io_uring (meson passes it).
#ifndef WAITSET_TEST_IO_URING
#define WAITSET_TEST_IO_URING 0
#endif
inline constexpr bool kBuiltWithIoUring = WAITSET_TEST_IO_URING;

// Why io_uring cannot be tested here, or "" when it can: the kernel's
// answer to a notifier (SQPOLL) that insists on io_uring.
inline std::string io_uring_refusal() {
  if (!kBuiltWithIoUring) return "built with -Dio_uring=disabled";
  rtipc_notifier_config c = RTIPC_NOTIFIER_CONFIG_INIT;
  c.flags = RTIPC_NOTIFIER_REQUIRE;
  rtipc_notifier* n = nullptr;
  const int r = rtipc_notifier_create(&c, &n);
  rtipc_notifier_destroy(n);
  if (r == 0) return "";
  std::string why = std::string("the kernel refuses io_uring: ") + rtipc_last_error();
  if (FILE* f = std::fopen("/proc/sys/kernel/io_uring_disabled", "r")) {
    int v = -1;
    if (std::fscanf(f, "%d", &v) == 1)
      why += " (kernel.io_uring_disabled = " + std::to_string(v) + ")";
    std::fclose(f);
  }
  return why;
}

inline rtipc_waitset* make_waitset(unsigned backend, uint32_t spin_ns = 0) {
  rtipc_waitset_config c = RTIPC_WAITSET_CONFIG_INIT;
  c.backend = backend;
  c.flags = RTIPC_WAITSET_REQUIRE;
  c.spin_ns = spin_ns;
  rtipc_waitset* ws = nullptr;
  EXPECT_EQ(rtipc_waitset_create(&c, &ws), 0) << rtipc_last_error();
  return ws;
}

inline const char* backend_name(unsigned b) {
  return b == RTIPC_WAITSET_IO_URING ? "io_uring" : "epoll";
}

// Skips the current test when it needs io_uring and cannot have it.
#define SKIP_WITHOUT_IO_URING(needed)                       \
  do {                                                      \
    if (needed) {                                           \
      const std::string why = ::wstest::io_uring_refusal(); \
      if (!why.empty()) GTEST_SKIP() << why;                \
    }                                                       \
  } while (0)

// n channels with eventfds, both ends in this process (no handshake, no
// peer): the client produces, the server built from its request consumes.
struct LocalPairs {
  rtipc_group* client = nullptr;
  rtipc_group* server = nullptr;
  std::vector<rtipc_producer*> producers;
  std::vector<rtipc_consumer*> consumers;

  explicit LocalPairs(uint32_t n, uint32_t flags = RTIPC_CHANNEL_EVENTFD, uint32_t add_msgs = 0) {
    std::vector<rtipc_channel_config> ch(n);
    for (auto& c : ch) {
      c = RTIPC_CHANNEL_CONFIG_INIT;
      c.flags = flags;
      c.msg_size = 16;
      c.add_msgs = add_msgs;
    }
    rtipc_group_config g = RTIPC_GROUP_CONFIG_INIT;
    g.producers = ch.data();
    g.producer_count = n;
    EXPECT_EQ(rtipc_group_create(&g, &client), 0) << rtipc_last_error();
    if (!client) return;
    std::vector<char> req(static_cast<size_t>(rtipc_group_request(client, nullptr, 0)));
    rtipc_group_request(client, req.data(), req.size());
    std::vector<int> fds(static_cast<size_t>(rtipc_group_fds(client, nullptr, 0)));
    rtipc_group_fds(client, fds.data(), fds.size());
    for (int& fd : fds) fd = ::dup(fd);
    EXPECT_EQ(
        rtipc_group_from_request(req.data(), req.size(), fds.data(), fds.size(), nullptr, &server),
        0)
        << rtipc_last_error();
    if (!server) return;
    producers.resize(n);
    consumers.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      EXPECT_EQ(rtipc_group_take_producer(client, i, &producers[i]), 0);
      EXPECT_EQ(rtipc_group_take_consumer(server, i, &consumers[i]), 0);
    }
  }
  ~LocalPairs() {
    for (auto* p : producers) rtipc_producer_destroy(p);
    for (auto* c : consumers) rtipc_consumer_destroy(c);
    rtipc_group_destroy(client);
    rtipc_group_destroy(server);
  }
  LocalPairs(const LocalPairs&) = delete;
  LocalPairs& operator=(const LocalPairs&) = delete;
};

inline int push(rtipc_producer* p, uint64_t value, unsigned mode = RTIPC_PRODUCE_FORCE) {
  auto* msg = static_cast<uint64_t*>(rtipc_producer_msg(p));
  msg[0] = value;
  msg[1] = ~value;
  return rtipc_produce(p, mode);
}

// A forked client that produces n eventfd channels (add_msgs extra slots)
// to us, the server: body runs in the child with its producers, and the
// child exits with body's result. The parent holds the consumers and the
// group (its peer pidfd names the child). A guard alarm ends a hung child.
class RemoteProducer {
 public:
  RemoteProducer(uint32_t n, uint32_t add_msgs,
                 const std::function<int(std::vector<rtipc_producer*>&)>& body,
                 unsigned guard_s = 60) {
    char dir[] = "/tmp/rtipc-ws-XXXXXX";
    if (!::mkdtemp(dir)) return;
    dir_ = dir;
    path_ = dir_ + "/s";
    rtipc_server* server = nullptr;
    EXPECT_EQ(rtipc_server_create(path_.c_str(), nullptr, &server), 0) << rtipc_last_error();
    if (!server) return;
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::alarm(guard_s);
      rtipc_server_destroy(server);
      std::vector<rtipc_channel_config> ch(n);
      for (auto& c : ch) {
        c = RTIPC_CHANNEL_CONFIG_INIT;
        c.flags = RTIPC_CHANNEL_EVENTFD;
        c.msg_size = 16;
        c.add_msgs = add_msgs;
      }
      rtipc_group_config g = RTIPC_GROUP_CONFIG_INIT;
      g.producers = ch.data();
      g.producer_count = n;
      rtipc_group* group = nullptr;
      if (rtipc_client_connect(path_.c_str(), &g, 10000, &group) != 0) ::_exit(90);
      std::vector<rtipc_producer*> prods(n);
      for (uint32_t i = 0; i < n; ++i)
        if (rtipc_group_take_producer(group, i, &prods[i]) != 0) ::_exit(91);
      const int rc = body(prods);
      for (auto* p : prods) rtipc_producer_destroy(p);
      rtipc_group_destroy(group);
      ::_exit(rc);
    }
    EXPECT_EQ(rtipc_server_accept(server, 10000, &group_), 0) << rtipc_last_error();
    rtipc_server_destroy(server);
    if (!group_) return;
    consumers_.resize(n);
    for (uint32_t i = 0; i < n; ++i)
      EXPECT_EQ(rtipc_group_take_consumer(group_, i, &consumers_[i]), 0);
  }
  ~RemoteProducer() {
    if (pid_ > 0 && !joined_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    for (auto* c : consumers_) rtipc_consumer_destroy(c);
    rtipc_group_destroy(group_);
    if (!dir_.empty()) ::rmdir(dir_.c_str());
  }
  RemoteProducer(const RemoteProducer&) = delete;
  RemoteProducer& operator=(const RemoteProducer&) = delete;

  bool ok() const { return group_ && pid_ > 0; }
  pid_t pid() const { return pid_; }
  rtipc_group* group() const { return group_; }
  std::vector<rtipc_consumer*>& consumers() { return consumers_; }
  // The child's exit code, or 128 + signal.
  int join() {
    int status = 0;
    joined_ = true;
    if (::waitpid(pid_, &status, 0) != pid_) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  std::string dir_, path_;
  pid_t pid_ = -1;
  bool joined_ = false;
  rtipc_group* group_ = nullptr;
  std::vector<rtipc_consumer*> consumers_;
};

// xorshift64: cheap randomness without system calls.
inline uint64_t next_random(uint64_t* s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

// A pause of random length: mostly nothing or a short spin, sometimes a
// yield or a sleep of up to 200 us, so that each side is sometimes found
// asleep and sometimes busy.
inline void random_pause(uint64_t* s) {
  const uint64_t r = next_random(s);
  switch (r % 16) {
    case 0:
      ::usleep(static_cast<useconds_t>((r >> 8) % 200));
      break;
    case 1:
    case 2:
      sched_yield();
      break;
    case 3:
    case 4:
    case 5:
      for (uint64_t k = (r >> 8) % 2000; k > 0; --k) asm volatile("" ::: "memory");
      break;
    default:
      break;
  }
}

}  // namespace wstest
