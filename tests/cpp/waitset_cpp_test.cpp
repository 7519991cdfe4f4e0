// rtipc::Waitset and rtipc::Notifier as a C++ program uses them: a million
// pushes through a notifier without a lost wake-up, a peer killed while the
// waitset sleeps, a wait ended by a cancel descriptor and one ended by a
// signal (EINTR, the C++ policy), and a one-second blocked wait that costs
// at most two voluntary context switches of the waiting thread.
#include <gtest/gtest.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <fstream>
#include <rtipc/rtipc.hpp>
#include <string>
#include <thread>

namespace {

static_assert(!std::is_copy_constructible_v<rtipc::Waitset>);
static_assert(std::is_nothrow_move_constructible_v<rtipc::Notifier>);

rtipc::GroupConfig one_way(std::uint32_t add_msgs) {
  return rtipc::GroupConfig().producer(
      rtipc::ChannelConfig(sizeof(std::uint64_t)).add_msgs(add_msgs).eventfd(true));
}

struct Pair {
  rtipc::Group client, server;
};

Pair connect_pair(const rtipc::GroupConfig& config) {
  int sv[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  rtipc::result<rtipc::Group> accepted = rtipc::unexpected(rtipc::error(EINVAL, "not run"));
  std::thread t([&] { accepted = rtipc::Group::accept_socket(sv[1], {}, 5000); });
  auto connected = rtipc::Group::connect_socket(sv[0], config, 5000);
  t.join();
  close(sv[0]);
  close(sv[1]);
  EXPECT_TRUE(connected && accepted);
  if (!connected || !accepted) return {};
  return {std::move(*connected), std::move(*accepted)};
}

long voluntary_switches() {
  std::ifstream f("/proc/thread-self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("voluntary_ctxt_switches:", 0) == 0) return std::stol(line.substr(24));
  return -1;
}

// Whether thread tid of this process sleeps in the kernel (state S).
bool sleeping(pid_t tid) {
  std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'S';
}

void wait_until_sleeping(pid_t tid) {
  while (!sleeping(tid)) std::this_thread::yield();
}

TEST(CppWaitset, AMillionPushesThroughANotifierLoseNoWakeUp) {
  constexpr std::uint64_t count = 1000000;
  Pair p = connect_pair(one_way(61));
  auto producer = p.client.take_producer<std::uint64_t>(0);
  auto consumer = p.server.take_consumer<std::uint64_t>(0);
  ASSERT_TRUE(producer && consumer);
  auto notifier = rtipc::Notifier::create();
  ASSERT_TRUE(notifier) << notifier.error().message();
  auto ws = rtipc::Waitset::create();
  ASSERT_TRUE(ws);
  ASSERT_TRUE(ws->add(*consumer, 7));

  std::thread push([&] {
    ASSERT_TRUE(producer->set_notifier(&*notifier));
    EXPECT_EQ(producer->notify_mode().value_or(99), notifier->mode());
    for (std::uint64_t i = 1; i <= count;) {
      producer->msg() = i;
      auto r = producer->try_produce();
      ASSERT_TRUE(r);
      if (*r == rtipc::Produced::queue_full)
        std::this_thread::yield();
      else
        i++;
    }
  });
  std::uint64_t last = 0;
  while (last < count) {
    auto r = consumer->consume();
    ASSERT_TRUE(r);
    if (rtipc::is_new(*r)) {
      ASSERT_EQ(consumer->msg(), last + 1);
      last++;
      continue;
    }
    auto ready = ws->wait(10000);
    ASSERT_TRUE(ready) << ready.error().message();
    ASSERT_FALSE(ready->empty()) << "lost wake-up after message " << last;
    for (const rtipc_waitset_event& e : *ready) {
      EXPECT_EQ(e.key, 7u);
      EXPECT_TRUE(e.ready & RTIPC_READY_MESSAGE);
    }
  }
  push.join();
  EXPECT_TRUE(ws->remove(*consumer));
}

TEST(CppWaitset, APeerKilledWhileWaitingIsReported) {
  std::string path = "/tmp/rtipc-cpp-ws-" + std::to_string(getpid()) + ".sock";
  auto server = rtipc::Server::create(path);
  ASSERT_TRUE(server);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto g = rtipc::connect(path, one_way(0), 5000);
    if (!g) _exit(1);
    pause();
    _exit(0);
  }
  auto group = server->accept(5000);
  ASSERT_TRUE(group) << group.error().message();
  auto consumer = group->take_consumer(0);
  ASSERT_TRUE(consumer);
  auto ws = rtipc::Waitset::create();
  ASSERT_TRUE(ws && ws->add(*consumer, 1));
  pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
  std::thread killer([&] {
    wait_until_sleeping(tid);
    kill(pid, SIGKILL);
  });
  auto ready = ws->wait(10000);
  killer.join();
  ASSERT_TRUE(ready) << ready.error().message();
  ASSERT_EQ(ready->size(), 1u);
  EXPECT_EQ((*ready)[0].key, 1u);
  EXPECT_EQ((*ready)[0].ready, RTIPC_READY_PEER_GONE);
  int status = 0;
  waitpid(pid, &status, 0);
}

TEST(CppWaitset, ACancelDescriptorEndsTheWait) {
  Pair p = connect_pair(one_way(0));
  auto consumer = p.server.take_consumer(0);
  ASSERT_TRUE(consumer);
  int cancel = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  auto ws = rtipc::Waitset::create();
  ASSERT_TRUE(ws && ws->add(*consumer, 1) && ws->add_fd(cancel, POLLIN, 2));
  pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
  std::thread canceller([&] {
    wait_until_sleeping(tid);
    std::uint64_t one = 1;
    EXPECT_EQ(write(cancel, &one, sizeof one), 8);
  });
  auto ready = ws->wait(10000);
  canceller.join();
  ASSERT_TRUE(ready);
  ASSERT_EQ(ready->size(), 1u);
  EXPECT_EQ((*ready)[0].key, 2u);
  EXPECT_EQ((*ready)[0].ready, RTIPC_READY_FD);
  EXPECT_TRUE((*ready)[0].revents & POLLIN);
  EXPECT_TRUE(ws->remove_fd(cancel));
  close(cancel);
}

void on_signal(int) {}

TEST(CppWaitset, ASignalHandlerEndsTheWaitWithEintr) {
  struct sigaction sa = {};
  sa.sa_handler = on_signal;  // no SA_RESTART
  struct sigaction old = {};
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
  auto ws = rtipc::Waitset::create();
  ASSERT_TRUE(ws);
  pthread_t self = pthread_self();
  pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
  std::thread signaller([&] {
    wait_until_sleeping(tid);
    pthread_kill(self, SIGUSR1);
  });
  auto ready = ws->wait(10000);
  signaller.join();
  sigaction(SIGUSR1, &old, nullptr);
  ASSERT_FALSE(ready);
  EXPECT_EQ(ready.error().code(), EINTR);
}

TEST(CppWaitset, ABlockedSecondCostsAtMostTwoVoluntarySwitches) {
  Pair p = connect_pair(one_way(0));
  auto consumer = p.server.take_consumer(0);
  auto ws = rtipc::Waitset::create();
  ASSERT_TRUE(consumer && ws && ws->add(*consumer, 1));
  long before = voluntary_switches();
  auto ready = ws->wait(1000);
  long after = voluntary_switches();
  ASSERT_TRUE(ready);
  EXPECT_TRUE(ready->empty());
  ASSERT_GE(before, 0);
  EXPECT_LE(after - before, 2);
}

TEST(CppNotifier, DirectModeOrIoUringAndDetach) {
  Pair p = connect_pair(one_way(0));
  auto producer = p.client.take_producer(0);
  ASSERT_TRUE(producer);
  auto n = rtipc::Notifier::create();
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->mode() == RTIPC_NOTIFY_DIRECT || n->mode() == RTIPC_NOTIFY_IO_URING);
  ASSERT_TRUE(producer->set_notifier(&*n));
  EXPECT_EQ(producer->notify_mode().value_or(99), n->mode());
  ASSERT_TRUE(producer->set_notifier(nullptr));
  EXPECT_EQ(producer->notify_mode().value_or(99), RTIPC_NOTIFY_DIRECT);
}

}  // namespace
