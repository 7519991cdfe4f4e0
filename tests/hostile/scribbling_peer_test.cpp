// A hostile peer: after a successful handshake it maps the shared memfd
// itself and, in a loop, scribbles over every index (tail, head, chain) with
// random and adversarial values, flips the CONSUMED and FIRST bits, fills
// slots with garbage, floods or drains the eventfds and tries to shrink or
// grow the region (the seals must stop it). Meanwhile this process runs a
// bounded number of produce/consume/wait calls on its side of the same
// group. Every call must return an error (-EPROTO) or a valid result, every
// message pointer must lie on a slot of its own channel (computed from the
// layout here, not by the library), nothing may crash or raise SIGBUS, and a
// second, healthy group in this process keeps working throughout.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

#include "../reliability/pair.hpp"

namespace reliability {
namespace {

constexpr int kGuardMs = 20000;  // hang guard only
constexpr uint32_t kConsumed = 0x80000000, kFirst = 0x40000000, kInvalid = 0xFFFFFFFF;

struct Rng {
  uint64_t s;
  uint32_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<uint32_t>(s >> 11);
  }
  uint32_t below(uint32_t n) { return next() % n; }
};

// The victim's group, in its own terms: channels of several shapes, with
// and without eventfds, both directions.
Config victim_config() {
  Config c;
  c.producers = {test::channel(24, 2, true), test::channel(8, 0, false)};
  c.consumers = {test::channel(40, 5, true), test::channel(64, 13, true),
                 test::channel(1, 0, false)};
  return c;
}

// ---- The hostile side. ----

constexpr uint32_t kAdversarial = 16;
uint32_t adversarial(uint32_t n, uint32_t i) {
  const std::array<uint32_t, kAdversarial> v = {kInvalid,   kConsumed,
                                                kFirst,     kConsumed | kFirst,
                                                0x3FFFFFFF, 0x7FFFFFFF,
                                                0xBFFFFFFF, 0,
                                                n - 1,      n,
                                                n + 1,      n | kConsumed,
                                                n | kFirst, (n - 1) | kConsumed | kFirst,
                                                0xFFFFFFFE, 1u << 29};
  return v[i % kAdversarial];
}

// Every pattern the scribbler applies; kPatterns is reported in the docs.
constexpr uint32_t kPatterns = 20;

struct Scribbler {
  std::byte* base;
  std::vector<ChannelPlace> places;
  std::vector<int> eventfds;  // this side's copies
  int memfd;
  size_t total;
  Rng rng{0x5EED5EED12345678ull};

  uint32_t* words(const ChannelPlace& p) { return reinterpret_cast<uint32_t*>(base + p.offset); }
  // Relaxed atomic stores: the victim reads these concurrently.
  static void put(uint32_t* w, uint32_t v) { __atomic_store_n(w, v, __ATOMIC_RELAXED); }
  static uint32_t get(uint32_t* w) { return __atomic_load_n(w, __ATOMIC_RELAXED); }

  // Shrinking, growing or write-sealing the region must all fail.
  bool seals_hold() {
    return ::ftruncate(memfd, static_cast<off_t>(total / 2)) < 0 && errno == EPERM &&
           ::ftruncate(memfd, static_cast<off_t>(total * 2)) < 0 && errno == EPERM &&
           ::ftruncate(memfd, 0) < 0 && errno == EPERM &&
           ::fallocate(memfd, 0, 0, static_cast<off_t>(total * 4)) < 0 && errno == EPERM &&
           ::fcntl(memfd, F_ADD_SEALS, F_SEAL_WRITE) < 0;
  }

  void apply(uint32_t pattern) {
    const ChannelPlace& p = places[rng.below(static_cast<uint32_t>(places.size()))];
    uint32_t* w = words(p);
    const uint32_t n = p.slots, count = 2 + n;
    uint32_t* tail = &w[0];
    uint32_t* head = &w[1];
    uint32_t* chain = &w[2];
    switch (pattern) {
      case 0:
        put(&w[rng.below(count)], rng.next());
        break;
      case 1:
        for (uint32_t i = 0; i < count; ++i) put(&w[i], rng.next());
        break;
      case 2:
        put(tail, adversarial(n, rng.next()));
        break;
      case 3:
        put(head, adversarial(n, rng.next()));
        break;
      case 4:
        put(&chain[rng.below(n)], adversarial(n, rng.next()));
        break;
      case 5:
        for (uint32_t i = 0; i < n; ++i) put(&chain[i], adversarial(n, rng.next()));
        break;
      case 6:
        __atomic_fetch_xor(tail, kConsumed, __ATOMIC_RELAXED);
        break;
      case 7:
        __atomic_fetch_xor(tail, kFirst, __ATOMIC_RELAXED);
        break;
      case 8:
        for (uint32_t i = 0; i < n; ++i) put(&chain[i], i);
        break;  // self loops
      case 9:
        for (uint32_t i = 0; i < n; ++i) put(&chain[i], (i + n - 1) % n);
        break;
      case 10:
        for (uint32_t i = 0; i < count; ++i) put(&w[i], 0);
        break;
      case 11:
        for (uint32_t i = 0; i < count; ++i) put(&w[i], kInvalid);
        break;
      case 12:  // the valid initial state: lets the victim make progress again
        for (uint32_t i = 0; i < n; ++i) put(&chain[i], (i + 1) % n);
        put(head, kInvalid);
        put(tail, kInvalid);
        break;
      case 13:  // a valid first publish of slot 0
        put(&chain[0], kInvalid);
        put(head, 0);
        put(tail, kFirst);
        break;
      case 14:  // the tail flickering under the victim's CAS
        for (int i = 0; i < 64; ++i) __atomic_fetch_xor(tail, kConsumed, __ATOMIC_RELAXED);
        break;
      case 15:  // plausible-looking but inconsistent
        put(tail, rng.below(n) | (rng.below(2) ? kConsumed : 0));
        put(head, rng.below(n));
        for (uint32_t i = 0; i < n; ++i)
          put(&chain[i], rng.below(n + 1) == n ? kInvalid : rng.below(n));
        break;
      case 16: {  // garbage in the slots
        std::byte* s = base + p.slot_offset(0);
        for (size_t i = 0; i < n * p.stride; i += 8) {
          const uint64_t v = (uint64_t{rng.next()} << 32) | rng.next();
          std::memcpy(s + i, &v, std::min<size_t>(8, n * p.stride - i));
        }
        break;
      }
      case 17:  // flood every eventfd: the counter near its maximum
        for (int fd : eventfds) {
          const uint64_t huge = 0xFFFFFFFFFFFFFFFEull - 1;
          (void)!::write(fd, &huge, sizeof huge);
        }
        break;
      case 18:  // steal counts
        for (int fd : eventfds) {
          uint64_t v;
          for (int i = 0; i < 4; ++i) (void)!::read(fd, &v, sizeof v);
        }
        break;
      case 19:  // the head racing ahead of a valid chain
        put(head, (get(head) + 1) % n);
        break;
    }
  }
};

// The hostile child: handshake done by the library, then raw scribbling
// until killed. Reports on `status`: 'g' once it starts (seals held), 'F' if
// a seal ever gives way.
int scribble(rtipc_group* g, bool is_client, test::Pipe& status) {
  Scribbler s{};
  s.places = places(g, is_client, &s.total);
  const int nfds = rtipc_group_fds(g, nullptr, 0);
  std::vector<int> fds(static_cast<size_t>(nfds));
  rtipc_group_fds(g, fds.data(), fds.size());
  s.memfd = fds[0];
  s.eventfds.assign(fds.begin() + 1, fds.end());
  void* m = ::mmap(nullptr, s.total, PROT_READ | PROT_WRITE, MAP_SHARED, s.memfd, 0);
  if (m == MAP_FAILED) return 10;
  s.base = static_cast<std::byte*>(m);
  if (!s.seals_hold()) {
    status.put('F');
    return 11;
  }
  status.put('g');
  for (uint64_t round = 0;; ++round) {
    s.apply(static_cast<uint32_t>(round % kPatterns));
    if (round % 4096 == 0 && !s.seals_hold()) {
      status.put('F');
      return 12;
    }
  }
}

// ---- The victim side. ----

struct Tally {
  std::map<int, uint64_t> produce, consume, wait;
  uint64_t bad_pointers = 0, bad_results = 0;
};

class ScribblingPeer : public ::testing::TestWithParam<PeerRole> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    make_healthy_group();
  }
  void TearDown() override {
    rtipc_producer_destroy(healthy_p_);
    rtipc_consumer_destroy(healthy_c_);
  }

  // Two ends of one channel, both in this process.
  void make_healthy_group() {
    Config config;
    config.producers.push_back(test::channel(16, 1, true));
    const rtipc_group_config c = config.get();
    rtipc_group* client = nullptr;
    ASSERT_EQ(rtipc_group_create(&c, &client), 0);
    int fds[2];
    ASSERT_EQ(rtipc_group_fds(client, fds, 2), 2);
    char request[128];
    const int len = rtipc_group_request(client, request, sizeof request);
    const int dups[2] = {::fcntl(fds[0], F_DUPFD_CLOEXEC, 0), ::fcntl(fds[1], F_DUPFD_CLOEXEC, 0)};
    rtipc_group* server = nullptr;
    ASSERT_EQ(
        rtipc_group_from_request(request, static_cast<size_t>(len), dups, 2, nullptr, &server), 0);
    ASSERT_EQ(rtipc_group_take_producer(client, 0, &healthy_p_), 0);
    ASSERT_EQ(rtipc_group_take_consumer(server, 0, &healthy_c_), 0);
    rtipc_group_destroy(client);
    rtipc_group_destroy(server);
  }

  // One message through the healthy group, checked end to end.
  bool healthy_round_trip() {
    const uint64_t seq = ++healthy_seq_;
    std::memcpy(rtipc_producer_msg(healthy_p_), &seq, sizeof seq);
    if (rtipc_produce(healthy_p_, RTIPC_PRODUCE_TRY) != RTIPC_PUBLISHED) return false;
    if (rtipc_consumer_wait(healthy_c_, 0) != 1) return false;
    if (rtipc_consume(healthy_c_, RTIPC_CONSUME_NEXT) != RTIPC_NEW) return false;
    uint64_t got;
    std::memcpy(&got, rtipc_consumer_msg(healthy_c_), sizeof got);
    return got == seq;
  }

  test::TempDir dir_;
  rtipc_producer* healthy_p_ = nullptr;
  rtipc_consumer* healthy_c_ = nullptr;
  uint64_t healthy_seq_ = 0;
};

TEST_P(ScribblingPeer, ScribblingPeerNeverCrashesUs) {
  constexpr int kOps = 300000;
  const bool peer_is_client = GetParam() == PeerRole::kClient;
  test::Pipe status;
  rtipc_group* group = nullptr;
  const pid_t child = start_pair(
      dir_, GetParam(), victim_config(),
      [&](rtipc_group* g) { return scribble(g, peer_is_client, status); }, &group);
  ASSERT_GT(child, 0);
  ASSERT_NE(group, nullptr);

  size_t total = 0;
  const auto all = places(group, !peer_is_client, &total);
  std::vector<rtipc_producer*> producers(2);
  std::vector<rtipc_consumer*> consumers(3);
  std::vector<ChannelPlace> pplace(2), cplace(3);
  for (const auto& p : all) (p.produced_here ? pplace[p.index] : cplace[p.index]) = p;
  for (uint32_t i = 0; i < 2; ++i) ASSERT_EQ(rtipc_group_take_producer(group, i, &producers[i]), 0);
  for (uint32_t i = 0; i < 3; ++i) ASSERT_EQ(rtipc_group_take_consumer(group, i, &consumers[i]), 0);

  // Where the region is mapped: producer 0 writes its slot 0 first. Checked
  // against the kernel's list of mappings, so the pointer checks below rest
  // on an independent computation.
  const auto* base =
      static_cast<const std::byte*>(rtipc_producer_msg(producers[0])) - pplace[0].slot_offset(0);
  uintptr_t map_start = 0;
  size_t map_length = 0;
  ASSERT_TRUE(find_mapping(base, &map_start, &map_length));
  ASSERT_EQ(map_start, reinterpret_cast<uintptr_t>(base));
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  ASSERT_EQ(map_length, (total + page - 1) / page * page);

  ASSERT_EQ(status.get(), 'g') << "the peer could change the region's size or seals";
  Tally tally;
  Rng rng{0xC0FFEE ^ static_cast<uint64_t>(child)};
  uint64_t checksum = 0;
  for (int op = 0; op < kOps; ++op) {
    // Waits are few: on a flooded eventfd each one reads a batch of stale
    // counts.
    const uint32_t what = rng.below(256);
    if (what < 120) {
      const uint32_t k = rng.below(2);
      void* msg = rtipc_producer_msg(producers[k]);
      if (!is_slot(msg, base, pplace[k])) {
        ++tally.bad_pointers;
        continue;
      }
      std::memset(msg, op & 0xFF, pplace[k].msg_size);
      const int r =
          rtipc_produce(producers[k], rng.below(2) ? RTIPC_PRODUCE_FORCE : RTIPC_PRODUCE_TRY);
      ++tally.produce[r];
      if (r != -EPROTO && (r < 0 || r > RTIPC_QUEUE_FULL)) ++tally.bad_results;
    } else if (what < 250) {
      const uint32_t k = rng.below(3);
      const int r =
          rtipc_consume(consumers[k], rng.below(4) ? RTIPC_CONSUME_NEXT : RTIPC_CONSUME_LATEST);
      ++tally.consume[r];
      if (r != -EPROTO && (r < 0 || r > RTIPC_NEW_AFTER_GAP)) ++tally.bad_results;
      const void* msg = rtipc_consumer_msg(consumers[k]);
      if (msg && !is_slot(msg, base, cplace[k])) {
        ++tally.bad_pointers;
        continue;
      }
      if (msg)
        for (uint32_t i = 0; i < cplace[k].msg_size; ++i)
          checksum += static_cast<const volatile uint8_t*>(msg)[i];
    } else if (what < 254) {
      const uint32_t k = rng.below(3);
      // Mostly "just check"; now and then a short sleep.
      const int r = rtipc_consumer_wait(consumers[k], rng.below(16) == 0 ? 1 : 0);
      ++tally.wait[r];
      const bool has_eventfd = k < 2;
      if (has_eventfd ? (r != 0 && r != 1) : (r != 1 && r != -ENOTSUP)) ++tally.bad_results;
    } else {
      if (rtipc_producer_peer_alive(producers[0]) != 1) ++tally.bad_results;
    }
    if (op % 1000 == 0 && !healthy_round_trip()) ADD_FAILURE() << "healthy group failed at " << op;
  }
  EXPECT_EQ(tally.bad_pointers, 0u);
  EXPECT_EQ(tally.bad_results, 0u);
  // The attack reached us, and the scribbler's valid states let some real
  // work through.
  EXPECT_GT(tally.produce[-EPROTO] + tally.consume[-EPROTO], 0u);
  EXPECT_GT(tally.consume[RTIPC_NEW] + tally.consume[RTIPC_NEW_AFTER_GAP], 0u);
  for (const auto& [r, n] : tally.consume)
    RecordProperty("consume_" + std::to_string(r), std::to_string(n));

  // The peer dies mid-scribble. Our waits end: a message-like state to look
  // at, or -EPIPE; never a hang.
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  EXPECT_EQ(test::reap(child), 128 + SIGKILL);
  for (uint32_t k = 0; k < 2; ++k) {
    int r = 0;
    for (int i = 0; i < 100 && (r = rtipc_consumer_wait(consumers[k], kGuardMs)) == 1; ++i)
      rtipc_consume(consumers[k], RTIPC_CONSUME_NEXT);
    EXPECT_TRUE(r == -EPIPE || r == 1) << r;
    EXPECT_EQ(rtipc_consumer_peer_alive(consumers[k]), 0);
  }
  EXPECT_NE(status.get(0), 'F') << "a seal gave way";

  // Our mapping is whole: every byte readable (a shrunk memfd would SIGBUS),
  // and the memfd still has its size and seals.
  for (size_t i = 0; i < total; ++i) checksum += reinterpret_cast<const volatile uint8_t*>(base)[i];
  int fds[8];
  ASSERT_GE(rtipc_group_fds(group, fds, 8), 1);
  struct stat st;
  ASSERT_EQ(::fstat(fds[0], &st), 0);
  EXPECT_GE(static_cast<size_t>(st.st_size), total);
  EXPECT_EQ(::fcntl(fds[0], F_GET_SEALS) & (F_SEAL_SHRINK | F_SEAL_GROW),
            F_SEAL_SHRINK | F_SEAL_GROW);
  EXPECT_TRUE(healthy_round_trip());
  RecordProperty("checksum", std::to_string(checksum));

  for (auto* p : producers) rtipc_producer_destroy(p);
  for (auto* c : consumers) rtipc_consumer_destroy(c);
  rtipc_group_destroy(group);
}

// The peer piles 2^64 - 2 counts into every eventfd, then closes its copies,
// then exits. Our waits keep their timeouts throughout and end with -EPIPE.
TEST_P(ScribblingPeer, FloodedThenClosedEventfds) {
  const bool peer_is_client = GetParam() == PeerRole::kClient;
  test::Pipe to_peer, from_peer;
  rtipc_group* group = nullptr;
  const pid_t child = start_pair(
      dir_, GetParam(), victim_config(),
      [&](rtipc_group* g) {
        const int nfds = rtipc_group_fds(g, nullptr, 0);
        std::vector<int> fds(static_cast<size_t>(nfds));
        rtipc_group_fds(g, fds.data(), fds.size());
        (void)peer_is_client;
        for (size_t i = 1; i < fds.size(); ++i) {
          const uint64_t huge = 0xFFFFFFFFFFFFFFFEull;
          if (::write(fds[i], &huge, sizeof huge) != sizeof huge) return 1;
        }
        from_peer.put('f');
        if (to_peer.get() != 'c') return 2;
        for (size_t i = 1; i < fds.size(); ++i) ::close(fds[i]);  // the group's own: gone for us
        from_peer.put('d');
        if (to_peer.get() != 'e') return 3;
        ::_exit(0);  // skip the group's destructor: its eventfds are closed already
      },
      &group);
  ASSERT_GT(child, 0);
  std::vector<rtipc_consumer*> consumers(2);
  for (uint32_t i = 0; i < 2; ++i) ASSERT_EQ(rtipc_group_take_consumer(group, i, &consumers[i]), 0);
  rtipc_producer* p = nullptr;
  ASSERT_EQ(rtipc_group_take_producer(group, 0, &p), 0);

  ASSERT_EQ(from_peer.get(), 'f');
  // A wait reads stale counts one at a time; with 2^64 of them only its own
  // deadline may end it. Hang guard: the alarm kills the test.
  ::alarm(60);
  for (auto* c : consumers) EXPECT_EQ(rtipc_consumer_wait(c, 10), 0);
  for (auto* c : consumers) EXPECT_EQ(rtipc_consumer_wait(c, 0), 0);
  std::memset(rtipc_producer_msg(p), 1, 24);
  EXPECT_EQ(rtipc_produce(p, RTIPC_PRODUCE_TRY), RTIPC_PUBLISHED);  // the full counter is no error
  to_peer.put('c');
  ASSERT_EQ(from_peer.get(), 'd');
  for (auto* c : consumers) EXPECT_EQ(rtipc_consumer_wait(c, 10), 0);
  to_peer.put('e');
  EXPECT_EQ(test::reap(child), 0);
  for (auto* c : consumers) EXPECT_EQ(rtipc_consumer_wait(c, kGuardMs), -EPIPE);
  ::alarm(0);
  EXPECT_TRUE(healthy_round_trip());

  rtipc_producer_destroy(p);
  for (auto* c : consumers) rtipc_consumer_destroy(c);
  rtipc_group_destroy(group);
}

INSTANTIATE_TEST_SUITE_P(Roles, ScribblingPeer,
                         ::testing::Values(PeerRole::kClient, PeerRole::kServer),
                         [](const auto& info) {
                           return std::string("peer_is_") + role_name(info.param);
                         });

}  // namespace
}  // namespace reliability
