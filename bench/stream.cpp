#include "stream.hpp"

#include <atomic>
#include <cstring>
#include <vector>

#include "channels.hpp"
#include "common.hpp"

namespace bench {
namespace {

struct Control {
  alignas(64) std::atomic<uint32_t> ready;
  alignas(64) std::atomic<uint32_t> go;
  alignas(64) std::atomic<uint64_t> discards;
  std::atomic<uint64_t> full;
};

void wait_for_go(const Control* ctl) {
  while (ctl->go.load(std::memory_order_acquire) == 0) relax();
}

volatile uint64_t g_sink;

// Time stamps every kWindow receptions.
class Windows {
 public:
  explicit Windows(uint64_t expected) { stamps_.reserve(expected / kWindow + 2); }
  void start() { stamps_.push_back(Clock::now()); }
  void received(uint64_t n) {
    if (n % kWindow == 0) stamps_.push_back(Clock::now());
  }
  // Falls back to the whole run when it had no complete window.
  double median_ns(double seconds, uint64_t received) const {
    if (stamps_.size() < 2) return received ? seconds * 1e9 / double(received) : 0;
    std::vector<double> per_msg;
    for (size_t i = 1; i < stamps_.size(); ++i)
      per_msg.push_back(Clock::to_ns(double(stamps_[i] - stamps_[i - 1])) / double(kWindow));
    return median(per_msg);
  }

 private:
  std::vector<uint64_t> stamps_;
};

// Reads every word of a message (so that its bytes really travel), returns
// the first one, the sequence number.
inline uint64_t read_message(const void* msg, uint32_t size, Touch touch) {
  const auto* w = static_cast<const uint64_t*>(msg);
  if (touch == Touch::kAll) {
    uint64_t sum = 0;
    for (uint32_t k = 1; k < size / 8; ++k) sum += w[k];
    g_sink = sum;
  }
  return w[0];
}

inline void write_message(void* msg, uint32_t size, uint64_t seq, Touch touch) {
  if (touch == Touch::kNone) return;
  if (touch == Touch::kAll && size > 8)
    std::memset(static_cast<char*>(msg) + 8, int(seq & 0xff), size - 8);
  std::memcpy(msg, &seq, sizeof seq);
}

}  // namespace

StreamResult rtipc_stream(const StreamConfig& cfg) {
  if (cfg.touch == Touch::kNone && cfg.force) die("untouched streams run in try mode");
  SharedMem mem(sizeof(Control));
  Control* ctl = mem.as<Control>();
  SocketPair sp;
  Peer peer([&] {
    sp.close_parent();
    auto p = receive_stream_producer(sp.child);
    send_token(sp.child);
    wait_for_go(ctl);
    uint64_t discards = 0, full = 0;
    const auto mode = cfg.force ? RTIPC_PRODUCE_FORCE : RTIPC_PRODUCE_TRY;
    for (uint64_t seq = 0; seq < cfg.count; ++seq) {
      write_message(rtipc_producer_msg(p.get()), cfg.size, seq, cfg.touch);
      int rc;
      while ((rc = rtipc_produce(p.get(), mode)) == RTIPC_QUEUE_FULL) {
        ++full;
        relax();
      }
      check_rc(rc, "rtipc_produce");
      discards += rc == RTIPC_PUBLISHED_DISCARDED;
    }
    ctl->discards.store(discards);
    ctl->full.store(full);
    return 0;
  });
  sp.close_child();
  auto c = send_stream_group(sp.parent, ChannelSpec{cfg.size, cfg.add_msgs, false});
  receive_token(sp.parent);

  StreamResult res;
  Windows windows(cfg.count);
  const uint64_t t0 = mono_ns();
  windows.start();
  ctl->go.store(1, std::memory_order_release);
  uint64_t last = ~uint64_t{0};
  for (;;) {
    const int rc = check_rc(rtipc_consume(c.get(), RTIPC_CONSUME_NEXT), "rtipc_consume");
    if (rc < RTIPC_NEW) {
      relax();
      continue;
    }
    if (cfg.touch == Touch::kNone) {
      if (rc != RTIPC_NEW) die("try mode lost messages");
      windows.received(++res.received);
      if (res.received == cfg.count) break;
      continue;
    }
    const uint64_t seq = read_message(rtipc_consumer_msg(c.get()), cfg.size, cfg.touch);
    if (last != ~uint64_t{0} && seq <= last) die("stream out of order");
    if (rc == RTIPC_NEW && last != ~uint64_t{0} && seq != last + 1) die("silent gap in stream");
    res.gaps += rc == RTIPC_NEW_AFTER_GAP;
    windows.received(++res.received);
    last = seq;
    if (seq == cfg.count - 1) break;
  }
  res.seconds = double(mono_ns() - t0) / 1e9;
  res.window_ns = windows.median_ns(res.seconds, res.received);
  peer.join();
  res.discards = ctl->discards.load();
  res.full = ctl->full.load();
  if (!cfg.force && (res.received != cfg.count || res.gaps)) die("try mode lost messages");
  return res;
}

namespace {

struct RingHeader {
  alignas(64) std::atomic<uint32_t> head;  // written by the producer
  alignas(64) std::atomic<uint32_t> tail;  // written by the consumer
  alignas(64) Control ctl;
};

struct RingSlot {
  uint64_t seq;
  uint64_t payload;
};

}  // namespace

StreamResult ring_stream(uint32_t slots, uint64_t count) {
  SharedMem mem(sizeof(RingHeader) + slots * sizeof(RingSlot));
  auto* hdr = mem.as<RingHeader>();
  auto* ring = reinterpret_cast<RingSlot*>(hdr + 1);
  Peer peer([&] {
    hdr->ctl.ready.store(1, std::memory_order_release);
    wait_for_go(&hdr->ctl);
    uint32_t head = 0, cached_tail = 0;
    uint64_t full = 0;
    for (uint64_t seq = 0; seq < count; ++seq) {
      const uint32_t next = head + 1 == slots ? 0 : head + 1;
      while (next == cached_tail) {
        cached_tail = hdr->tail.load(std::memory_order_acquire);
        if (next == cached_tail) {
          ++full;
          relax();
        }
      }
      ring[head] = RingSlot{seq, seq};
      head = next;
      hdr->head.store(head, std::memory_order_release);
    }
    hdr->ctl.full.store(full);
    return 0;
  });
  while (hdr->ctl.ready.load(std::memory_order_acquire) == 0) relax();
  StreamResult res;
  Windows windows(count);
  const uint64_t t0 = mono_ns();
  windows.start();
  hdr->ctl.go.store(1, std::memory_order_release);
  uint32_t tail = 0, cached_head = 0;
  uint64_t expect = 0;
  for (;;) {
    if (tail == cached_head) {
      cached_head = hdr->head.load(std::memory_order_acquire);
      if (tail == cached_head) {
        relax();
        continue;
      }
    }
    const RingSlot s = ring[tail];
    if (s.seq != expect || s.payload != expect) die("ring out of order");
    tail = tail + 1 == slots ? 0 : tail + 1;
    hdr->tail.store(tail, std::memory_order_release);
    windows.received(++res.received);
    if (++expect == count) break;
  }
  res.seconds = double(mono_ns() - t0) / 1e9;
  res.window_ns = windows.median_ns(res.seconds, res.received);
  peer.join();
  res.full = hdr->ctl.full.load();
  return res;
}

}  // namespace bench
