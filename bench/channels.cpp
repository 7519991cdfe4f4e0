#include "channels.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.hpp"
#include "fdpass.h"

namespace bench {
namespace {

std::vector<rtipc_channel_config> configs(const std::vector<ChannelSpec>& specs) {
  std::vector<rtipc_channel_config> out;
  for (const auto& s : specs) {
    rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
    c.msg_size = s.msg_size;
    c.add_msgs = s.add_msgs;
    c.flags = s.eventfd ? RTIPC_CHANNEL_EVENTFD : 0;
    out.push_back(c);
  }
  return out;
}

rtipc_server_config server_config(uint32_t group_flags) {
  rtipc_server_config c = RTIPC_SERVER_CONFIG_INIT;
  c.group_flags = group_flags;
  return c;
}

}  // namespace

SocketPair::SocketPair() {
  int sv[2];
  check(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
  parent = sv[0];
  child = sv[1];
}

SocketPair::~SocketPair() {
  close_parent();
  close_child();
}

void SocketPair::close_parent() {
  if (parent >= 0) close(parent);
  parent = -1;
}

void SocketPair::close_child() {
  if (child >= 0) close(child);
  child = -1;
}

GroupPtr create_group(const GroupSpec& spec) {
  auto producers = configs(spec.producers);
  auto consumers = configs(spec.consumers);
  rtipc_group_config cfg = RTIPC_GROUP_CONFIG_INIT;
  cfg.producers = producers.empty() ? nullptr : producers.data();
  cfg.consumers = consumers.empty() ? nullptr : consumers.data();
  cfg.producer_count = uint32_t(producers.size());
  cfg.consumer_count = uint32_t(consumers.size());
  cfg.flags = spec.flags;
  rtipc_group* g = nullptr;
  check_rc(rtipc_group_create(&cfg, &g), "rtipc_group_create");
  return GroupPtr(g);
}

void send_group(int sock, const rtipc_group* group) {
  check_rc(fdpass_send_group(sock, group), "send_group");
}

GroupPtr receive_group(int sock, uint32_t flags) {
  rtipc_group* g = nullptr;
  const rtipc_server_config config = server_config(flags);
  check_rc(fdpass_recv_group(sock, &config, &g), "receive_group");
  return GroupPtr(g);
}

GroupPtr adopt_locally(const rtipc_group* client, uint32_t flags) {
  const int len = check_rc(rtipc_group_request(client, nullptr, 0), "rtipc_group_request");
  std::vector<char> req(static_cast<size_t>(len));
  check_rc(rtipc_group_request(client, req.data(), req.size()), "rtipc_group_request");
  const int nfds = check_rc(rtipc_group_fds(client, nullptr, 0), "rtipc_group_fds");
  std::vector<int> fds(static_cast<size_t>(nfds));
  check_rc(rtipc_group_fds(client, fds.data(), fds.size()), "rtipc_group_fds");
  for (int& fd : fds) {
    fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    check(fd >= 0, "dup");
  }
  rtipc_group* g = nullptr;
  const rtipc_server_config config = server_config(flags);
  check_rc(rtipc_group_from_request(req.data(), req.size(), fds.data(), fds.size(), &config, &g),
           "rtipc_group_from_request");
  return GroupPtr(g);
}

ProducerPtr take_producer(rtipc_group* g, uint32_t index) {
  rtipc_producer* p = nullptr;
  check_rc(rtipc_group_take_producer(g, index, &p), "rtipc_group_take_producer");
  return ProducerPtr(p);
}

ConsumerPtr take_consumer(rtipc_group* g, uint32_t index) {
  rtipc_consumer* c = nullptr;
  check_rc(rtipc_group_take_consumer(g, index, &c), "rtipc_group_take_consumer");
  return ConsumerPtr(c);
}

ConsumerPtr send_stream_group(int sock, const ChannelSpec& ch) {
  GroupPtr g = create_group(GroupSpec{{}, {ch}, 0});
  send_group(sock, g.get());
  return take_consumer(g.get(), 0);
}

ProducerPtr receive_stream_producer(int sock) {
  GroupPtr g = receive_group(sock);
  return take_producer(g.get(), 0);
}

void send_token(int sock, uint64_t v) {
  check(send(sock, &v, sizeof v, MSG_NOSIGNAL) == sizeof v, "send (token)");
}

uint64_t receive_token(int sock) {
  uint64_t v = 0;
  check(recv(sock, &v, sizeof v, 0) == sizeof v, "recv (token)");
  return v;
}

}  // namespace bench
