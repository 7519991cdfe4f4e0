// Two processes, one channel, millions of messages (docs/protocol.md §7.4): the
// parent creates the group as a client and sends it over a socketpair, the
// forked child adopts it as the server. Every message carries a sequence
// number; the consumer checks order, that every skip is reported as a gap and
// nothing else is, and that it never reads a half-written slot.
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fdpass.h"
#include "group.hpp"

namespace rtipc {
namespace {

struct Message {
  uint64_t seq;
  uint64_t check;  // ~seq: a torn read shows as a mismatch
};
static_assert(sizeof(Message) == 16);

struct Report {
  uint64_t received = 0;    // messages popped, sentinel included
  uint64_t skipped = 0;     // sequence numbers never seen
  uint64_t gaps = 0;        // pops that reported kNewAfterGap
  uint64_t wrong_kind = 0;  // kNew on a jump or kNewAfterGap on +1
  uint64_t out_of_order = 0;
  uint64_t torn = 0;
  uint64_t errors = 0;  // kError
  uint64_t last = 0;
};

struct Tally {
  uint64_t discards = 0;
  uint64_t fulls = 0;
  uint64_t errors = 0;
};

struct Stream {
  bool force;
  uint32_t add_msgs;
  uint64_t count;               // messages before the sentinel
  bool child_produces = false;  // the server side (adopt) is the producer
  bool latest = false;          // the consumer jumps to the newest message
};

// The peer is gone (or talks when it should not): stop spinning.
bool peer_hung_up(int sock) {
  pollfd p{sock, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

// Spins briefly, then gives the CPU away: on a machine with fewer free cores
// than spinning processes, pure spinning would stall the peer for a whole
// time slice.
void back_off(uint32_t* idle) {
  if (++*idle % 64 == 0) ::sched_yield();
}

// Pops until the sentinel (count + 1) arrives. False if the peer went away.
bool consume(Consumer& consumer, const Stream& stream, int sock, Report* report) {
  const uint64_t sentinel = stream.count + 1;
  uint32_t idle = 0;
  while (report->last != sentinel) {
    const PopResult r = consumer.pop(stream.latest);
    if (r == PopResult::kNew || r == PopResult::kNewAfterGap) {
      Message m;
      std::memcpy(&m, consumer.msg(), sizeof m);
      ++report->received;
      if (m.check != ~m.seq) ++report->torn;
      if (m.seq <= report->last) {
        ++report->out_of_order;
      } else {
        const bool jump = m.seq != report->last + 1;
        report->skipped += m.seq - report->last - 1;
        report->gaps += r == PopResult::kNewAfterGap;
        if (jump != (r == PopResult::kNewAfterGap)) ++report->wrong_kind;
      }
      report->last = m.seq;
      if (m.seq > sentinel) break;
    } else if (r == PopResult::kError) {
      ++report->errors;
      break;
    } else {
      back_off(&idle);
      if (idle % (1u << 16) == 0 && peer_hung_up(sock)) return false;
    }
  }
  return true;
}

// Pushes 1 .. count + 1. False if the peer went away.
bool produce(Producer& producer, const Stream& stream, int sock, Tally* tally) {
  uint32_t idle = 0;
  for (uint64_t seq = 1; seq <= stream.count + 1; ++seq) {
    // A forced push never waits, so without an occasional yield the producer
    // could finish before a consumer on a busy machine even gets a core.
    if (stream.force && seq % 1000 == 0) ::sched_yield();
    const Message m{seq, ~seq};
    std::memcpy(producer.msg(), &m, sizeof m);
    for (;;) {
      const PushResult r = producer.push(stream.force);
      if (r == PushResult::kPublished) break;
      if (r == PushResult::kDiscarded) {
        ++tally->discards;
        break;
      }
      if (r == PushResult::kError) {
        ++tally->errors;
        break;
      }
      ++tally->fulls;
      back_off(&idle);
      if (idle % (1u << 16) == 0 && peer_hung_up(sock)) return false;
    }
  }
  return true;
}

// The child: adopts the group from what came over the socket, runs its end
// of the stream and sends back what it counted. Returns its exit status.
int child(int sock, const Stream& stream) {
  std::vector<std::byte> request(kMaxRequestSize);
  std::vector<int> raw(FDPASS_MAX_FDS);
  size_t nfds = 0;
  const ssize_t n =
      fdpass_recv(sock, request.data(), request.size(), raw.data(), raw.size(), &nfds);
  std::vector<UniqueFd> fds;
  for (size_t i = 0; i < nfds; ++i) fds.emplace_back(raw[i]);
  if (n <= 0) return 10;
  request.resize(static_cast<size_t>(n));
  auto group = Group::adopt(decode_request(request), std::move(fds), {});
  if (group->role() != Group::Role::kServer) return 11;
  if (group->producer_count() != (stream.child_produces ? 1u : 0u)) return 11;
  if (group->consumer_count() != (stream.child_produces ? 0u : 1u)) return 11;
  const int32_t ready = 0;
  if (::send(sock, &ready, sizeof ready, MSG_NOSIGNAL) != sizeof ready) return 12;

  if (stream.child_produces) {
    auto producer = group->take_producer(0);
    if (producer->msg_size() != sizeof(Message)) return 13;
    Tally tally;
    if (!produce(*producer, stream, sock, &tally)) return 14;
    if (::send(sock, &tally, sizeof tally, MSG_NOSIGNAL) != sizeof tally) return 15;
  } else {
    auto consumer = group->take_consumer(0);
    if (consumer->msg_size() != sizeof(Message) || consumer->msg() != nullptr) return 13;
    Report report;
    if (!consume(*consumer, stream, sock, &report)) return 14;
    if (::send(sock, &report, sizeof report, MSG_NOSIGNAL) != sizeof report) return 15;
  }
  return 0;
}

// Reaps the child on every way out of the test; kills it first if the test
// gave up before the child finished.
class ChildProcess {
 public:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  ~ChildProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Waits for the child to end; returns its wait status, or -1.
  int wait() {
    int status = 0;
    const pid_t got = ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return got < 0 ? -1 : status;
  }

 private:
  pid_t pid_;
};

class TwoProcesses : public testing::TestWithParam<Stream> {};

TEST_P(TwoProcesses, EveryMessageArrivesInOrderOrIsReportedSkipped) {
  const Stream stream = GetParam();
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(sv[0]);
    int status;
    try {
      status = child(sv[1], stream);
    } catch (...) {
      status = 20;
    }
    ::_exit(status);
  }
  ChildProcess child_process(pid);
  ::close(sv[1]);
  UniqueFd sock(sv[0]);

  GroupSpec spec;
  spec.cacheline = 64;
  const ChannelSpec channel{sizeof(Message), stream.add_msgs, false, {}};
  (stream.child_produces ? spec.client_consumes : spec.client_produces) = {channel};
  auto group = Group::create(spec, {});
  const std::vector<std::byte> request = group->request();
  const std::vector<int> fds = group->fds();
  ASSERT_EQ(fdpass_send(sock.get(), request.data(), request.size(), fds.data(), fds.size()), 0);
  int32_t ready = -1;
  ASSERT_EQ(::recv(sock.get(), &ready, sizeof ready, 0), static_cast<ssize_t>(sizeof ready));
  ASSERT_EQ(ready, 0);

  Report report;
  Tally tally;
  bool peer_stayed;
  ssize_t got;
  if (stream.child_produces) {
    auto consumer = group->take_consumer(0);
    group.reset();  // the consumer keeps the mapping alive on its own
    peer_stayed = consume(*consumer, stream, sock.get(), &report);
    got = ::recv(sock.get(), &tally, sizeof tally, 0);
  } else {
    auto producer = group->take_producer(0);
    group.reset();
    peer_stayed = produce(*producer, stream, sock.get(), &tally);
    got = ::recv(sock.get(), &report, sizeof report, 0);
  }
  const int status = child_process.wait();
  ASSERT_NE(status, -1);
  ASSERT_TRUE(WIFEXITED(status)) << "child died with signal " << WTERMSIG(status);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  ASSERT_TRUE(peer_stayed);
  ASSERT_EQ(got, static_cast<ssize_t>(stream.child_produces ? sizeof tally : sizeof report));

  EXPECT_EQ(tally.errors, 0u);
  EXPECT_EQ(report.errors, 0u);
  EXPECT_EQ(report.torn, 0u);
  EXPECT_EQ(report.out_of_order, 0u);
  EXPECT_EQ(report.wrong_kind, 0u);
  EXPECT_EQ(report.last, stream.count + 1);  // the newest message is never dropped
  EXPECT_EQ(report.received + report.skipped, stream.count + 1);
  if (stream.latest) {
    EXPECT_GE(report.skipped, tally.discards);  // flushes drop messages on top
  } else {
    EXPECT_EQ(report.skipped, tally.discards);  // every discard is one message, and reported
  }
  if (stream.force) {
    EXPECT_EQ(tally.fulls, 0u);
    if (stream.add_msgs == 0) {
      EXPECT_GT(tally.discards, 0u);  // a 3-slot queue does overflow
    }
  } else {
    EXPECT_EQ(tally.discards, 0u);
    if (!stream.latest) {
      EXPECT_EQ(report.received, stream.count + 1);
      EXPECT_EQ(report.gaps, 0u);
    }
  }
  std::printf("received %llu, discarded %llu, gaps %llu, queue full %llu times\n",
              static_cast<unsigned long long>(report.received),
              static_cast<unsigned long long>(tally.discards),
              static_cast<unsigned long long>(report.gaps),
              static_cast<unsigned long long>(tally.fulls));
}

std::string name(const testing::TestParamInfo<Stream>& info) {
  const Stream& s = info.param;
  return std::string(s.child_produces ? "ServerProduces" : "ClientProduces") +
         (s.force ? "Force" : "Try") + (s.latest ? "Latest" : "Next") + "AddMsgs" +
         std::to_string(s.add_msgs);
}

INSTANTIATE_TEST_SUITE_P(TenMillion, TwoProcesses,
                         testing::Values(Stream{true, 100, 10'000'000},
                                         Stream{false, 100, 10'000'000},
                                         Stream{true, 0, 10'000'000},
                                         // Every push waits for a pop: slower.
                                         Stream{false, 0, 1'000'000}),
                         name);

INSTANTIATE_TEST_SUITE_P(OtherWays, TwoProcesses,
                         testing::Values(Stream{true, 0, 2'000'000, true},
                                         Stream{false, 100, 2'000'000, true},
                                         Stream{true, 12, 2'000'000, false, true},
                                         Stream{false, 0, 200'000, true, true}),
                         name);

}  // namespace
}  // namespace rtipc
