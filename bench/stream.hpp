// One-way message streams between two pinned processes: a forked producer
// on cpu B, the consumer in the calling process on cpu A.
#pragma once

#include <cstdint>

namespace bench {

enum class Touch {
  kAll,        // the producer writes every byte, the consumer reads every byte
  kFirstWord,  // only the sequence number in the first 8 bytes travels
  kNone,       // nobody touches a slot (try mode only: completion is counted)
};

struct StreamConfig {
  bool force = true;   // RTIPC_PRODUCE_FORCE, else TRY (retried until published)
  uint32_t size = 16;  // bytes per message, a multiple of 8
  uint32_t add_msgs = 100;
  uint64_t count = 1'000'000;
  Touch touch = Touch::kAll;
};

struct StreamResult {
  double seconds = 0;     // from the start signal to the last message's arrival
  uint64_t received = 0;  // messages the consumer saw
  uint64_t gaps = 0;      // consumes that reported skipped messages
  uint64_t discards = 0;  // pushes that reported a discard (producer side)
  uint64_t full = 0;      // try pushes that found the queue full (producer side)
  // ns per received message in the median window of kWindow receptions: on a
  // shared machine, most windows see no preemption, so this is the rate the
  // pair reaches while both run.
  double window_ns = 0;
};

inline constexpr uint64_t kWindow = 256;

StreamResult rtipc_stream(const StreamConfig& config);

// The same traffic through a minimal SPSC ring of `slots` 16-byte slots
// (capacity slots - 1) that never overwrites: head and tail on separate cache
// lines, each side caching the other's index.
StreamResult ring_stream(uint32_t slots, uint64_t count);

}  // namespace bench
