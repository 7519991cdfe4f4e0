// The DDS half of the bridge: one participant, its writers and readers, and
// an eventfd that DDS's listeners write so that the bridge's one loop (an
// rtipc waitset) wakes for DDS data as it wakes for rtipc messages.
//
// Threads: the listeners run on Cyclone's receive threads. A reader's
// listener delivers the data itself where its Wake says how (one wake-up
// less on the way to the application); otherwise, and when that cannot take
// everything, it sets a flag and writes the eventfd. Everything else runs
// on the bridge's loop.
#pragma once

#include <dds/dds.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "options.hpp"

namespace bridge {

// What a listener touches: deliver(ctx) if set, and unless that took
// everything, set ready, then write the eventfd fd.
struct Wake {
  std::atomic<bool> ready{false};
  int fd = -1;
  std::string topic;                     // the DDS topic name, for the listeners' log lines
  bool (*deliver)(void* ctx) = nullptr;  // on the listener's thread
  void* ctx = nullptr;
};

// "rtipc/SIZE/TOPIC": the size is part of the name, so sides that disagree
// never match.
std::string dds_topic_name(const std::string& topic, uint32_t size);

// The reverse; false for a name that is not a bridge topic.
bool split_dds_topic_name(const char* name, std::string* topic, uint32_t* size);

// Cyclone DDS configuration (XML) for the options: interface, peers,
// security. Exposed for --check.
std::string dds_domain_config(const Options& o);

class DdsSide {
 public:
  DdsSide() = default;
  DdsSide(const DdsSide&) = delete;
  DdsSide& operator=(const DdsSide&) = delete;
  ~DdsSide();

  // Creates the domain and participant. Returns "" or why not.
  std::string open(const Options& o);

  // Readable when a reader (or discovery) has something: read it, then call
  // take_ready_flags.
  int event_fd() const { return event_fd_; }

  // Creates a writer (from-app) or reader (to-app) for spec; wake must
  // outlive it (its listeners use it). When data comes the reader calls
  // wake->deliver, and unless that took everything sets wake->ready and
  // writes the eventfd (wake->fd is filled in here). Returns the entity or
  // a negative DDS return code.
  dds_entity_t create_writer(const ChannelSpec& spec, Wake* wake);
  dds_entity_t create_reader(const ChannelSpec& spec, Wake* wake);

  // Registers a local topic and size for mismatch reports, and drops it.
  void watch_topic(const std::string& topic, uint32_t size);
  void unwatch_topic(const std::string& topic, uint32_t size);

  // Clears the eventfd and logs each remote endpoint seen since the last
  // call that uses one of our topics with another message size. Returns
  // how many such endpoints were new.
  int poll_discovery();

  uint64_t mismatches() const { return mismatches_; }

 private:
  struct RemoteEndpoint {
    std::string topic;
    uint32_t size;
    const char* kind;  // "writer" or "reader"
  };
  void check_endpoint(const std::string& guid, const RemoteEndpoint& ep);

  dds_entity_t domain_ = 0;
  dds_entity_t participant_ = 0;
  dds_entity_t publisher_ = 0;
  dds_entity_t subscriber_ = 0;
  dds_entity_t builtin_pub_ = 0;
  dds_entity_t builtin_sub_ = 0;
  dds_guid_t own_guid_{};
  int event_fd_ = -1;
  uint32_t write_timeout_ms_ = 100;
  Wake discovery_;
  std::map<std::string, std::multiset<uint32_t>> watched_;  // topic -> local sizes
  std::map<std::string, RemoteEndpoint> remote_;            // bridge topics of other participants
  std::set<std::string> reported_;                          // endpoint GUIDs already logged
  uint64_t mismatches_ = 0;
};

}  // namespace bridge
