// The writer of the per-process statistics page (src/stats_page.h,
// docs/stats.md): one memfd per process, a record per live group and
// channel. Setup calls (add, update, free) lock a mutex; the hot path only
// bumps counters in its own record with relaxed stores, no lock, no system
// call.
//
// Thread rules: StatsRecord setup calls from any thread; count_*() only from
// the thread that owns the channel (one at a time, as the channel's own rule).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <ctime>
#include <functional>
#include <span>
#include <string>

#include "queue.hpp"
#include "stats_page.h"

namespace rtipc {

// Whether new groups get records: false when RTIPC_STATS=0 is in the
// environment (read at every group setup) or the page cannot be made.
bool stats_enabled();

// A new serial for a group and its channels.
uint64_t stats_next_serial();

// One record of the page, freed on destruction; empty when stats are off or
// the page is full. Move-only.
class StatsRecord {
 public:
  StatsRecord() = default;
  // Takes a free record and fills it under its seqlock; empty on failure.
  static StatsRecord add(const std::function<void(rtipc_stats_record&)>& fill);
  ~StatsRecord();
  StatsRecord(StatsRecord&& other) noexcept;
  StatsRecord& operator=(StatsRecord&& other) noexcept;
  StatsRecord(const StatsRecord&) = delete;
  StatsRecord& operator=(const StatsRecord&) = delete;

  explicit operator bool() const { return record_ != nullptr; }
  // Changes the description under the seqlock.
  void update(const std::function<void(rtipc_stats_record&)>& change);
  // The record's counters, for the hot path; null when empty.
  rtipc_stats_counters* counters() const { return record_ ? &record_->counters : nullptr; }

 private:
  StatsRecord(rtipc_stats_record* record, pid_t owner) : record_(record), owner_(owner) {}
  // Whether this process may write the record (a forked child inherits the
  // parent's page, shared: it must leave the parent's records alone).
  bool mine() const;
  rtipc_stats_record* record_ = nullptr;
  pid_t owner_ = 0;
};

// Fills a record's common channel/group fields from plain values.
void stats_copy_info(rtipc_stats_record& r, std::span<const std::byte> info);
void stats_copy_path(rtipc_stats_record& r, const std::string& path);

namespace stats_detail {
// Only the owning thread writes: a load and a store, no atomic RMW.
inline uint64_t bump(uint64_t& field) {
  std::atomic_ref<uint64_t> a(field);
  const uint64_t n = a.load(std::memory_order_relaxed) + 1;
  a.store(n, std::memory_order_relaxed);
  return n;
}
// The coarse clock (vDSO, no system call), on the first and every 64th
// count only, so that a message costs no clock read on average.
inline void touch(rtipc_stats_counters& c, uint64_t count) {
  if ((count & 63) != 1) return;
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  std::atomic_ref<uint64_t>(c.last_ns).store(
      uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec), std::memory_order_relaxed);
}
}  // namespace stats_detail

inline void count_push(rtipc_stats_counters& c, PushResult r) {
  using namespace stats_detail;
  if (r == PushResult::kPublished || r == PushResult::kDiscarded) {
    touch(c, bump(c.produced));
    if (r == PushResult::kDiscarded) bump(c.discarded);
  } else if (r == PushResult::kFull) {
    bump(c.full);
  }
}

inline void count_pop(rtipc_stats_counters& c, PopResult r) {
  using namespace stats_detail;
  if (r == PopResult::kNew || r == PopResult::kNewAfterGap) {
    touch(c, bump(c.consumed));
    if (r == PopResult::kNewAfterGap) bump(c.gaps);
  }
}

// Off the hot path: every wait, wake-up and signal stamps the time.
inline void count_event(rtipc_stats_counters& c, uint64_t rtipc_stats_counters::*field) {
  stats_detail::bump(c.*field);
  stats_detail::touch(c, 1);
}

}  // namespace rtipc
