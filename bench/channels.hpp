// Channel groups for benchmarks: created by the parent, handed to a forked
// peer as the protocol does it (request bytes + SCM_RIGHTS over a
// SOCK_SEQPACKET socketpair), adopted there with rtipc_group_from_request.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "rtipc/rtipc.h"

namespace bench {

struct GroupDeleter {
  void operator()(rtipc_group* g) const { rtipc_group_destroy(g); }
};
struct ProducerDeleter {
  void operator()(rtipc_producer* p) const { rtipc_producer_destroy(p); }
};
struct ConsumerDeleter {
  void operator()(rtipc_consumer* c) const { rtipc_consumer_destroy(c); }
};
using GroupPtr = std::unique_ptr<rtipc_group, GroupDeleter>;
using ProducerPtr = std::unique_ptr<rtipc_producer, ProducerDeleter>;
using ConsumerPtr = std::unique_ptr<rtipc_consumer, ConsumerDeleter>;

// One channel's shape.
struct ChannelSpec {
  uint32_t msg_size = 16;
  uint32_t add_msgs = 0;
  bool eventfd = false;
};

// A group in the creator's terms.
struct GroupSpec {
  std::vector<ChannelSpec> producers;
  std::vector<ChannelSpec> consumers;
  uint32_t flags = 0;
};

// A connected SOCK_SEQPACKET pair; fork after making it, then each side
// closes the end it does not use.
struct SocketPair {
  SocketPair();
  ~SocketPair();
  int parent = -1;
  int child = -1;
  void close_parent();
  void close_child();
};

// Creates the group described by spec (rtipc_group_create).
GroupPtr create_group(const GroupSpec& spec);
// Sends group's request and descriptors over sock (SCM_RIGHTS).
void send_group(int sock, const rtipc_group* group);
// Receives a request and descriptors from sock and adopts them.
GroupPtr receive_group(int sock, uint32_t flags = 0);
// Both sides in one process: the server side adopted from duplicates of the
// client group's descriptors.
GroupPtr adopt_locally(const rtipc_group* client, uint32_t flags = 0);

ProducerPtr take_producer(rtipc_group* g, uint32_t index);
ConsumerPtr take_consumer(rtipc_group* g, uint32_t index);

// A one-way stream from a forked peer to the parent. The parent creates a
// group that consumes one channel of shape ch, sends it over sock and keeps
// only its consumer; the peer receives it and keeps only its producer.
ConsumerPtr send_stream_group(int sock, const ChannelSpec& ch);
ProducerPtr receive_stream_producer(int sock);

// Sends and receives one 8-byte token (a barrier between parent and peer).
void send_token(int sock, uint64_t v = 0);
uint64_t receive_token(int sock);

}  // namespace bench
