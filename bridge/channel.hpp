// One bridged channel: an rtipc end (a consumer for what the application
// produces, a producer for what it consumes) and a DDS end (a writer or a
// reader on rtipc/SIZE/TOPIC). Used on the bridge's loop thread, except
// that a to-app channel's reader listener delivers DDS data into the
// application's channel on Cyclone's receive thread: the to-app state is
// under mu_.
#pragma once

#include <dds/dds.h>
#include <rtipc/rtipc.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "dds_side.hpp"
#include "options.hpp"

namespace bridge {

class Channel {
 public:
  // Takes ownership of consumer (from-app) or producer (to-app).
  Channel(ChannelSpec spec, rtipc_consumer* consumer, rtipc_producer* producer);
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel();

  // Creates the DDS end. Returns "" or why not.
  std::string open(DdsSide& dds);

  // from-app: publishes up to max messages the application produced.
  // Returns how many messages it consumed.
  int forward_to_dds(int max);

  // to-app: takes what DDS has and produces it into the application's
  // channel. Returns false when a try-mode channel is full and a message
  // waits in place: call again later (retry()).
  bool forward_to_app();
  bool blocked() const;

  // Was DDS data flagged for this channel since the last call?
  bool take_ready() { return wake_.ready.exchange(false, std::memory_order_acq_rel); }

  // One "stats ..." line with every counter.
  std::string stats() const;

  bool is_open() const { return endpoint_ > 0; }
  const ChannelSpec& spec() const { return spec_; }
  rtipc_consumer* consumer() const { return consumer_; }

 private:
  bool deliver(const void* sample, const dds_sample_info_t& info);
  bool forward_to_app_locked();
  // The reader's listener: delivers on its thread; false when the loop
  // must take over (not open yet, or a try-mode queue full).
  static bool deliver_on_listener(void* self);

  ChannelSpec spec_;
  rtipc_consumer* consumer_;
  rtipc_producer* producer_;
  dds_entity_t topic_ = 0;
  dds_entity_t endpoint_ = 0;  // writer (from-app) or reader (to-app)
  Wake wake_;
  mutable std::mutex mu_;  // to-app: producer_, endpoint_ once open, what follows
  bool blocked_ = false;   // to-app, try: a message waits in the producer's slot
  uint64_t malformed_logged_ = 0;
  // Per remote writer: the sequence number expected next.
  std::unordered_map<dds_instance_handle_t, uint64_t> expected_;

  // from-app
  uint64_t next_seq_ = 0, consumed_ = 0, published_ = 0, write_failed_ = 0, app_gaps_ = 0;
  // to-app
  uint64_t received_ = 0, delivered_ = 0, net_lost_ = 0, skipped_at_join_ = 0, discarded_ = 0,
           malformed_ = 0, reordered_ = 0;
};

}  // namespace bridge
