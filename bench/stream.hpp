// One-way message streams between two pinned processes: a forked producer
// on cpu B, the consumer in the calling process on cpu A.
#pragma once

#include <cstdint>

namespace bench {

struct StreamConfig {
  bool force = true;      // RTIPC_PRODUCE_FORCE, else TRY (retried until published)
  uint32_t size = 16;     // bytes per message, a multiple of 8
  uint32_t add_msgs = 100;
  uint64_t count = 1'000'000;
  bool touch = true;      // producer writes every byte, consumer reads every byte
};

struct StreamResult {
  double seconds = 0;      // from the start signal to the last message's arrival
  uint64_t received = 0;   // messages the consumer saw
  uint64_t gaps = 0;       // consumes that reported skipped messages
  uint64_t discards = 0;   // pushes that reported a discard (producer side)
  uint64_t full = 0;       // try pushes that found the queue full (producer side)
};

StreamResult rtipc_stream(const StreamConfig& config);

// The same traffic through a minimal SPSC ring of `slots` 16-byte slots
// (capacity slots - 1) that never overwrites: head and tail on separate cache
// lines, each side caching the other's index.
StreamResult ring_stream(uint32_t slots, uint64_t count);

}  // namespace bench
