#include "channel.hpp"

#include <cinttypes>
#include <cstring>

#include "frame.h"
#include "log.hpp"
#include "tsan.hpp"

namespace bridge {

// A hostile writer may send many bad samples: log the first few only (the
// counter tells the rest).
constexpr uint64_t kMalformedLogs = 5;
// Remote writers tracked for sequence gaps; more (a writer churn, a hostile
// participant) and the table starts over.
constexpr size_t kMaxWriters = 1024;

Channel::Channel(ChannelSpec spec, rtipc_consumer* consumer, rtipc_producer* producer)
    : spec_(std::move(spec)), consumer_(consumer), producer_(producer) {}

Channel::~Channel() {
  // The reader goes first: deleting it waits for its listener, which uses wake_.
  if (endpoint_ > 0) dds_delete(endpoint_);
  tsan_acquire(&wake_);
  if (topic_ > 0) dds_delete(topic_);
  rtipc_consumer_destroy(consumer_);
  rtipc_producer_destroy(producer_);
}

std::string Channel::open(DdsSide& dds) {
  std::string name = dds_topic_name(spec_.topic, spec_.size);
  dds_entity_t e;
  if (spec_.direction == Direction::kFromApp) {
    e = dds.create_writer(spec_, &wake_);
  } else {
    wake_.deliver = deliver_on_listener;
    wake_.ctx = this;
    e = dds.create_reader(spec_, &wake_);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    endpoint_ = e;
  }
  if (endpoint_ < 0)
    return "cannot create a DDS " +
           std::string(spec_.direction == Direction::kFromApp ? "writer" : "reader") + " on " +
           name + ": " + dds_strretcode(endpoint_);
  topic_ = dds_get_topic(endpoint_);  // made for this endpoint: deleted with it
  wake_.ready.store(true);            // whatever came before the listener was set
  return "";
}

int Channel::forward_to_dds(int max) {
  int n = 0;
  while (n < max) {
    int r = rtipc_consume(consumer_, RTIPC_CONSUME_NEXT);
    if (r < 0) {
      log("topic %s: consume: %s", spec_.topic.c_str(), rtipc_strerror(r));
      break;
    }
    if (r < RTIPC_NEW) break;
    ++n;
    ++consumed_;
    if (r == RTIPC_NEW_AFTER_GAP) ++app_gaps_;
    rtipc_bridge_Frame frame{};
    frame.seq = next_seq_;
    frame.flags = 0;
    // Serialised straight from the shared slot: DDS copies it, we do not.
    frame.payload._buffer = static_cast<uint8_t*>(const_cast<void*>(rtipc_consumer_msg(consumer_)));
    frame.payload._length = frame.payload._maximum = spec_.size;
    frame.payload._release = false;
    dds_return_t w = dds_write(endpoint_, &frame);
    if (w == DDS_RETCODE_OK) {
      ++next_seq_;
      ++published_;
    } else {
      // Only a reliable writer blocks; past write_timeout_ms the message is
      // dropped here and counted, and the sequence stays gap-free.
      if (write_failed_++ == 0)
        log("topic %s: write: %s (dropped; counted as write_failed)", spec_.topic.c_str(),
            dds_strretcode(w));
    }
  }
  return n;
}

bool Channel::deliver(const void* sample, const dds_sample_info_t& info) {
  const auto* frame = static_cast<const rtipc_bridge_Frame*>(sample);
  ++received_;
  if (frame->payload._length != spec_.size || frame->flags != 0 || !frame->payload._buffer) {
    ++malformed_;
    if (malformed_logged_++ < kMalformedLogs)
      log("topic %s: refused a sample with %" PRIu32 " payload bytes and flags 0x%" PRIx32
          " (want %" PRIu32 " bytes, flags 0)",
          spec_.topic.c_str(), frame->payload._length, frame->flags, spec_.size);
    return true;
  }
  if (expected_.size() >= kMaxWriters && !expected_.count(info.publication_handle))
    expected_.clear();
  auto [it, first] = expected_.try_emplace(info.publication_handle, frame->seq);
  if (first) {
    // What this writer published before our first sample of it: lost at
    // the start, or published before we joined; DDS cannot tell which.
    skipped_at_join_ += frame->seq;
  } else {
    if (frame->seq > it->second)
      net_lost_ += frame->seq - it->second;
    else if (frame->seq < it->second)
      ++reordered_;
  }
  it->second = frame->seq + 1;
  std::memcpy(rtipc_producer_msg(producer_), frame->payload._buffer, spec_.size);
  return true;
}

bool Channel::deliver_on_listener(void* self) {
  auto* ch = static_cast<Channel*>(self);
  std::lock_guard<std::mutex> lock(ch->mu_);
  return ch->endpoint_ > 0 && !ch->blocked_ && ch->forward_to_app_locked();
}

bool Channel::blocked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return blocked_;
}

bool Channel::forward_to_app() {
  std::lock_guard<std::mutex> lock(mu_);
  return forward_to_app_locked();
}

bool Channel::forward_to_app_locked() {
  unsigned mode = spec_.push == Push::kTry ? RTIPC_PRODUCE_TRY : RTIPC_PRODUCE_FORCE;
  for (;;) {
    if (blocked_) {
      int r = rtipc_produce(producer_, mode);
      if (r == RTIPC_QUEUE_FULL) return false;
      blocked_ = false;
      if (r >= 0) ++delivered_;
    }
    // A try-mode channel takes no more than the application's queue has
    // room for, so that the rest waits in DDS's history.
    constexpr int kBatch = 32;
    int max = kBatch;
    if (spec_.push == Push::kTry) {
      int pending = rtipc_producer_pending(producer_);
      // n - 2 messages wait behind the one the consumer holds.
      int room =
          static_cast<int>(rtipc_producer_slots(producer_)) - 2 - (pending < 0 ? 0 : pending);
      max = room < 1 ? 1 : room < kBatch ? room : kBatch;
    }
    void* samples[kBatch] = {};
    dds_sample_info_t infos[kBatch];
    int32_t got = dds_take(endpoint_, samples, infos, max, max);
    if (got <= 0) return true;
    for (int32_t i = 0; i < got; i++) {
      if (!infos[i].valid_data) continue;
      uint64_t malformed = malformed_;
      deliver(samples[i], infos[i]);
      if (malformed_ != malformed) continue;
      int r = rtipc_produce(producer_, mode);
      if (r == RTIPC_QUEUE_FULL) {
        // The message waits in place; any later ones in this batch are
        // dropped (counted: the queue filled faster than it said).
        blocked_ = true;
        for (int32_t j = i + 1; j < got; j++)
          if (infos[j].valid_data) ++received_, ++discarded_;
        break;
      } else if (r < 0) {
        log("topic %s: produce: %s", spec_.topic.c_str(), rtipc_strerror(r));
      } else {
        ++delivered_;
        if (r == RTIPC_PUBLISHED_DISCARDED) ++discarded_;
      }
    }
    dds_return_loan(endpoint_, samples, got);
    if (blocked_) return false;
  }
}

std::string Channel::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  char line[512];
  if (spec_.direction == Direction::kFromApp)
    std::snprintf(line, sizeof line,
                  "stats topic=%s dir=from-app size=%" PRIu32 " consumed=%" PRIu64
                  " published=%" PRIu64 " write_failed=%" PRIu64 " app_gaps=%" PRIu64,
                  spec_.topic.c_str(), spec_.size, consumed_, published_, write_failed_, app_gaps_);
  else
    std::snprintf(line, sizeof line,
                  "stats topic=%s dir=to-app size=%" PRIu32 " received=%" PRIu64
                  " delivered=%" PRIu64 " net_lost=%" PRIu64 " skipped_at_join=%" PRIu64
                  " discarded=%" PRIu64 " malformed=%" PRIu64 " reordered=%" PRIu64,
                  spec_.topic.c_str(), spec_.size, received_, delivered_, net_lost_,
                  skipped_at_join_, discarded_, malformed_, reordered_);
  return line;
}

}  // namespace bridge
