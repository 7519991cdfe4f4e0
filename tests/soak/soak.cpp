// rtipc-soak: two processes drive a randomly configured channel group with
// random mixes of operations, modes and pauses, and check every outcome
// against what the protocol allows:
//   - payloads arrive intact (every byte is a function of sequence and channel);
//   - sequence numbers only grow; RTIPC_NEW means exactly the next one,
//     RTIPC_NEW_AFTER_GAP means a jump;
//   - try-mode channels lose nothing and never report a discard;
//   - on channels read without flush, the consumer's count of skipped
//     messages equals the producer's count of discarding pushes.
// Any deviation is an anomaly; the exit status is 1 when there is one.
//
// Each round draws a new group (1-3 channels each way, message sizes 8 B to
// 4 KiB, 0 to 100 additional slots, eventfd or not, force/try/mixed pushes,
// flush or not), runs it between two processes for a quota of messages per
// channel, and compares both sides' counts. Rounds repeat until the time is
// up.
//
// usage: rtipc-soak [-s SECONDS] [-m MESSAGES_PER_CHANNEL] [-r SEED]
#include <errno.h>
#include <rtipc/rtipc.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "fdpass.h"

namespace {

enum class PushPolicy { kForce, kTry, kMixed };

struct ChannelPlan {
  uint32_t msg_size;
  uint32_t add_msgs;
  bool eventfd;
  PushPolicy push;
  bool flush;  // the consumer sometimes asks for the latest message
};

struct Plan {
  std::vector<ChannelPlan> to_child, to_parent;  // parent produces to_child
};

struct Totals {
  uint64_t ops = 0, messages = 0, discards = 0, gaps = 0, skipped = 0, anomalies = 0;
};

uint8_t payload_byte(uint64_t seq, uint32_t channel, size_t j) {
  return static_cast<uint8_t>(seq * 131 + channel * 31 + j);
}

Plan make_plan(std::mt19937_64& rng) {
  static const uint32_t kSizes[] = {8, 13, 64, 100, 4096};
  static const uint32_t kSlots[] = {0, 1, 2, 5, 16, 100};
  auto channel = [&] {
    ChannelPlan c;
    c.msg_size = kSizes[rng() % 5];
    c.add_msgs = kSlots[rng() % 6];
    c.eventfd = rng() % 2;
    c.push = static_cast<PushPolicy>(rng() % 3);
    c.flush = c.push != PushPolicy::kTry && rng() % 3 == 0;
    return c;
  };
  Plan p;
  for (int i = 1 + rng() % 3; i > 0; --i) p.to_child.push_back(channel());
  for (int i = rng() % 3; i > 0; --i) p.to_parent.push_back(channel());
  return p;
}

std::vector<rtipc_channel_config> configs(const std::vector<ChannelPlan>& plans) {
  std::vector<rtipc_channel_config> out;
  for (const ChannelPlan& plan : plans) {
    rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
    c.msg_size = plan.msg_size;
    c.add_msgs = plan.add_msgs;
    c.flags = plan.eventfd ? RTIPC_CHANNEL_EVENTFD : 0u;
    out.push_back(c);
  }
  return out;
}

struct Sender {
  rtipc_producer* producer;
  ChannelPlan plan;
  uint32_t id;
  uint64_t next_seq = 1;  // the message waiting in the slot, once written
  bool written = false;
  uint64_t discards = 0;
};

struct Receiver {
  rtipc_consumer* consumer;
  ChannelPlan plan;
  uint32_t id;
  uint64_t last = 0;
  uint64_t skipped = 0;
  bool done = false;
};

class Side {
 public:
  Side(uint64_t seed, uint64_t quota) : rng_(seed), quota_(quota) {}

  void add_sender(rtipc_producer* p, const ChannelPlan& plan, uint32_t id) {
    senders_.push_back({p, plan, id});
  }
  void add_receiver(rtipc_consumer* c, const ChannelPlan& plan, uint32_t id) {
    receivers_.push_back({c, plan, id});
  }

  // Runs until every sender published its quota and every receiver saw its
  // sender's last message.
  void run() {
    while (!finished()) {
      const uint64_t pick = rng_() % 100;
      if (pick < 45 && !senders_.empty()) {
        push(senders_[rng_() % senders_.size()]);
      } else if (pick < 90 && !receivers_.empty()) {
        pop(receivers_[rng_() % receivers_.size()]);
      } else {
        pause();
      }
    }
  }

  const std::vector<Sender>& senders() const { return senders_; }
  const std::vector<Receiver>& receivers() const { return receivers_; }
  Totals& totals() { return totals_; }

  template <typename... Args>
  void anomaly(const char* format, Args... args) {
    ++totals_.anomalies;
    if (totals_.anomalies <= 10) {
      std::fprintf(stderr, "soak: anomaly: ");
      // Without arguments the format is plain text: -Wformat-security (on
      // in Debian package builds) rejects a non-literal format alone.
      if constexpr (sizeof...(args) == 0)
        std::fputs(format, stderr);
      else
        std::fprintf(stderr, format, args...);
      std::fputc('\n', stderr);
    }
  }

 private:
  bool finished() const {
    for (const Sender& s : senders_)
      if (s.next_seq <= quota_) return false;
    for (const Receiver& r : receivers_)
      if (!r.done) return false;
    return true;
  }

  void write(Sender& s) {
    auto* msg = static_cast<uint8_t*>(rtipc_producer_msg(s.producer));
    std::memcpy(msg, &s.next_seq, sizeof s.next_seq);
    for (size_t j = 8; j < s.plan.msg_size; ++j) msg[j] = payload_byte(s.next_seq, s.id, j);
    s.written = true;
  }

  void push(Sender& s) {
    if (s.next_seq > quota_) return;
    if (!s.written) write(s);
    const bool force =
        s.plan.push == PushPolicy::kForce || (s.plan.push == PushPolicy::kMixed && rng_() % 2);
    const int r = rtipc_produce(s.producer, force ? RTIPC_PRODUCE_FORCE : RTIPC_PRODUCE_TRY);
    ++totals_.ops;
    if (r == RTIPC_QUEUE_FULL && !force) return;  // still in its slot: again later
    if (r < 0 || r == RTIPC_QUEUE_FULL || (r == RTIPC_PUBLISHED_DISCARDED && !force))
      return anomaly("channel %u: %s push returned %d", s.id, force ? "forced" : "try", r);
    if (r == RTIPC_PUBLISHED_DISCARDED) ++s.discards, ++totals_.discards;
    ++s.next_seq;
    s.written = false;
  }

  void pop(Receiver& r) {
    if (r.done) return;
    if (r.plan.eventfd && rng_() % 8 == 0) {
      const int w = rtipc_consumer_wait(r.consumer, 1);
      ++totals_.ops;
      if (w < 0) anomaly("channel %u: wait returned %d", r.id, w);
    }
    const bool latest = r.plan.flush && rng_() % 4 == 0;
    const int res = rtipc_consume(r.consumer, latest ? RTIPC_CONSUME_LATEST : RTIPC_CONSUME_NEXT);
    ++totals_.ops;
    if (res < 0) return anomaly("channel %u: consume returned %d", r.id, res);
    if (res >= RTIPC_NEW) check(r, res);
  }

  void check(Receiver& r, int res) {
    const auto* msg = static_cast<const uint8_t*>(rtipc_consumer_msg(r.consumer));
    uint64_t seq;
    std::memcpy(&seq, msg, sizeof seq);
    for (size_t j = 8; j < r.plan.msg_size; ++j)
      if (msg[j] != payload_byte(seq, r.id, j))
        return anomaly("channel %u: message %" PRIu64 " corrupt at byte %zu", r.id, seq, j);
    if (seq <= r.last || seq > quota_)
      return anomaly("channel %u: message %" PRIu64 " after %" PRIu64, r.id, seq, r.last);
    if ((res == RTIPC_NEW) != (seq == r.last + 1))
      anomaly("channel %u: %s for message %" PRIu64 " after %" PRIu64, r.id,
              res == RTIPC_NEW ? "RTIPC_NEW" : "a gap", seq, r.last);
    if (res == RTIPC_NEW_AFTER_GAP) ++totals_.gaps;
    r.skipped += seq - r.last - 1;
    totals_.skipped += seq - r.last - 1;
    ++totals_.messages;
    r.last = seq;
    r.done = seq == quota_;
  }

  void pause() {
    const uint64_t kind = rng_() % 100;
    if (kind < 70) {
      const uint64_t until = rng_() % 200;
      for (uint64_t i = 0; i < until; ++i) asm volatile("" ::: "memory");  // a short busy pause
    } else if (kind < 98) {
      sched_yield();
    } else {
      timespec ts = {0, static_cast<long>(rng_() % 50'000)};
      nanosleep(&ts, nullptr);
    }
  }

  std::mt19937_64 rng_;
  uint64_t quota_;
  std::vector<Sender> senders_;
  std::vector<Receiver> receivers_;
  Totals totals_;
};

// What one side tells the other at the end of a round: per channel it
// produced, the discards; per channel it consumed, the skipped count.
struct Report {
  Totals totals;
  uint64_t discards[3];
  uint64_t skipped[3];
};

Report run_side(rtipc_group* group, const std::vector<ChannelPlan>& produce, uint32_t produce_base,
                const std::vector<ChannelPlan>& consume, uint32_t consume_base, uint64_t seed,
                uint64_t quota) {
  Side side(seed, quota);
  std::vector<rtipc_producer*> producers(produce.size());
  std::vector<rtipc_consumer*> consumers(consume.size());
  for (uint32_t i = 0; i < produce.size(); ++i) {
    if (rtipc_group_take_producer(group, i, &producers[i]) < 0)
      side.anomaly("take producer");
    else
      side.add_sender(producers[i], produce[i], produce_base + i);
  }
  for (uint32_t i = 0; i < consume.size(); ++i) {
    if (rtipc_group_take_consumer(group, i, &consumers[i]) < 0)
      side.anomaly("take consumer");
    else
      side.add_receiver(consumers[i], consume[i], consume_base + i);
  }
  rtipc_group_destroy(group);
  side.run();

  Report report{};
  report.totals = side.totals();
  for (size_t i = 0; i < side.senders().size(); ++i)
    report.discards[i] = side.senders()[i].discards;
  for (size_t i = 0; i < side.receivers().size(); ++i)
    report.skipped[i] = side.receivers()[i].skipped;
  for (auto* p : producers) rtipc_producer_destroy(p);
  for (auto* c : consumers) rtipc_consumer_destroy(c);
  return report;
}

// Skipped must equal the producer's discards where the consumer never
// flushed, and try-only channels lose nothing.
uint64_t compare(const std::vector<ChannelPlan>& plans, const uint64_t* discards,
                 const uint64_t* skipped) {
  uint64_t anomalies = 0;
  for (size_t i = 0; i < plans.size(); ++i) {
    const bool exact = !plans[i].flush;
    if ((exact && discards[i] != skipped[i]) ||
        (plans[i].push == PushPolicy::kTry && skipped[i] != 0) || discards[i] > skipped[i]) {
      std::fprintf(stderr, "soak: anomaly: %zu discards but %zu skipped\n",
                   static_cast<size_t>(discards[i]), static_cast<size_t>(skipped[i]));
      ++anomalies;
    }
  }
  return anomalies;
}

// One round: a new group between this process and a forked child.
bool run_round(std::mt19937_64& rng, uint64_t quota, Totals* sum) {
  const Plan plan = make_plan(rng);
  const auto to_child = configs(plan.to_child), to_parent = configs(plan.to_parent);
  rtipc_group_config config = RTIPC_GROUP_CONFIG_INIT;
  config.producers = to_child.data();
  config.producer_count = static_cast<uint32_t>(to_child.size());
  config.consumers = to_parent.empty() ? nullptr : to_parent.data();
  config.consumer_count = static_cast<uint32_t>(to_parent.size());
  rtipc_group* group;
  if (rtipc_group_create(&config, &group) < 0) return false;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return false;
  const uint64_t parent_seed = rng(), child_seed = rng();
  const auto n_child = static_cast<uint32_t>(plan.to_child.size());

  const pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    rtipc_group_destroy(group);
    rtipc_group* peer;
    if (fdpass_recv_group(sv[1], 0, &peer) < 0) _exit(2);
    // The child produces to_parent (table entries after to_child).
    const Report r = run_side(peer, plan.to_parent, n_child, plan.to_child, 0, child_seed, quota);
    _exit(write(sv[1], &r, sizeof r) == sizeof r ? 0 : 2);
  }
  close(sv[1]);
  bool ok = fdpass_send_group(sv[0], group) == 0;
  const Report mine =
      run_side(group, plan.to_child, 0, plan.to_parent, n_child, parent_seed, quota);
  Report theirs{};
  ok = read(sv[0], &theirs, sizeof theirs) == sizeof theirs && ok;
  close(sv[0]);
  int status;
  waitpid(pid, &status, 0);
  ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;

  for (const Totals* t : {&mine.totals, static_cast<const Totals*>(&theirs.totals)}) {
    sum->ops += t->ops;
    sum->messages += t->messages;
    sum->discards += t->discards;
    sum->gaps += t->gaps;
    sum->skipped += t->skipped;
    sum->anomalies += t->anomalies;
  }
  sum->anomalies += compare(plan.to_child, mine.discards, theirs.skipped);
  sum->anomalies += compare(plan.to_parent, theirs.discards, mine.skipped);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  uint64_t quota = 20'000, seed = std::random_device()();
  int opt;
  while ((opt = getopt(argc, argv, "s:m:r:")) != -1) {
    switch (opt) {
      case 's':
        seconds = std::atof(optarg);
        break;
      case 'm':
        quota = std::strtoull(optarg, nullptr, 10);
        break;
      case 'r':
        seed = std::strtoull(optarg, nullptr, 10);
        break;
      default:
        std::fprintf(stderr, "usage: rtipc-soak [-s SECONDS] [-m MESSAGES] [-r SEED]\n");
        return 2;
    }
  }
  std::printf("soak: seed %" PRIu64 ", %" PRIu64 " messages per channel per round, %.0f s\n", seed,
              quota, seconds);
  std::fflush(stdout);
  rtipc_set_log(nullptr, nullptr, RTIPC_LOG_ERROR);
  std::mt19937_64 rng(seed);
  Totals sum;
  uint64_t rounds = 0, failed_rounds = 0;
  const auto start = std::chrono::steady_clock::now();
  do {
    failed_rounds += !run_round(rng, quota, &sum);
    ++rounds;
  } while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() <
           seconds);
  std::printf("soak: %" PRIu64 " rounds, %" PRIu64 " operations, %" PRIu64
              " messages read, %" PRIu64 " discarding pushes, %" PRIu64 " gaps (%" PRIu64
              " messages skipped), %" PRIu64 " anomalies, %" PRIu64 " failed rounds\n",
              rounds, sum.ops, sum.messages, sum.discards, sum.gaps, sum.skipped, sum.anomalies,
              failed_rounds);
  return sum.anomalies == 0 && failed_rounds == 0 ? 0 : 1;
}
